/* Growable output buffer, used by the message and SDP builders.
 *
 * Errors are sticky: after the first failure (out of memory or the
 * buffer's size cap), further appends do nothing and buf_error() reports
 * it, so a builder can append a whole message and check once. */
#ifndef RP_CORE_BUF_H
#define RP_CORE_BUF_H

#include <stddef.h>

#include "core/compiler.h"
#include "core/sv.h"

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* hard cap on len; 0 means BUF_DEFAULT_MAX */
	int err;    /* 0, -ENOMEM or -E2BIG */
};

#define BUF_DEFAULT_MAX (16u * 1024 * 1024)

/* Starts an empty buffer that may grow up to 'max' bytes (0: default). */
void buf_init(struct buf *b, size_t max);
/* Releases the storage; the buffer can be reused after buf_init(). */
void buf_release(struct buf *b);
/* Empties the buffer and clears its error, keeping the storage. */
void buf_reset(struct buf *b);

void buf_append(struct buf *b, const void *data, size_t len);
void buf_append_sv(struct buf *b, struct sv s);
void buf_append_cstr(struct buf *b, const char *s);
void buf_append_char(struct buf *b, char c);
void buf_append_u64(struct buf *b, unsigned long long v);
void buf_printf(struct buf *b, const char *fmt, ...) RP_PRINTF(2, 3);

/* 0, or the first error met by an append. */
static inline int
buf_error(const struct buf *b)
{
	return b->err;
}

static inline struct sv
buf_view(const struct buf *b)
{
	return sv_make(b->data, b->len);
}

#endif
