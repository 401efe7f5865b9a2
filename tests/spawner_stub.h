/*
 * spawner_stub.h: a spawner table for tests and benchmarks, in place of
 * gatewayd's own (gatewayd/spawner_table.c, which reads a configuration):
 * the functions of stub_functions[] (set before spawner_start() forks), in
 * generation 1; LOAD describes them with digest 0 and the caller's ids.
 * Static, one copy per program; include it once.
 */
#ifndef TESTS_SPAWNER_STUB_H
#define TESTS_SPAWNER_STUB_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spawner.h"

/* One function the stub table holds. */
struct stub_function {
	const char *name;
	const struct spawn_spec *spec;
};

static const struct stub_function *stub_functions;
static size_t stub_function_count;

static int stub_load(void *ctx, uint32_t *generation, struct buf *functions, char *err,
    size_t err_len)
{
	(void)ctx;
	for (size_t i = 0; i < stub_function_count; i++) {
		struct spawner_function f = { .name = stub_functions[i].name,
					      .name_len = strlen(stub_functions[i].name),
					      .uid = (uint32_t)getuid(), .gid = (uint32_t)getgid() };
		uint8_t *tail = buf_reserve(functions, spawner_function_size(&f));
		if (tail == NULL) {
			snprintf(err, err_len, "out of memory");
			return -1;
		}
		functions->len += spawner_function_encode(&f, tail);
	}
	*generation = 1;
	return 0;
}

static const struct spawn_spec *stub_find(void *ctx, uint32_t generation, const char *name,
    size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < stub_function_count && generation == 1; i++) {
		if (strlen(stub_functions[i].name) == len && memcmp(stub_functions[i].name, name, len) == 0)
			return stub_functions[i].spec;
	}
	return NULL;
}

static void stub_release(void *ctx, uint32_t generation)
{
	(void)ctx;
	(void)generation;
}

static const struct spawner_table_ops stub_table = {
	.load = stub_load, .find = stub_find, .release = stub_release,
};

#endif /* TESTS_SPAWNER_STUB_H */
