/* Structured logging. */
#include "core/log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

/* Set once at start-up before threads exist (allowed global, see STYLE). */
static FILE *log_sink;
static enum log_level log_min = LOG_INFO;
static bool log_json;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
log_setup(FILE *sink, enum log_level min_level, bool json)
{
	log_sink = sink;
	log_min = min_level;
	log_json = json;
}

const char *
log_sv(struct sv s, char out[LOG_SV_BUF])
{
	static const char hex[] = "0123456789abcdef";
	size_t n = s.len < LOG_SV_MAX ? s.len : LOG_SV_MAX;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	if (n < s.len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* JSON mode: the formatted text is key=value pairs; it is carried whole
 * in a "msg" field, escaped, so the line is always valid JSON. */
static void
write_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void
log_write(enum log_level level, const char *subsystem, const char *fmt, ...)
{
	FILE *f = log_sink != NULL ? log_sink : stderr;
	char line[2048];
	char stamp[40];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level < log_min)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	if (log_json) {
		fprintf(f,
		    "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"sub\":", stamp,
		    ts.tv_nsec / 1000000, level_names[level]);
		write_json_string(f, subsystem);
		fputs(",\"msg\":", f);
		write_json_string(f, line);
		fputs("}\n", f);
	} else {
		fprintf(f, "%s.%03ldZ level=%s sub=%s %s\n", stamp,
		    ts.tv_nsec / 1000000, level_names[level], subsystem, line);
	}
	fflush(f);
}
