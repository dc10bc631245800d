/* Fuzz target: stream framing, consuming a buffer frame by frame, and
 * parsing each framed message. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/frame.h"
#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_msg *m;
	struct sip_frame f;
	struct sip_error err;
	struct sv in;
	char *copy;

	copy = malloc(size != 0 ? size : 1);
	m = malloc(sizeof(*m));
	if (copy == NULL || m == NULL)
		abort();
	memcpy(copy, data, size);
	in = sv_make(copy, size);
	(void)sip_frame_datagram(in);
	for (;;) {
		int rc = sip_frame_stream(in, NULL, &f, &err);

		if (rc == -ENODATA)
			break;
		if (rc != 0) {
			assert(err.status >= 400);
			break;
		}
		assert(f.len > 0 && f.len <= in.len);
		if (f.kind == SIP_FRAME_MESSAGE)
			(void)sip_msg_parse(m, sv_head(in, f.len), NULL, &err);
		in = sv_skip(in, f.len);
	}
	free(m);
	free(copy);
	return 0;
}
