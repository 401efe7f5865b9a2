/*
 * async_job.c: async jobs and their table by id (see async_job.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "async_job.h"
#include "callback_policy.h"

static size_t async_table_bucket(const struct async_table *t, const uint8_t *id);
static int async_table_rehash(struct async_table *t, size_t bucket_count);

struct async_job *async_job_new(const uint8_t *id, const char *function, size_t function_len)
{
	static const char hex[] = "0123456789abcdef";
	struct async_job *job = calloc(1, sizeof(*job));

	if (job == NULL || (job->function = strndup(function, function_len)) == NULL) {
		free(job);
		return NULL;
	}
	memcpy(job->id, id, JOURNAL_ID_LEN);
	for (size_t i = 0; i < JOURNAL_ID_LEN; i++) {
		job->id_hex[2 * i] = hex[id[i] >> 4];
		job->id_hex[2 * i + 1] = hex[id[i] & 15];
	}
	return job;
}

void async_job_free(struct async_job *job)
{
	if (job == NULL)
		return;
	free(job->function);
	free(job->callback_url);
	buf_free(&job->params);
	buf_free(&job->body);
	buf_free(&job->response);
	buf_free(&job->forward);
	buf_free(&job->pending_value);
	free(job);
}

/*
 * Keeps the job's X-Callback-Url (in callback_url, its delivery pending)
 * before its params are let go at its end. Accept checked it against the
 * allow list already. 0, or -1 when out of memory (the job delivers none).
 */
int async_job_take_callback(struct async_job *job)
{
	char url[CALLBACK_URL_MAX];

	if (job->callback_url != NULL ||
	    callback_url_param(buf_head(&job->params), buf_used(&job->params), url) != 1)
		return 0;
	job->callback_state = CALLBACK_PENDING;
	return (job->callback_url = strdup(url)) != NULL ? 0 : -1;
}

/* The ids are random: their first bytes hash well as they are. */
static size_t async_table_bucket(const struct async_table *t, const uint8_t *id)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	return (size_t)h & (t->bucket_count - 1);
}

int async_table_insert(struct async_table *t, struct async_job *job)
{
	if (t->count >= t->bucket_count &&
	    async_table_rehash(t, t->bucket_count ? t->bucket_count * 2 : ASYNC_TABLE_MIN) < 0)
		return -1;
	size_t b = async_table_bucket(t, job->id);
	job->hash_next = t->buckets[b];
	t->buckets[b] = job;
	t->count++;
	return 0;
}

/* Moves every job into n buckets (a power of two). 0 / -1 (out of memory). */
static int async_table_rehash(struct async_table *t, size_t n)
{
	struct async_job **buckets = calloc(n, sizeof(*buckets));

	if (buckets == NULL)
		return -1;
	struct async_table grown = { .buckets = buckets, .bucket_count = n };
	for (size_t i = 0; i < t->bucket_count; i++) {
		for (struct async_job *job = t->buckets[i], *next; job != NULL; job = next) {
			next = job->hash_next;
			size_t b = async_table_bucket(&grown, job->id);
			job->hash_next = buckets[b];
			buckets[b] = job;
		}
	}
	free(t->buckets);
	t->buckets = buckets;
	t->bucket_count = n;
	return 0;
}

struct async_job *async_table_find(const struct async_table *t, const uint8_t *id)
{
	if (t->bucket_count == 0)
		return NULL;
	for (struct async_job *job = t->buckets[async_table_bucket(t, id)]; job != NULL;
	     job = job->hash_next) {
		if (memcmp(job->id, id, JOURNAL_ID_LEN) == 0)
			return job;
	}
	return NULL;
}

void async_table_remove(struct async_table *t, struct async_job *job)
{
	for (struct async_job **link = &t->buckets[async_table_bucket(t, job->id)]; *link != NULL;
	     link = &(*link)->hash_next) {
		if (*link == job) {
			*link = job->hash_next;
			t->count--;
			/* Back down after a burst; failing to is harmless. */
			if (t->bucket_count > ASYNC_TABLE_MIN && t->count < t->bucket_count / 8)
				(void)async_table_rehash(t, t->bucket_count / 2);
			return;
		}
	}
}

void async_table_free(struct async_table *t)
{
	for (size_t i = 0; i < t->bucket_count; i++) {
		for (struct async_job *job = t->buckets[i], *next; job != NULL; job = next) {
			next = job->hash_next;
			async_job_free(job);
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

int async_id_parse(const char *hex, size_t len, uint8_t *id)
{
	if (len != ASYNC_ID_HEX_LEN)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = hex[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0)
			return -1;
		if (i % 2 == 0)
			id[i / 2] = (uint8_t)(v << 4);
		else
			id[i / 2] |= (uint8_t)v;
	}
	return 0;
}

uint64_t async_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The status a CGI-style response gives: its Status header, else 200 (0 for
 * no response; 200 for a Status that is not three digits, 1xx to 5xx).
 * Reads no byte past len: the response need not end a line.
 */
bool async_response_line(const uint8_t *response, size_t len, size_t off,
    struct async_header_line *l)
{
	const uint8_t *nl = off < len ? memchr(response + off, '\n', len - off) : NULL;
	size_t end = nl != NULL ? (size_t)(nl - response) : len;

	l->start = off < len ? off : len;
	l->next = nl != NULL ? end + 1 : len;
	l->len = end > l->start && response[end - 1] == '\r' ? end - 1 - l->start : end - l->start;
	return l->start < len && l->len > 0;
}

uint16_t async_response_status(const uint8_t *response, size_t len)
{
	const char *p = (const char *)response;
	struct async_header_line l;

	for (size_t off = 0; async_response_line(response, len, off, &l); off = l.next) {
		if (l.len < 10 || strncasecmp(p + l.start, "Status:", 7) != 0)
			continue;
		const char *s = p + l.start + 7, *end = p + l.start + l.len;
		while (s < end && *s == ' ')
			s++;
		if (end - s >= 3 && s[0] >= '1' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' &&
		    s[2] >= '0' && s[2] <= '9')
			return (uint16_t)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
	}
	return len > 0 ? 200 : 0;
}

/*
 * Seconds on CLOCK_MONOTONIC, what async.result_ttl is counted on: unlike
 * the wall clock (and ev_now(), which libev resyncs to it every half
 * second), a step of the system time does not move it.
 */
ev_tstamp async_monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ev_tstamp)ts.tv_sec + (ev_tstamp)ts.tv_nsec / 1e9;
}
