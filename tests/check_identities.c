/*
 * check_identities.c: who gatewayd and the workers run as (identities.c):
 * the dynamic uid allocation (stable, in range, distinct, past taken ids,
 * independent of the order of the sections) and the refusals (a function
 * with gatewayd's own user, user = when gatewayd is not root, a full range,
 * [global] user = root). Configurations are built in memory: the allocation
 * reads names, users and where each section stands, nothing else.
 */
#include "identities.h"

#include <check.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIRST 3500000000u	/* beyond every account a test machine has */
#define LAST (FIRST + 999u)

#define FUNCTIONS_MAX 8

struct fixture {
	struct gateway_conf conf;
	struct function_conf functions[FUNCTIONS_MAX];
	char names[FUNCTIONS_MAX][32];
};

/* A configuration of count functions named by names[], none with a user. */
static void fixture_init(struct fixture *f, const char *const *names, size_t count)
{
	memset(f, 0, sizeof(*f));
	f->conf.functions = f->functions;
	f->conf.function_count = count;
	f->conf.dynamic_users.first = FIRST;
	f->conf.dynamic_users.last = LAST;
	for (size_t i = 0; i < count; i++) {
		snprintf(f->names[i], sizeof(f->names[i]), "%s", names[i]);
		f->functions[i].name = f->names[i];
		f->functions[i].file = "test.ini";
		f->functions[i].line = (unsigned)(10 * (i + 1));
	}
}

/* Gives function i the user uid (gid the same), as user = would. */
static void fixture_user(struct fixture *f, size_t i, uid_t uid)
{
	f->functions[i].sandbox.identity = (struct conf_identity){ .set = true, .user = "someone",
							   .uid = uid, .gid = uid };
}

/* The policy of a root start with a dynamic daemon. */
static struct identity_policy root_policy(const struct fixture *f)
{
	struct identity_policy p;
	char err[512];

	ck_assert_int_eq(identity_policy_init(&p, &f->conf, true, err, sizeof(err)), 0);
	return p;
}

static bool taken_none(void *ctx, uid_t id)
{
	(void)ctx;
	(void)id;
	return false;
}

/* Taken: every id below the one ctx points to. */
static bool taken_below(void *ctx, uid_t id)
{
	return id < *(const uid_t *)ctx;
}

START_TEST(test_pick_stable_and_in_range)
{
	const char *names[] = { "hello", "echo", "orders", "a", "track-package" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uid_t a = identity_pick(names[i], FIRST, LAST, taken_none, NULL);
		ck_assert_uint_ge(a, FIRST);
		ck_assert_uint_le(a, LAST);
		ck_assert_uint_eq(a, identity_pick(names[i], FIRST, LAST, taken_none, NULL));
	}
	ck_assert_uint_ne(identity_pick("hello", FIRST, LAST, taken_none, NULL),
	    identity_pick("echo", FIRST, LAST, taken_none, NULL));
}
END_TEST

START_TEST(test_pick_skips_taken_and_wraps)
{
	uid_t free_from = LAST;

	/* Everything but LAST taken: LAST, whatever the hash says. */
	ck_assert_uint_eq(identity_pick("hello", FIRST, LAST, taken_below, &free_from), LAST);
	free_from = LAST + 1;
	ck_assert_uint_eq(identity_pick("hello", FIRST, LAST, taken_below, &free_from), (uid_t)-1);
	/* A range of one id. */
	ck_assert_uint_eq(identity_pick("x", FIRST, FIRST, taken_none, NULL), FIRST);
}
END_TEST

START_TEST(test_assign_distinct_and_order_free)
{
	const char *names[] = { "hello", "echo", "orders", "php-hello", "track" };
	const char *reversed[] = { "track", "php-hello", "orders", "echo", "hello" };
	struct fixture f, g;
	char err[1024] = "";

	fixture_init(&f, names, 5);
	fixture_init(&g, reversed, 5);
	struct identity_policy p = root_policy(&f);
	ck_assert(p.daemon_dynamic);
	ck_assert_uint_ge(p.daemon_uid, FIRST);
	ck_assert_uint_le(p.daemon_uid, LAST);
	ck_assert_uint_eq(identities_assign(&f.conf, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(identities_assign(&g.conf, &p, err, sizeof(err)), 0);
	for (size_t i = 0; i < 5; i++) {
		const struct run_identity *r = &f.functions[i].sandbox.runs_as;
		ck_assert(r->dynamic);
		ck_assert_uint_eq(r->gid, r->uid);
		ck_assert_uint_ne(r->uid, p.daemon_uid);
		ck_assert_uint_ge(r->uid, FIRST);
		ck_assert_uint_le(r->uid, LAST);
		for (size_t j = 0; j < i; j++)
			ck_assert_uint_ne(r->uid, f.functions[j].sandbox.runs_as.uid);
		/* The same name gets the same uid whatever the order of the sections. */
		ck_assert_uint_eq(r->uid, g.functions[4 - i].sandbox.runs_as.uid);
	}
}
END_TEST

/* A collision is resolved the same way whatever the order: by name. */
START_TEST(test_assign_collision_by_name)
{
	const char *names[] = { "b", "a" };
	struct fixture f;
	char err[512] = "";

	fixture_init(&f, names, 2);
	f.conf.dynamic_users.first = FIRST;
	f.conf.dynamic_users.last = FIRST + 2;	/* daemon, a, b: one id each */
	struct identity_policy p = root_policy(&f);
	ck_assert_uint_eq(identities_assign(&f.conf, &p, err, sizeof(err)), 0);
	uid_t a = f.functions[1].sandbox.runs_as.uid, b = f.functions[0].sandbox.runs_as.uid;
	ck_assert_uint_ne(a, b);
	ck_assert_uint_ne(a, p.daemon_uid);
	ck_assert_uint_ne(b, p.daemon_uid);
	const char *swapped[] = { "a", "b" };
	struct fixture g;
	fixture_init(&g, swapped, 2);
	g.conf.dynamic_users.last = FIRST + 2;
	ck_assert_uint_eq(identities_assign(&g.conf, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(g.functions[0].sandbox.runs_as.uid, a);
	ck_assert_uint_eq(g.functions[1].sandbox.runs_as.uid, b);
	/* Full: a third function finds no id. */
	const char *three[] = { "a", "b", "c" };
	fixture_init(&f, three, 3);
	f.conf.dynamic_users.last = FIRST + 2;
	p = root_policy(&f);
	ck_assert_uint_eq(identities_assign(&f.conf, &p, err, sizeof(err)), 1);
	ck_assert_msg(strstr(err, "no uid left") != NULL, "%s", err);
}
END_TEST

START_TEST(test_assign_explicit_users)
{
	const char *names[] = { "own", "dyn" };
	struct fixture f;
	char err[512] = "";

	fixture_init(&f, names, 2);
	fixture_user(&f, 0, FIRST + 7);
	struct identity_policy p = root_policy(&f);
	ck_assert_uint_eq(identities_assign(&f.conf, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(f.functions[0].sandbox.runs_as.uid, FIRST + 7);
	ck_assert(!f.functions[0].sandbox.runs_as.dynamic);
	/* A numeric user = inside the range is taken: no dynamic one gets it. */
	ck_assert_uint_ne(f.functions[1].sandbox.runs_as.uid, FIRST + 7);
}
END_TEST

START_TEST(test_refuse_daemon_user)
{
	const char *names[] = { "fn" };
	struct fixture f;
	char err[512] = "";

	fixture_init(&f, names, 1);
	f.conf.identity = (struct conf_identity){ .set = true, .user = "gw", .uid = 4242,
						  .gid = 4242 };
	struct identity_policy p = root_policy(&f);
	ck_assert_uint_eq(p.daemon_uid, 4242);
	ck_assert(!p.daemon_dynamic);
	fixture_user(&f, 0, 4242);
	ck_assert_uint_eq(identities_assign(&f.conf, &p, err, sizeof(err)), 1);
	ck_assert_msg(strstr(err, "test.ini:10: [fn]: user = someone is gatewayd's own user") == err,
	    "%s", err);
}
END_TEST

START_TEST(test_not_root)
{
	const char *names[] = { "fn", "other" };
	struct identity_policy p;
	struct fixture f;
	char err[512] = "";

	fixture_init(&f, names, 2);
	ck_assert_int_eq(identity_policy_init(&p, &f.conf, false, err, sizeof(err)), 0);
	ck_assert(!p.separate);
	ck_assert_uint_eq(p.daemon_uid, geteuid());
	ck_assert_uint_eq(identities_assign(&f.conf, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(f.functions[0].sandbox.runs_as.uid, geteuid());
	ck_assert(!f.functions[0].sandbox.runs_as.dynamic);
	fixture_user(&f, 1, FIRST + 1);
	ck_assert_uint_eq(identities_assign(&f.conf, &p, err, sizeof(err)), 1);
	ck_assert_msg(strstr(err, "not started as root") != NULL, "%s", err);
}
END_TEST

START_TEST(test_global_root_refused)
{
	struct identity_policy p;
	struct fixture f;
	char err[512] = "";

	fixture_init(&f, NULL, 0);
	f.conf.identity = (struct conf_identity){ .set = true, .user = "root" };
	ck_assert_int_eq(identity_policy_init(&p, &f.conf, true, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "[global] user = root") != NULL, "%s", err);
}
END_TEST

/* Ids with a passwd entry are never handed out (a range of root's uid alone: all taken). */
START_TEST(test_accounts_skipped)
{
	struct identity_policy p;
	struct fixture f;
	char err[512] = "";
	struct passwd *pw = getpwnam("root");

	ck_assert_ptr_nonnull(pw);
	fixture_init(&f, NULL, 0);
	f.conf.dynamic_users.first = f.conf.dynamic_users.last = pw->pw_uid;
	ck_assert_int_eq(identity_policy_init(&p, &f.conf, true, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no uid left for gatewayd") != NULL, "%s", err);
}
END_TEST

static Suite *identities_suite(void)
{
	Suite *s = suite_create("identities");
	TCase *tc = tcase_create("allocation");

	tcase_add_test(tc, test_pick_stable_and_in_range);
	tcase_add_test(tc, test_pick_skips_taken_and_wraps);
	tcase_add_test(tc, test_assign_distinct_and_order_free);
	tcase_add_test(tc, test_assign_collision_by_name);
	tcase_add_test(tc, test_assign_explicit_users);
	tcase_add_test(tc, test_refuse_daemon_user);
	tcase_add_test(tc, test_not_root);
	tcase_add_test(tc, test_global_root_refused);
	tcase_add_test(tc, test_accounts_skipped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(identities_suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
