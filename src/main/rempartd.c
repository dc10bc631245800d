/* rempartd: the rempart server. */
#include <stdio.h>
#include <string.h>

#include "rempart_version.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: rempartd [--data DIR] [--version] [--help]\n");
}

int
main(int argc, char **argv)
{
	const char *data_dir = "./var";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "rempartd: --data needs a "
				                "directory\n");
				usage(stderr);
				return 2;
			}
			data_dir = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("rempartd %s\n", RP_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		fprintf(stderr, "rempartd: unknown option '%s'\n", argv[i]);
		usage(stderr);
		return 2;
	}
	printf("rempartd %s (data directory %s): the SIP message layer is "
	       "built; the server itself lands with the server core.\n",
	    RP_VERSION, data_dir);
	return 0;
}
