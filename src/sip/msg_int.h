/* Internals shared by the files of the msg module. */
#ifndef RP_SIP_MSG_INT_H
#define RP_SIP_MSG_INT_H

#include "sip/msg.h"

/* Fills *err (when not NULL) and returns rc. */
int sip_msg_fail(struct sip_error *err, uint16_t status, const char *reason,
    enum sip_hdr_id hdr, int rc);
/* 400 naming the header: "Missing X Header" for -ENOENT on a required
 * header, "Bad X Header" otherwise. Returns rc. */
int sip_msg_fail_hdr(struct sip_error *err, enum sip_hdr_id hdr, int rc);

#endif
