/* Structured logging: one line per event, "key=value" text or JSON.
 *
 * The sink and format are set once at start-up, before any thread
 * starts; after that the log functions may be called from any thread. */
#ifndef RP_CORE_LOG_H
#define RP_CORE_LOG_H

#include <stdbool.h>
#include <stdio.h>

#include "core/compiler.h"
#include "core/sv.h"

enum log_level {
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
};

/* Start-up only: where lines go, the lowest level kept, and whether each
 * line is a JSON object instead of key=value text. */
void log_setup(FILE *sink, enum log_level min_level, bool json);

void log_write(enum log_level level, const char *subsystem, const char *fmt,
    ...) RP_PRINTF(3, 4);

#define log_debug(sub, ...) log_write(LOG_DEBUG, sub, __VA_ARGS__)
#define log_info(sub, ...) log_write(LOG_INFO, sub, __VA_ARGS__)
#define log_warn(sub, ...) log_write(LOG_WARN, sub, __VA_ARGS__)
#define log_error(sub, ...) log_write(LOG_ERROR, sub, __VA_ARGS__)

/* Room for an escaped view: LOG_SV_MAX input bytes, each up to 4 out. */
#define LOG_SV_MAX 128
#define LOG_SV_BUF (LOG_SV_MAX * 4 + 4)

/* Writes a printable, truncated copy of untrusted bytes into 'out' (of
 * LOG_SV_BUF bytes) and returns it: control bytes, quotes, backslashes
 * and bytes >= 0x7f become \xNN, and input past LOG_SV_MAX bytes is cut
 * and marked with "...". A peer can thus never forge a log line. */
const char *log_sv(struct sv s, char out[LOG_SV_BUF]);

#endif
