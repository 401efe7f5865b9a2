/*
 * access_log_format.c: one access-log line from a request summary (see
 * access_log_format.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "access_log_format.h"

/* A line being written: out[0, len), never past cap - 1 (the newline's room). */
struct line {
	char *out;
	size_t len, cap;
};

static const char access_log_fields[] = "tnmrsdplBjR%";

static void line_text(struct line *l, const char *s, size_t len);
static void line_printf(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line_field(struct line *l, char field, const struct request_summary *s);

int access_log_format_check(const char *format, char *err, size_t err_len)
{
	for (const char *p = format; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '\0') {
			snprintf(err, err_len, "a '%%' ends the format (write %%%% for a '%%')");
			return -1;
		}
		if (strchr(access_log_fields, p[1]) == NULL) {
			snprintf(err, err_len, "unknown field %%%c (known: %%t %%n %%m %%r %%s %%d "
			    "%%p %%l %%B %%j %%R %%%%)", p[1]);
			return -1;
		}
		p++;
	}
	return 0;
}

size_t access_log_format_line(const char *format, const struct request_summary *summary,
    char *out, size_t cap)
{
	struct line l = { out, 0, cap - 1 };

	for (const char *p = format; *p != '\0'; p++) {
		if (*p == '%' && p[1] != '\0') {
			line_field(&l, *++p, summary);
			continue;
		}
		line_text(&l, p, 1);
	}
	out[l.len++] = '\n';
	return l.len;
}

/* Appends len bytes, control bytes as '?', "-" for nothing. */
static void line_text(struct line *l, const char *s, size_t len)
{
	if (s == NULL || len == 0) {
		s = "-";
		len = 1;
	}
	for (size_t i = 0; i < len && l->len < l->cap; i++) {
		unsigned char c = (unsigned char)s[i];
		l->out[l->len++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
}

static void line_printf(struct line *l, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		line_text(l, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* One field's value. */
static void line_field(struct line *l, char field, const struct request_summary *s)
{
	switch (field) {
	case 't': {
		time_t sec = (time_t)s->started;
		struct tm tm;
		gmtime_r(&sec, &tm);
		line_printf(l, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		    (int)((s->started - (double)sec) * 1000) % 1000);
		return;
	}
	case 'n': line_text(l, s->function, s->function ? strlen(s->function) : 0); return;
	case 'm': line_text(l, s->method.ptr, s->method.len); return;
	case 'r': line_text(l, s->uri.ptr, s->uri.len); return;
	case 's': line_printf(l, "%d", s->status); return;
	case 'd': line_printf(l, "%.0f", s->duration > 0 ? s->duration * 1e6 : 0.0); return;
	case 'p': line_printf(l, "%ld", (long)s->worker_pid); return;
	case 'l': line_printf(l, "%" PRIu64, s->bytes_in); return;
	case 'B': line_printf(l, "%" PRIu64, s->bytes_out); return;
	case 'j': line_text(l, s->job_id, s->job_id ? strlen(s->job_id) : 0); return;
	case 'R': line_text(l, s->peer, s->peer ? strlen(s->peer) : 0); return;
	case '%': line_text(l, "%", 1); return;
	default: line_text(l, "?", 1); return;	/* access_log_format_check() refused it */
	}
}
