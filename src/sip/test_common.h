/* Includes every cmocka test file needs, in the order cmocka wants. */
#ifndef RP_SIP_TEST_COMMON_H
#define RP_SIP_TEST_COMMON_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#endif
