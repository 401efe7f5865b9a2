/*
 * check_socket_activation.c: unit tests for gatewayd/socket_activation.c:
 * a table of listen addresses against socket addresses (unix paths, IPv4,
 * IPv6, wildcards, ports), and the protocol itself on real sockets put on
 * fds 3 and 4: taken only for our pid, the variables removed, claimed by
 * address and role once, an unclaimed one named, another socket on the
 * same fd number not mistaken for the inherited one.
 */
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "socket_activation.h"

/* One socket address: a unix path, or an IP literal (v4 or v6) and a port. */
struct sa_case {
	const char *address;	/* as listen = has it */
	const char *path;	/* the socket's unix path, or NULL */
	const char *ip;		/* else its IP literal */
	unsigned port;
	bool same;
};

static const struct sa_case cases[] = {
	{ "/run/gatewayd/gatewayd.sock", "/run/gatewayd/gatewayd.sock", NULL, 0, true },
	{ "/run/gatewayd/gatewayd.sock", "/run/gatewayd/gatewayd.sock2", NULL, 0, false },
	{ "/run/gatewayd/gatewayd.sock", "/run/gatewayd/gatewayd.soc", NULL, 0, false },
	{ "/run/gatewayd/gatewayd.sock", "/run/other.sock", NULL, 0, false },
	{ "/run/gatewayd/gatewayd.sock", NULL, "127.0.0.1", 9000, false },
	{ "127.0.0.1:9000", NULL, "127.0.0.1", 9000, true },
	{ "127.0.0.1:9000", NULL, "127.0.0.1", 9001, false },
	{ "127.0.0.1:9000", NULL, "127.0.0.2", 9000, false },
	{ "127.0.0.1:9000", NULL, "0.0.0.0", 9000, false },
	{ "127.0.0.1:9000", NULL, "::1", 9000, false },
	{ "127.0.0.1:9000", "127.0.0.1:9000", NULL, 0, false },
	{ "0.0.0.0:9000", NULL, "0.0.0.0", 9000, true },
	{ ":9000", NULL, "0.0.0.0", 9000, true },
	{ ":9000", NULL, "::", 9000, true },
	{ ":9000", NULL, "127.0.0.1", 9000, false },
	{ "[::1]:9000", NULL, "::1", 9000, true },
	{ "[::1]:9000", NULL, "::1", 9001, false },
	{ "[::1]:9000", NULL, "127.0.0.1", 9000, false },
	{ "[::]:9000", NULL, "::", 9000, true },
	{ "no-port", NULL, "127.0.0.1", 9000, false },
};

/* The case's socket address in ss; its length. */
static socklen_t case_sockaddr(const struct sa_case *c, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (c->path != NULL) {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, c->path);
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(c->path) + 1);
	}
	if (strchr(c->ip, ':') == NULL) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)c->port);
		ck_assert_int_eq(inet_pton(AF_INET, c->ip, &in->sin_addr), 1);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons((uint16_t)c->port);
	ck_assert_int_eq(inet_pton(AF_INET6, c->ip, &in6->sin6_addr), 1);
	return sizeof(*in6);
}

START_TEST(match_table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sa_case *c = &cases[i];
		struct sockaddr_storage ss;
		socklen_t len = case_sockaddr(c, &ss);
		ck_assert_msg(socket_activation_match(c->address, (struct sockaddr *)&ss, len) ==
		    c->same, "%s against %s%s port %u: expected %s", c->address,
		    c->path != NULL ? c->path : "", c->ip != NULL ? c->ip : "", c->port,
		    c->same ? "a match" : "no match");
	}
}
END_TEST

/*
 * The protocol's tests run in a forked child of the test: fds 3 and 4 are
 * Check's own in the test process. The child reports the first line whose
 * expectation failed through its exit status (and on stderr).
 */
#define EXPECT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
		_exit(1); \
	} \
} while (0)

/* A listening unix socket at path, moved to fd. */
static void listen_on(const char *path, int fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	EXPECT(s >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	EXPECT(bind(s, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	EXPECT(listen(s, 4) == 0);
	EXPECT(dup2(s, fd) == fd);
	if (s != fd)
		close(s);
}

/* Sockets at paths a and b on fds 3 and 4, and the variables for them. */
static void hand_over(char *a, char *b, size_t len, const char *names)
{
	char pid[32];

	snprintf(a, len, "/tmp/check_sa_%d.a", (int)getpid());
	snprintf(b, len, "/tmp/check_sa_%d.b", (int)getpid());
	listen_on(a, 3);
	listen_on(b, 4);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "2", 1);
	if (names != NULL)
		setenv("LISTEN_FDNAMES", names, 1);
}

/* Runs body in a child; the test fails unless it exits 0. */
static void in_child(void (*body)(char *a, char *b))
{
	char a[108], b[108];
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		snprintf(a, sizeof(a), "/tmp/check_sa_%d.a", (int)getpid());
		snprintf(b, sizeof(b), "/tmp/check_sa_%d.b", (int)getpid());
		body(a, b);
		unlink(a);
		unlink(b);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the child failed (its stderr says where)");
}

static void take_and_claim_body(char *a, char *b)
{
	char err[512];

	hand_over(a, b, 108, "listen:admin");
	socket_activation_take();
	EXPECT(getenv("LISTEN_PID") == NULL);
	EXPECT(getenv("LISTEN_FDS") == NULL);
	EXPECT(getenv("LISTEN_FDNAMES") == NULL);
	EXPECT((fcntl(3, F_GETFD) & FD_CLOEXEC) == FD_CLOEXEC);
	EXPECT((fcntl(3, F_GETFL) & O_NONBLOCK) == O_NONBLOCK);
	EXPECT(socket_activation_check_claimed(err, sizeof(err)) == -1);
	EXPECT(strstr(err, "fd 3 (named listen, ") != NULL);
	/* b is named admin: a listen = entry cannot have it. */
	EXPECT(socket_activation_claim(SOCKET_ACTIVATION_LISTEN, b) == -1);
	EXPECT(socket_activation_claim(SOCKET_ACTIVATION_LISTEN, "/tmp/none.sock") == -1);
	EXPECT(socket_activation_claim(SOCKET_ACTIVATION_LISTEN, a) == 3);
	EXPECT(socket_activation_claim(SOCKET_ACTIVATION_LISTEN, a) == -1);
	EXPECT(socket_activation_check_claimed(err, sizeof(err)) == -1);
	EXPECT(strstr(err, "fd 4 (named admin, ") != NULL && strstr(err, b) != NULL);
	EXPECT(socket_activation_claim(SOCKET_ACTIVATION_ADMIN, b) == 4);
	EXPECT(socket_activation_check_claimed(err, sizeof(err)) == 0);
	EXPECT(socket_activation_inherited(3));
	/* Another socket on fd 3 is gatewayd's own. */
	close(3);
	listen_on(a, 3);
	EXPECT(!socket_activation_inherited(3));
}

START_TEST(take_and_claim)
{
	in_child(take_and_claim_body);
}
END_TEST

static void other_pid_body(char *a, char *b)
{
	char err[512];

	hand_over(a, b, 108, NULL);
	setenv("LISTEN_PID", "1", 1);
	socket_activation_take();
	EXPECT(getenv("LISTEN_PID") == NULL);
	EXPECT(getenv("LISTEN_FDS") == NULL);
	EXPECT(socket_activation_claim(SOCKET_ACTIVATION_LISTEN, a) == -1);
	EXPECT(socket_activation_check_claimed(err, sizeof(err)) == 0);
	EXPECT(!socket_activation_inherited(3));
}

START_TEST(other_pid_not_taken)
{
	in_child(other_pid_body);
}
END_TEST

static void unnamed_body(char *a, char *b)
{
	char err[512];

	hand_over(a, b, 108, "gatewayd.socket:gatewayd.socket");
	socket_activation_take();
	EXPECT(socket_activation_claim(SOCKET_ACTIVATION_ADMIN, b) == 4);
	EXPECT(socket_activation_claim(SOCKET_ACTIVATION_LISTEN, a) == 3);
	EXPECT(socket_activation_check_claimed(err, sizeof(err)) == 0);
}

START_TEST(unnamed_serve_any_role)
{
	in_child(unnamed_body);
}
END_TEST

static Suite *socket_activation_suite(void)
{
	Suite *s = suite_create("socket_activation");
	TCase *tc = tcase_create("socket_activation");

	tcase_add_test(tc, match_table);
	tcase_add_test(tc, take_and_claim);
	tcase_add_test(tc, other_pid_not_taken);
	tcase_add_test(tc, unnamed_serve_any_role);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(socket_activation_suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
