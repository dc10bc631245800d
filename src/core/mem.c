/* Allocation wrappers with per-thread fault injection. */
#include "core/mem.h"

#include <stdbool.h>
#include <stdlib.h>

/* Per thread, so tests running side by side do not disturb each other. */
static _Thread_local unsigned long fail_countdown;

static bool
should_fail(void)
{
	if (fail_countdown == 0)
		return false;
	return --fail_countdown == 0;
}

void
mem_fail_nth(unsigned long n)
{
	fail_countdown = n;
}

void *
mem_alloc(size_t size)
{
	if (should_fail())
		return NULL;
	return malloc(size);
}

void *
mem_calloc(size_t count, size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(count, size);
}

void *
mem_realloc(void *ptr, size_t size)
{
	if (should_fail())
		return NULL;
	return realloc(ptr, size);
}
