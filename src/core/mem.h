/* Allocation with fault injection.
 *
 * Every allocation in rempart goes through these so that tests can make
 * the Nth one fail and check each out-of-memory path. Memory from them is
 * released with free(). */
#ifndef RP_CORE_MEM_H
#define RP_CORE_MEM_H

#include <stddef.h>

void *mem_alloc(size_t size);
void *mem_calloc(size_t count, size_t size);
void *mem_realloc(void *ptr, size_t size);

/* Tests only: makes the nth allocation from now on (1 = the next one) in
 * the calling thread fail; 0 turns injection off. */
void mem_fail_nth(unsigned long n);

#endif
