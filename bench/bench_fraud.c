/* Anti-fraud decision benchmark (R-FRAUD-3, issue "Anti-fraud engine"):
 * the whole decision an outbound call goes through before any trunk is
 * tried — classification (numplan_classify), rights (rights_check), the
 * rate (rating_lookup) and the engine (fraud_call_start, then
 * fraud_call_end) — with 100,000 number-plan prefixes, 100,000 rates
 * and 10,000 users, each decision timed on its own.
 *
 * Prints the median and the 99th percentile in microseconds, and the
 * decisions per CPU second of this process.
 *   bench_fraud [DECISIONS] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "policy/fraud.h"
#include "policy/numplan.h"
#include "policy/rating.h"
#include "policy/rights.h"

#define PREFIXES 100000u
#define USERS 10000u

static double
now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
fail(const char *what)
{
	fprintf(stderr, "bench_fraud: %s\n", what);
	exit(1);
}

/* 100,000 prefixes +44 1000 000 .. in the plan and the rate table. */
static void
load_tables(struct numplan *np, struct rating_table *rt)
{
	struct rating_rate rate = {.per_min = 100000, .incr_s = 1};
	struct numplan_error err;
	struct buf b;

	buf_init(&b, 0);
	for (unsigned i = 0; i < PREFIXES; i++) {
		char prefix[32];

		snprintf(prefix, sizeof(prefix), "+44%07u", 1000000u + i);
		buf_printf(&b, "%s international bench\n", prefix);
		if (rating_table_add(rt, sv_cstr(prefix), &rate) != 0)
			fail("rating_table_add");
	}
	if (buf_error(&b) != 0 || numplan_parse(np, buf_view(&b), &err) != 0)
		fail("numplan_parse");
	buf_release(&b);
}

int
main(int argc, char **argv)
{
	uint32_t n = 200000;
	struct rights_profile intl = {
	    .name = "international",
	    .classes = NUMPLAN_BIT(NUMPLAN_EMERGENCY) |
	               NUMPLAN_BIT(NUMPLAN_NATIONAL) |
	               NUMPLAN_BIT(NUMPLAN_INTERNATIONAL),
	};
	struct numplan_ctx ctx;
	struct numplan *np = NULL;
	struct rating_table *rt = NULL;
	struct fraud_config cfg;
	struct fraud *f = NULL;
	double *lat, cpu0, cpu1, t0, sum = 0;
	unsigned long allowed = 0;

	if (argc > 1 &&
	    (sv_to_u32(sv_cstr(argv[1]), 100000000u, &n) != 0 || n == 0))
		fail("usage: bench_fraud [DECISIONS]");
	lat = calloc(n, sizeof(*lat));
	if (lat == NULL || numplan_new(&np) != 0 || rating_table_new(&rt) != 0)
		fail("out of memory");
	load_tables(np, rt);
	numplan_ctx_france(&ctx);
	fraud_config_defaults(&cfg);
	cfg.max_users = USERS;
	cfg.max_calls = USERS;
	/* The default rules, all evaluated: each user calls once every
	 * 100 s of the simulated clock, so none refuses. */
	if (fraud_new(&f, &cfg) != 0)
		fail("fraud_new");
	cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	for (uint32_t i = 0; i < n; i++) {
		char user[16], number[32];
		struct numplan_result res;
		struct rights_decision rd;
		struct fraud_decision fd;
		struct fraud_call_info ci;

		snprintf(user, sizeof(user), "%u", 1000 + i % USERS);
		snprintf(number, sizeof(number), "0044%07u%03u",
		    1000000u + (uint32_t)(((uint64_t)i * 7919u) % PREFIXES),
		    i % 1000u);
		t0 = now_s(CLOCK_MONOTONIC);
		if (numplan_classify(np, &ctx, sv_cstr(number), &res) != 0)
			fail("numplan_classify");
		rd = rights_check(&intl, NULL, res.cls,
		    sv_make(res.number, res.len), res.e164,
		    rights_local_time((int64_t)time(NULL), 0));
		if (rd.allow) {
			ci = (struct fraud_call_info){
			    .dir = FRAUD_OUTBOUND,
			    .user = sv_cstr(user),
			    .e164 = sv_make(res.number, res.len),
			    .cls = res.cls,
			    .rate =
			        rating_lookup(rt, sv_make(res.number, res.len)),
			};
			fraud_call_start(f, &ci, 1800000000u + i / 100, &fd);
			if (fd.allow && fd.call_id != 0) {
				allowed++;
				(void)fraud_call_end(f, fd.call_id, 0,
				    1800000000u + i / 100, NULL, NULL);
			}
		}
		lat[i] = (now_s(CLOCK_MONOTONIC) - t0) * 1e6;
		sum += lat[i];
	}
	cpu1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	qsort(lat, n, sizeof(*lat), by_value);
	printf("fraud decision: %u decisions (%lu allowed), %u prefixes, "
	       "%u users\n",
	    n, allowed, PREFIXES, USERS);
	printf("  median %.2f us  p99 %.2f us  mean %.2f us  %.0f "
	       "decisions/cpu-s\n",
	    lat[n / 2], lat[n * 99 / 100], sum / (double)n,
	    (double)n / (cpu1 - cpu0));
	fraud_free(f);
	rating_table_free(rt);
	numplan_free(np);
	free(lat);
	return 0;
}
