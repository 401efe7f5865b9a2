/*
 * fuzz_spawner.c: libFuzzer target for the spawner's message codec
 * (fcgi-pool/spawner_proto.c), which decodes what the unprivileged daemon
 * sends to the root spawner.
 *
 * Every input is one datagram. When it decodes, every pointer it yields
 * must lie inside the input, encoding the result must give the input back
 * byte for byte, a SPAWN's environment must split into strings inside its
 * data, and a LOADED reply's entries must walk to its end. Any disagreement
 * aborts, which libFuzzer reports as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spawner_proto.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[SPAWNER_MSG_MAX];
static const char *strings[SPAWNER_ENV_MAX];

/* Whether p[0..n) lies inside base[0..len). */
static int inside(const void *p, size_t n, const uint8_t *base, size_t len)
{
	const uint8_t *q = p;

	return q >= base && q <= base + len && n <= (size_t)(base + len - q);
}

static void check_entries(const uint8_t *p, size_t len)
{
	struct spawner_function f;
	ssize_t n;

	while ((n = spawner_function_decode(p, len, &f)) > 0) {
		CHECK((size_t)n <= len && inside(f.name, f.name_len, p, len));
		p += n;
		len -= (size_t)n;
	}
	CHECK(n == 0 && len == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spawner_msg m;

	if (spawner_msg_decode(data, size, &m) < 0)
		return 0;
	CHECK(inside(m.name, m.name_len, data, size) && inside(m.data, m.data_len, data, size));
	CHECK(spawner_msg_encode(&m, out, sizeof(out)) == size && memcmp(out, data, size) == 0);
	if (m.type == SPAWNER_SPAWN) {
		ssize_t n = spawner_env_split(m.data, m.data_len, strings, SPAWNER_ENV_MAX);
		for (ssize_t i = 0; i < n; i++)
			CHECK(inside(strings[i], strlen(strings[i]) + 1, m.data, m.data_len));
	}
	if (m.type == SPAWNER_LOADED)
		check_entries(m.data, m.data_len);
	return 0;
}
