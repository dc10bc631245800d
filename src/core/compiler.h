/* Compiler attributes shared by every module. */
#ifndef RP_CORE_COMPILER_H
#define RP_CORE_COMPILER_H

/* A function whose result is an error code the caller must look at. */
#define RP_MUST_CHECK __attribute__((warn_unused_result))
#define RP_UNUSED __attribute__((unused))
#define RP_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define RP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
