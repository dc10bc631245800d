/* Parser benchmark over a realistic message mix: INVITE with SDP,
 * REGISTER with Authorization, 200 OK, 180 Ringing and BYE.
 *
 * (a) routing parse: index + top Via, CSeq, Call-ID, From/To tags and the
 *     To URI, what a proxy needs to route;
 * (b) full parse: index + every recognised header (sip_msg_parse_all).
 *
 * Rates are per CPU second of this process (CLOCK_PROCESS_CPUTIME_ID),
 * so that other load on a shared machine does not skew them much.
 *   bench_parse [MESSAGES] [routing|full] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sip/msg.h"

#define CRLF "\r\n"

static const char invite[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0" CRLF
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;"
    "rport" CRLF "Max-Forwards: 70" CRLF
    "To: Bob <sip:bob@biloxi.example.com>" CRLF
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774" CRLF
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com" CRLF
    "CSeq: 314159 INVITE" CRLF
    "Contact: <sip:alice@pc33.atlanta.example.com;transport=udp>" CRLF
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, UPDATE" CRLF
    "Supported: replaces, timer, 100rel" CRLF "User-Agent: Softphone/1.0" CRLF
    "Content-Type: application/sdp" CRLF "Content-Length: 200" CRLF CRLF
    "v=0" CRLF
    "o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com" CRLF
    "s=-" CRLF "c=IN IP4 192.0.2.101" CRLF "t=0 0" CRLF
    "m=audio 49172 RTP/AVP 0 8 101" CRLF "a=rtpmap:0 PCMU/8000" CRLF
    "a=rtpmap:8 PCMA/8000" CRLF "a=rtpmap:101 telephone-event/8000" CRLF
    "a=sendrecv" CRLF "a=ptime:20" CRLF;

static const char reg[] =
    "REGISTER sip:registrar.biloxi.example.com SIP/2.0" CRLF
    "Via: SIP/2.0/TLS bobspc.biloxi.example.com:5061;branch=z9hG4bKnashds7" CRLF
    "Max-Forwards: 70" CRLF "To: Bob <sip:bob@biloxi.example.com>" CRLF
    "From: Bob <sip:bob@biloxi.example.com>;tag=456248" CRLF
    "Call-ID: 843817637684230@998sdasdh09" CRLF "CSeq: 1827 REGISTER" CRLF
    "Contact: <sip:bob@192.0.2.4;transport=tls>;expires=7200" CRLF
    "Authorization: Digest username=\"bob\", realm=\"biloxi.example.com\", "
    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
    "uri=\"sip:registrar.biloxi.example.com\", qop=auth, nc=00000001, "
    "cnonce=\"0a4f113b\", algorithm=SHA-256, "
    "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856"
    "cb6c1\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"" CRLF
    "Expires: 7200" CRLF "Content-Length: 0" CRLF CRLF;

static const char ok200[] =
    "SIP/2.0 200 OK" CRLF
    "Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bK4b43c2ff8.1;"
    "received=192.0.2.3" CRLF
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;"
    "received=192.0.2.1" CRLF
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf" CRLF
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774" CRLF
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com" CRLF
    "CSeq: 314159 INVITE" CRLF "Contact: <sip:bob@192.0.2.4>" CRLF
    "Content-Length: 0" CRLF CRLF;

static const char ringing[] =
    "SIP/2.0 180 Ringing" CRLF
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;"
    "received=192.0.2.1" CRLF
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf" CRLF
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774" CRLF
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com" CRLF
    "CSeq: 314159 INVITE" CRLF "Contact: <sip:bob@192.0.2.4>" CRLF
    "Content-Length: 0" CRLF CRLF;

static const char bye[] =
    "BYE sip:alice@pc33.atlanta.example.com SIP/2.0" CRLF
    "Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds10" CRLF
    "Max-Forwards: 70" CRLF
    "From: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf" CRLF
    "To: Alice <sip:alice@atlanta.example.com>;tag=1928301774" CRLF
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com" CRLF "CSeq: 231 BYE" CRLF
    "Content-Length: 0" CRLF CRLF;

static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
routing_parse(struct sip_msg *m, struct sv in)
{
	const struct sip_via *via;
	const struct sip_cseq *cseq;
	const struct sip_addr *from, *to;
	struct sv call_id;

	if (sip_msg_parse(m, in, NULL, NULL) != 0 ||
	    sip_msg_via(m, &via, NULL) != 0 ||
	    sip_msg_cseq(m, &cseq, NULL) != 0 ||
	    sip_msg_call_id(m, &call_id, NULL) != 0 ||
	    sip_msg_from(m, &from, NULL) != 0 || sip_msg_to(m, &to, NULL) != 0)
		return -1;
	return (int)(via->branch.len + to->uri.host.len + from->tag.len);
}

static int
full_parse(struct sip_msg *m, struct sv in)
{
	if (sip_msg_parse(m, in, NULL, NULL) != 0 ||
	    sip_msg_parse_all(m, NULL) != 0)
		return -1;
	return (int)m->nhdrs;
}

static void
run(const char *name, int (*fn)(struct sip_msg *, struct sv),
    const struct sv *mix, size_t nmix, unsigned long iterations)
{
	struct sip_msg *m = malloc(sizeof(*m));
	volatile long sink = 0;
	double start, secs;

	if (m == NULL)
		exit(1);
	/* Warm-up, and a check that every message of the mix parses. */
	for (size_t i = 0; i < nmix; i++) {
		if (fn(m, mix[i]) < 0) {
			fprintf(
			    stderr, "bench: message %zu failed %s\n", i, name);
			exit(1);
		}
	}
	start = cpu_seconds();
	for (unsigned long i = 0; i < iterations; i++)
		sink += fn(m, mix[i % nmix]);
	secs = cpu_seconds() - start;
	printf("%-8s %10lu msgs  %8.3f cpu-s  %12.0f msgs/cpu-s  %8.1f "
	       "ns/msg\n",
	    name, iterations, secs, (double)iterations / secs,
	    secs * 1e9 / (double)iterations);
	(void)sink;
	free(m);
}

int
main(int argc, char **argv)
{
	const struct sv mix[] = {
	    sv_make(invite, sizeof(invite) - 1),
	    sv_make(reg, sizeof(reg) - 1),
	    sv_make(ok200, sizeof(ok200) - 1),
	    sv_make(ringing, sizeof(ringing) - 1),
	    sv_make(bye, sizeof(bye) - 1),
	};
	unsigned long n = 2000000;
	const char *only = argc > 2 ? argv[2] : "";
	size_t bytes = 0;

	if (argc > 1) {
		n = 0;
		for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
			n = n * 10 + (unsigned long)(*p - '0');
		if (n == 0)
			n = 1;
	}
	for (size_t i = 0; i < 5; i++)
		bytes += mix[i].len;
	printf("mix: INVITE+SDP, REGISTER+Authorization, 200, 180, BYE "
	       "(%zu bytes on average)\n",
	    bytes / 5);
	if (strcmp(only, "full") != 0)
		run("routing", routing_parse, mix, 5, n);
	if (strcmp(only, "routing") != 0)
		run("full", full_parse, mix, 5, n);
	return 0;
}
