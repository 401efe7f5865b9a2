/*
 * stderr_flood: a FastCGI function that abuses its stderr, for the tests of
 * gatewayd's bounds on what a worker writes there (test_64, test_65, test_70). Built
 * by `make check` into build/tests/stderr_flood; never installed.
 *
 * Protocol: one query switch a request; the answer is 200 text/plain.
 *
 *	?flood=SECONDS	(1..60) writes numbered lines ("stderr_flood line N")
 *			to fd 2 as fast as the pipe takes them, many a
 *			write(2), for SECONDS seconds; then answers
 *			"lines=N", the number of whole lines written
 *	?line=BYTES	(1..1048576) writes one line of BYTES bytes: "long
 *			line:" and then 'x' up to BYTES, a newline, then the
 *			line "after the long line"; answers "line=BYTES"
 *	?records=BYTES	(1..104857600) sends BYTES of FastCGI stderr
 *			(FCGI_STDERR records, a 1 KiB line each, what the
 *			web server logs), then answers "records=BYTES"
 *	?tiny=COUNT	(1..1048576) sends COUNT FCGI_STDERR records of one
 *			byte each, then answers "tiny=COUNT"
 *	?straddle=SIZE	(1024..65536) sends, in one write(2), an FCGI_STDERR
 *			record and the STDOUT record that starts the answer
 *			"straddle=SIZE", sized so that a web server reading
 *			them into a header buffer of SIZE bytes finds the
 *			header's first 10 bytes at its end (test_70)
 *	anything else	answers "stderr_flood"
 *
 * A bad number answers 400 "stderr_flood: WHY".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#define FLOOD_MAX_SECONDS 60L
#define FLOOD_MAX_LINE (1024L * 1024)
#define FLOOD_MAX_RECORDS (100L * 1024 * 1024)
#define FLOOD_MAX_TINY (1024L * 1024)
/* The header buffer sizes ?straddle= aims at (nginx's is 4 KiB by default). */
#define FLOOD_MIN_STRADDLE 1024L
#define FLOOD_MAX_STRADDLE 65536L
/* Bytes of each FCGI_STDERR record ?records= sends. */
#define FLOOD_RECORD 1024
/* Bytes of lines put together before each write(2). */
#define FLOOD_BATCH 4096

static double flood_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes all of buf to fd 2; 0, or -1 when the pipe is gone. */
static int flood_write(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Lines for seconds seconds, a batch a write; returns how many were written whole. */
static unsigned long flood_lines(long seconds)
{
	char batch[FLOOD_BATCH];
	unsigned long written = 0;
	double until = flood_now() + (double)seconds;

	while (flood_now() < until) {
		size_t len = 0;
		unsigned long in_batch = 0;
		for (;;) {
			char line[64];
			int n = snprintf(line, sizeof(line), "stderr_flood line %lu\n",
			    written + in_batch + 1);
			if (len + (size_t)n > sizeof(batch))
				break;
			memcpy(batch + len, line, (size_t)n);
			len += (size_t)n;
			in_batch++;
		}
		if (flood_write(batch, len) < 0)
			break;
		written += in_batch;
	}
	return written;
}

/* One line of bytes bytes, then a short one. */
static int flood_long_line(long bytes)
{
	static const char head[] = "long line:";
	static const char after[] = "after the long line\n";
	char *line = malloc((size_t)bytes + 1);

	if (line == NULL)
		return -1;
	memset(line, 'x', (size_t)bytes);
	memcpy(line, head, bytes < (long)sizeof(head) - 1 ? (size_t)bytes : sizeof(head) - 1);
	line[bytes] = '\n';
	int rc = flood_write(line, (size_t)bytes + 1);
	free(line);
	if (rc == 0)
		rc = flood_write(after, sizeof(after) - 1);
	return rc;
}

/* bytes of FastCGI stderr, a record of FLOOD_RECORD bytes (one line) at a time. */
static void flood_records(FCGX_Stream *err, long bytes)
{
	char record[FLOOD_RECORD];

	memset(record, 'e', sizeof(record));
	record[sizeof(record) - 1] = '\n';
	for (long sent = 0; sent < bytes; sent += FLOOD_RECORD) {
		long n = bytes - sent < FLOOD_RECORD ? bytes - sent : FLOOD_RECORD;
		FCGX_PutStr(record, (int)n, err);
		FCGX_FFlush(err);
	}
}

/* An 8-byte FastCGI record header for the request, unpadded. */
static void flood_record_header(unsigned char *out, int type, int request_id, size_t len)
{
	out[0] = FCGI_VERSION_1;
	out[1] = (unsigned char)type;
	out[2] = (unsigned char)(request_id >> 8);
	out[3] = (unsigned char)request_id;
	out[4] = (unsigned char)(len >> 8);
	out[5] = (unsigned char)len;
	out[6] = 0;
	out[7] = 0;
}

/*
 * What a worker that logs before it answers sends when the web server is
 * slow to read, made exact: one write of an FCGI_STDERR record and the
 * STDOUT record of the answer, with the answer's header starting 10 bytes
 * before buffer_size. Returns 0, or -1 when it could not be written.
 */
static int flood_straddle(const FCGX_Request *req, long buffer_size)
{
	char answer[80];
	int answer_len = snprintf(answer, sizeof(answer),
	    "Content-Type: text/plain\r\n\r\nstraddle=%ld\n", buffer_size);
	size_t err_len = (size_t)buffer_size - 2 * FCGI_HEADER_LEN - 10;
	size_t total = FCGI_HEADER_LEN + err_len + FCGI_HEADER_LEN + (size_t)answer_len;
	unsigned char *out = malloc(total);

	if (out == NULL)
		return -1;
	flood_record_header(out, FCGI_STDERR, req->requestId, err_len);
	memset(out + FCGI_HEADER_LEN, 'e', err_len);
	out[FCGI_HEADER_LEN + err_len - 1] = '\n';
	flood_record_header(out + FCGI_HEADER_LEN + err_len, FCGI_STDOUT, req->requestId,
	    (size_t)answer_len);
	memcpy(out + 2 * FCGI_HEADER_LEN + err_len, answer, (size_t)answer_len);
	ssize_t n = write(req->ipcFd, out, total);
	free(out);
	return n == (ssize_t)total ? 0 : -1;
}

/* count FCGI_STDERR records of one byte each. */
static void flood_tiny_records(FCGX_Stream *err, long count)
{
	for (long i = 0; i < count; i++) {
		FCGX_PutChar('e', err);
		FCGX_FFlush(err);
	}
}

/* The number after name= in query, within 1..max; -1 if absent, -2 if bad. */
static long flood_query_number(const char *query, const char *name, long max)
{
	size_t name_len = strlen(name);

	if (strncmp(query, name, name_len) != 0 || query[name_len] != '=')
		return -1;
	char *end;
	errno = 0;
	long v = strtol(query + name_len + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == query + name_len + 1 || v < 1 || v > max)
		return -2;
	return v;
}

static void flood_answer(FCGX_Request *req)
{
	const char *query = FCGX_GetParam("QUERY_STRING", req->envp);
	long seconds, bytes, records, tiny, straddle;

	if (query == NULL)
		query = "";
	straddle = flood_query_number(query, "straddle", FLOOD_MAX_STRADDLE);
	if (straddle >= FLOOD_MIN_STRADDLE) {
		if (flood_straddle(req, straddle) < 0)
			FCGX_FPrintF(req->err, "stderr_flood: straddle not written\n");
		return;
	}
	seconds = flood_query_number(query, "flood", FLOOD_MAX_SECONDS);
	bytes = flood_query_number(query, "line", FLOOD_MAX_LINE);
	records = flood_query_number(query, "records", FLOOD_MAX_RECORDS);
	tiny = flood_query_number(query, "tiny", FLOOD_MAX_TINY);
	if (seconds == -2 || bytes == -2 || records == -2 || tiny == -2 || straddle != -1) {
		FCGX_FPrintF(req->out, "Status: 400\r\nContent-Type: text/plain\r\n\r\n"
		    "stderr_flood: flood must be 1..%ld, line 1..%ld, records 1..%ld, "
		    "tiny 1..%ld, straddle %ld..%ld\n", FLOOD_MAX_SECONDS, FLOOD_MAX_LINE,
		    FLOOD_MAX_RECORDS, FLOOD_MAX_TINY, FLOOD_MIN_STRADDLE, FLOOD_MAX_STRADDLE);
		return;
	}
	FCGX_FPrintF(req->out, "Content-Type: text/plain\r\n\r\n");
	if (seconds > 0)
		FCGX_FPrintF(req->out, "lines=%lu\n", flood_lines(seconds));
	else if (records > 0) {
		flood_records(req->err, records);
		FCGX_FPrintF(req->out, "records=%ld\n", records);
	} else if (tiny > 0) {
		flood_tiny_records(req->err, tiny);
		FCGX_FPrintF(req->out, "tiny=%ld\n", tiny);
	} else if (bytes > 0)
		FCGX_FPrintF(req->out, flood_long_line(bytes) == 0 ? "line=%ld\n" :
		    "line=%ld not written\n", bytes);
	else
		FCGX_FPrintF(req->out, "stderr_flood\n");
}

int main(void)
{
	FCGX_Request req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0)
		flood_answer(&req);
	FCGX_Free(&req, 1);
	return 0;
}
