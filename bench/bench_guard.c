/* Perimeter guard benchmark: guard_packet(), the check every datagram
 * goes through before parsing.
 *
 * (a) banned: one banned source floods (silent drop);
 * (b) normal: one known source within its rate (a bucket large enough
 *     that every call refills it and passes: the full pass path);
 * (c) spoofed: a new source on every packet (entry replaced each time),
 *     the worst case of a flood with random source addresses.
 *
 * Rates are per CPU second of this process (CLOCK_PROCESS_CPUTIME_ID).
 *   bench_guard [PACKETS] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "policy/guard.h"

static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct cidr_addr
v4(uint32_t x)
{
	struct cidr_addr a = {.family = AF_INET};

	a.bytes[0] = (uint8_t)(x >> 24);
	a.bytes[1] = (uint8_t)(x >> 16);
	a.bytes[2] = (uint8_t)(x >> 8);
	a.bytes[3] = (uint8_t)x;
	return a;
}

static struct guard *
make(uint32_t pkt_rate, uint32_t pkt_burst)
{
	struct guard_config cfg;
	struct guard *g = NULL;

	guard_config_defaults(&cfg);
	cfg.pkt_rate = pkt_rate;
	cfg.pkt_burst = pkt_burst;
	if (guard_new(&g, &cfg) != 0) {
		fprintf(stderr, "bench: guard_new failed\n");
		exit(1);
	}
	return g;
}

static void
report(const char *name, unsigned long n, double secs, unsigned long hits)
{
	printf("%-8s %10lu pkts  %8.3f cpu-s  %12.0f pkts/cpu-s  %8.1f "
	       "ns/pkt  (%lu %s)\n",
	    name, n, secs, (double)n / secs, secs * 1e9 / (double)n, hits,
	    hits == n ? "as expected" : "UNEXPECTED");
}

/* Every packet from one source, expected to get 'want'. */
static void
run_one(const char *name, struct guard *g, const struct cidr_addr *a,
    enum guard_verdict want, unsigned long n)
{
	unsigned long hits = 0;
	double start;

	start = cpu_seconds();
	for (unsigned long i = 0; i < n; i++)
		hits += guard_packet(g, a, 1000000u + i / 1000, NULL) == want;
	report(name, n, cpu_seconds() - start, hits);
}

static void
run_spoofed(struct guard *g, unsigned long n)
{
	unsigned long hits = 0;
	double start;

	start = cpu_seconds();
	for (unsigned long i = 0; i < n; i++) {
		struct cidr_addr a = v4((uint32_t)i * 2654435761u);

		hits += guard_packet(g, &a, 1000000u + i / 1000, NULL) ==
		        GUARD_PASS;
	}
	report("spoofed", n, cpu_seconds() - start, hits);
}

int
main(int argc, char **argv)
{
	unsigned long n = 20000000;
	struct cidr_addr bad = v4(0xcb007107u), good = v4(0xc0000201u);
	struct guard *g;

	if (argc > 1) {
		n = 0;
		for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
			n = n * 10 + (unsigned long)(*p - '0');
		if (n == 0)
			n = 1;
	}
	printf("guard_packet(): 65,536-source table, default settings\n");
	g = make(200, 400);
	if (guard_ban(
	        g, &bad, 7u * 24u * 3600u * 1000u, NULL, 1000000u, NULL) != 0)
		return 1;
	/* Other sources in the table, so lookups are not alone in it. */
	for (uint32_t i = 0; i < 50000; i++) {
		struct cidr_addr a = v4(0x0a000000u + i);

		(void)guard_packet(g, &a, 1000000u, NULL);
	}
	run_one("banned", g, &bad, GUARD_DROP, n);
	guard_free(g);

	g = make(10000000, 1000000);
	run_one("normal", g, &good, GUARD_PASS, n);
	guard_free(g);

	g = make(200, 400);
	run_spoofed(g, n / 4);
	guard_free(g);
	return 0;
}
