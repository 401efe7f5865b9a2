/*
 * clock_step.c: an LD_PRELOAD shim that steps one process's wall clock, so
 * that a test can see what a step of the system time (NTP, an operator's
 * `date -s`) does to gatewayd without touching the machine's clock.
 *
 * While the file named by CLOCK_STEP_FILE exists, CLOCK_REALTIME (through
 * clock_gettime(), gettimeofday() and time()) reads CLOCK_STEP_SECONDS
 * later. CLOCK_MONOTONIC and the other clocks are left as they are.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long clock_step_seconds(void);

/* The step now in force: CLOCK_STEP_SECONDS while CLOCK_STEP_FILE exists, else 0. */
static long clock_step_seconds(void)
{
	const char *file = getenv("CLOCK_STEP_FILE");
	const char *seconds = getenv("CLOCK_STEP_SECONDS");

	if (file == NULL || seconds == NULL || access(file, F_OK) != 0)
		return 0;
	return strtol(seconds, NULL, 10);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "clock_gettime");
	int rc = real(id, ts);
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += clock_step_seconds();
	return rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t time(time_t *out)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (out != NULL)
		*out = ts.tv_sec;
	return ts.tv_sec;
}
