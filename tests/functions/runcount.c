/*
 * runcount: a FastCGI function that says on its stderr each time it runs a
 * request, for the tests of what runs again after a worker died (test_66,
 * test_67). Built by `make check` into build/tests/runcount; never
 * installed.
 *
 * For each request it writes the line "runcount ran METHOD QUERY_STRING"
 * to fd 2 (gatewayd logs it with the function's name), reads the body,
 * sleeps ?sleep_ms=N milliseconds (0..60000, the first thing in the query),
 * then answers 200 text/plain "ran".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <fcgiapp.h>

#define RUNCOUNT_MAX_SLEEP 60000L

/* ?sleep_ms=N at the head of the query, else 0. */
static long runcount_sleep_ms(const char *query)
{
	long ms = 0;

	if (query != NULL && sscanf(query, "sleep_ms=%ld", &ms) == 1 && ms > 0 &&
	    ms <= RUNCOUNT_MAX_SLEEP)
		return ms;
	return 0;
}

int main(void)
{
	FCGX_Stream *in, *out, *err;
	FCGX_ParamArray envp;

	while (FCGX_Accept(&in, &out, &err, &envp) >= 0) {
		const char *method = FCGX_GetParam("REQUEST_METHOD", envp);
		const char *query = FCGX_GetParam("QUERY_STRING", envp);

		fprintf(stderr, "runcount ran %s %s\n", method ? method : "-", query ? query : "");
		fflush(stderr);
		while (FCGX_GetChar(in) != EOF)
			;
		long ms = runcount_sleep_ms(query);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		FCGX_FPrintF(out, "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nran\n");
	}
	return 0;
}
