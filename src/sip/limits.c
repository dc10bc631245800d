/* Default and untrusted-peer parser limits. */
#include "sip/limits.h"

const struct sip_limits sip_limits_default = {
    .msg_max = SIP_MSG_MAX,
    .headers_max = SIP_HEADERS_MAX,
    .header_len_max = SIP_HEADER_LEN_MAX,
    .uri_max = SIP_URI_MAX,
    .via_max = SIP_VIA_MAX,
    .body_max = SIP_BODY_MAX,
};

/* Scanners and fraud bots have no business sending large messages; a
 * registered phone's REGISTER or INVITE fits well within these. */
const struct sip_limits sip_limits_untrusted = {
    .msg_max = 8192,
    .headers_max = 48,
    .header_len_max = 2048,
    .uri_max = 512,
    .via_max = 8,
    .body_max = 4096,
};
