/*
 * check_job_value.c: unit tests for what async.backend = nats keeps in
 * JetStream and reads back: a job's value in the bucket
 * (gatewayd/job_value.c) and the contents of nats.credentials
 * (gatewayd/nats_credentials.c). Both come from outside the process (any
 * node's write, an operator's file): malformed input must be refused, never
 * half-read.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_value.h"
#include "nats_credentials.h"

/* A finished job with a response holding a newline and a NUL. */
static struct job_value sample(void)
{
	static const uint8_t response[] = "Status: 201\r\nContent-Type: text/plain\r\n\r\nline\n\0end";
	struct job_value v = {
		.state = JOB_VALUE_SUCCEEDED, .truncated = true, .attempts = 3,
		.created_ms = 1796417809789ULL, .started_ms = 1796417809790ULL,
		.finished_ms = 1796417809999ULL, .status = 201,
		.response = response, .response_len = sizeof(response) - 1,
	};

	strcpy(v.function, "hello.v2");
	strcpy(v.node, "host-a/4242");
	return v;
}

START_TEST(test_round_trip)
{
	struct job_value v = sample(), back;
	struct buf out = { 0 };

	ck_assert_int_eq(job_value_encode(&v, &out), 0);
	ck_assert_int_eq(job_value_decode(buf_head(&out), buf_used(&out), &back), 0);
	ck_assert_str_eq(back.function, "hello.v2");
	ck_assert_str_eq(back.node, "host-a/4242");
	ck_assert_int_eq(back.state, JOB_VALUE_SUCCEEDED);
	ck_assert(back.truncated);
	ck_assert(!back.canceled);
	ck_assert_uint_eq(back.attempts, 3);
	ck_assert_uint_eq(back.created_ms, v.created_ms);
	ck_assert_uint_eq(back.started_ms, v.started_ms);
	ck_assert_uint_eq(back.finished_ms, v.finished_ms);
	ck_assert_uint_eq(back.status, 201);
	ck_assert_uint_eq(back.response_len, v.response_len);
	ck_assert_mem_eq(back.response, v.response, v.response_len);
	buf_free(&out);
}
END_TEST

/* Every state, and no response at all. */
START_TEST(test_states_without_response)
{
	struct buf out = { 0 };

	for (int s = JOB_VALUE_QUEUED; s <= JOB_VALUE_FAILED; s++) {
		struct job_value v = { .state = (enum job_value_state)s, .canceled = s == JOB_VALUE_FAILED };
		struct job_value back;
		strcpy(v.function, "f");
		ck_assert_int_eq(job_value_encode(&v, &out), 0);
		ck_assert_int_eq(job_value_decode(buf_head(&out), buf_used(&out), &back), 0);
		ck_assert_int_eq(back.state, s);
		ck_assert_int_eq(back.canceled, s == JOB_VALUE_FAILED);
		ck_assert_uint_eq(back.response_len, 0);
	}
	buf_free(&out);
}
END_TEST

/* Decodes text (without its NUL) into v. */
static int decode(const char *text, struct job_value *v)
{
	return job_value_decode((const uint8_t *)text, strlen(text), v);
}

#define FIELDS_AFTER_STATE "\"canceled\":false,\"truncated\":false,\"attempts\":1," \
	"\"created_ms\":1,\"started_ms\":2,\"finished_ms\":3,\"status\":200,\"node\":\"n\"}\n"

START_TEST(test_malformed_refused)
{
	static const char *const bad[] = {
		"",						/* nothing */
		"{\"function\":\"f\"}",				/* no newline: no end of the JSON line */
		"not json\nbody",
		"{\"function\":\"f\",\"state\":\"queued\"}\n",	/* fields missing */
		"{\"function\":\"f\",\"state\":\"lost\"," FIELDS_AFTER_STATE,	/* unknown state */
		"{\"function\":\"\",\"state\":\"queued\"," FIELDS_AFTER_STATE,	/* no function */
		"{\"function\":7,\"state\":\"queued\"," FIELDS_AFTER_STATE,	/* wrong type */
		"{\"function\":\"f\",\"function\":\"g\",\"state\":\"queued\"," FIELDS_AFTER_STATE,
		"{\"function\":\"f\",\"state\":\"queued\",\"canceled\":false,\"truncated\":false,"
		    "\"attempts\":-1,\"created_ms\":1,\"started_ms\":2,\"finished_ms\":3,"
		    "\"status\":200,\"node\":\"n\"}\n",		/* negative attempts */
		"{\"function\":\"f\",\"state\":\"queued\",\"canceled\":false,\"truncated\":false,"
		    "\"attempts\":1,\"created_ms\":1,\"started_ms\":2,\"finished_ms\":3,"
		    "\"status\":1000,\"node\":\"n\"}\n",		/* not an HTTP status */
	};
	struct job_value v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(decode(bad[i], &v) == -1, "accepted: %s", bad[i]);
	ck_assert_int_eq(decode("{\"function\":\"f\",\"state\":\"queued\"," FIELDS_AFTER_STATE, &v), 0);
}
END_TEST

/* A function name longer than the struct holds is refused, not cut. */
START_TEST(test_long_function_refused)
{
	char text[1024];
	char name[JOB_VALUE_FUNCTION_MAX + 1];
	struct job_value v;

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text), "{\"function\":\"%s\",\"state\":\"queued\"," FIELDS_AFTER_STATE,
	    name);
	ck_assert_int_eq(decode(text, &v), -1);
}
END_TEST

START_TEST(test_credentials_creds_file)
{
	static const char creds[] =
	    "-----BEGIN NATS USER JWT-----\n"
	    "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.payload.sig\n"
	    "------END NATS USER JWT------\n"
	    "\n"
	    "************************* IMPORTANT *************************\n"
	    "NKEY Seed printed below can be used to sign and prove identity.\n"
	    "\n"
	    "-----BEGIN USER NKEY SEED-----\n"
	    "  SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU  \r\n"
	    "------END USER NKEY SEED------\n";
	struct nats_credentials c;
	char err[256];

	ck_assert_int_eq(nats_credentials_parse(creds, strlen(creds), &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.jwt, "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.payload.sig");
	ck_assert_str_eq(c.seed, "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU");
	ck_assert_ptr_null(c.token);
	nats_credentials_free(&c);
	ck_assert_ptr_null(c.jwt);
	ck_assert_ptr_null(c.seed);
}
END_TEST

START_TEST(test_credentials_token)
{
	static const char text[] = "\n  s3cr3t-token \t\nignored second line\n";
	struct nats_credentials c;
	char err[256];

	ck_assert_int_eq(nats_credentials_parse(text, strlen(text), &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.token, "s3cr3t-token");
	ck_assert_ptr_null(c.jwt);
	nats_credentials_free(&c);
}
END_TEST

START_TEST(test_credentials_refused)
{
	static const char no_seed[] = "-----BEGIN NATS USER JWT-----\neyJ.x.y\n------END NATS USER JWT------\n";
	static const char empty_jwt[] = "-----BEGIN NATS USER JWT-----\n------END NATS USER JWT------\n"
	    "-----BEGIN USER NKEY SEED-----\nSUA\n------END USER NKEY SEED------\n";
	static const char nul[] = "tok\0en";
	struct nats_credentials c;
	char err[256];

	ck_assert_int_eq(nats_credentials_parse(no_seed, strlen(no_seed), &c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "SEED"));
	ck_assert_int_eq(nats_credentials_parse(empty_jwt, strlen(empty_jwt), &c, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(nats_credentials_parse(" \n\t\n", 4, &c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
	ck_assert_int_eq(nats_credentials_parse(nul, sizeof(nul) - 1, &c, err, sizeof(err)), -1);
	ck_assert_ptr_null(c.token);
}
END_TEST

START_TEST(test_credentials_missing_file)
{
	struct nats_credentials c = { 0 };
	char err[256];

	ck_assert_int_eq(nats_credentials_read("/nonexistent/nats.creds", &c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/nats.creds"));
}
END_TEST

static Suite *job_value_suite(void)
{
	Suite *s = suite_create("job_value");
	TCase *tc = tcase_create("value");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_states_without_response);
	tcase_add_test(tc, test_malformed_refused);
	tcase_add_test(tc, test_long_function_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("credentials");
	tcase_add_test(tc, test_credentials_creds_file);
	tcase_add_test(tc, test_credentials_token);
	tcase_add_test(tc, test_credentials_refused);
	tcase_add_test(tc, test_credentials_missing_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(job_value_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
