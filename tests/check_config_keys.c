/*
 * check_config_keys.c: the key tables themselves (gatewayd/config_*.c).
 * Every row must be whole (a kind, a reload class a reload can honour),
 * documented in docs/config.md with the reload class its row says, and
 * round-trip through the loader: its default written out loads to the
 * same configuration as the default left implicit, and a number key takes
 * its bounds and refuses one past them. A key added as one row without a
 * doc entry, or with a default that does not parse, fails here.
 */
#include "config.h"
#include "config_internal.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DOCS "docs/config.md"

static char tmpdir[] = "/tmp/check_config_keys.XXXXXX";

/* What docs/config.md says of each key: its section's text, by scope and name. */
struct doc_entry {
	bool global;
	char name[64];
	const char *text;	/* from its heading to the next heading */
	size_t len;
};

static char *docs;
static struct doc_entry entries[256];
static size_t entry_count;

/* Splits a "### a, b ([global])" heading into entries pointing at its section. */
static void docs_heading(const char *heading, size_t hlen, bool global, const char *text,
    size_t len)
{
	char names[256];

	snprintf(names, sizeof(names), "%.*s", (int)hlen, heading);
	char *suffix = strstr(names, " ([global])");
	if (suffix != NULL) {
		*suffix = '\0';
		global = true;
	}
	for (char *save, *n = strtok_r(names, ",", &save); n != NULL;
	    n = strtok_r(NULL, ",", &save)) {
		ck_assert_uint_lt(entry_count, sizeof(entries) / sizeof(entries[0]));
		struct doc_entry *e = &entries[entry_count++];
		snprintf(e->name, sizeof(e->name), "%s", n + strspn(n, " "));
		e->global = global;
		e->text = text;
		e->len = len;
	}
}

/* Reads docs/config.md into entries: "## [global]" starts its keys, other "##" a function's. */
static void docs_load(void)
{
	FILE *f = fopen(DOCS, "re");
	size_t cap = 0;
	bool global = false;

	ck_assert_msg(f != NULL, DOCS " not found (run from the repository)");
	ck_assert_int_gt(getdelim(&docs, &cap, '\0', f), 0);
	fclose(f);
	for (const char *line = docs; *line != '\0'; line = strchr(line, '\n') + 1) {
		if (strncmp(line, "## ", 3) == 0)
			global = strncmp(line, "## [global]", 11) == 0;
		if (strncmp(line, "### ", 4) == 0) {
			const char *end = strchr(line, '\n'), *next = strstr(end, "\n##");
			size_t len = next != NULL ? (size_t)(next - line) : strlen(line);
			docs_heading(line + 4, (size_t)(end - line - 4), global, line, len);
		}
		if (strchr(line, '\n') == NULL)
			break;
	}
}

static const struct doc_entry *docs_find(bool global, const char *name)
{
	for (size_t i = 0; i < entry_count; i++) {
		if (entries[i].global == global && strcmp(entries[i].name, name) == 0)
			return &entries[i];
	}
	return NULL;
}

/* The words a key's doc entry must use for its reload class. */
static const char *reload_words(enum config_reload reload)
{
	switch (reload) {
	case CONFIG_RELOAD_LIVE: return "**Reload:** applied at once";
	case CONFIG_RELOAD_WORKERS: return "**Reload:** the function gets new workers";
	case CONFIG_RELOAD_RESTART: return "**Reload:** at the next start";
	}
	return "?";
}

START_TEST(test_rows_whole)
{
	for (int t = 0; t < TABLE_COUNT; t++) {
		const struct key_table *table = config_tables[t];
		ck_assert_int_eq(table->id, t);
		ck_assert(table->section == SECTION_GLOBAL || table->section == SECTION_FUNCTION);
		ck_assert_uint_le(table->count, CONFIG_KEYS_MAX);
		for (size_t i = 0; i < table->count; i++) {
			const struct key_spec *k = &table->keys[i];
			ck_assert_msg(k->parse != NULL, "%s has no parser", k->name);
			ck_assert_msg(k->kind == KIND_READER || k->width > 0, "%s has no field", k->name);
			ck_assert_msg(k->min <= k->max, "%s: min above max", k->name);
			/* A restart-only key keeps its running value: only kinds that can be kept. */
			if (k->reload == CONFIG_RELOAD_RESTART)
				ck_assert_msg(table->section == SECTION_GLOBAL && (k->kind == KIND_SCALAR ||
				    k->kind == KIND_STRING || k->kind == KIND_IDENTITY ||
				    k->kind == KIND_ID), "%s cannot wait for a restart", k->name);
			/* A function key needs no restart: a new pool takes anything. */
			for (int u = 0; u <= t; u++) {
				const struct key_table *other = config_tables[u];
				for (size_t j = 0; j < other->count && (u < t || j < i); j++)
					ck_assert_msg(other->section != table->section ||
					    strcmp(other->keys[j].name, k->name) != 0,
					    "%s is in two tables", k->name);
			}
		}
	}
}
END_TEST

START_TEST(test_rows_documented)
{
	docs_load();
	for (int t = 0; t < TABLE_COUNT; t++) {
		const struct key_table *table = config_tables[t];
		for (size_t i = 0; i < table->count; i++) {
			const struct key_spec *k = &table->keys[i];
			const struct doc_entry *e = docs_find(table->section == SECTION_GLOBAL, k->name);
			ck_assert_msg(e != NULL, "%s (%s) has no entry in " DOCS, k->name,
			    table->section == SECTION_GLOBAL ? "[global]" : "[function]");
			const char *words = reload_words(k->reload);
			ck_assert_msg(memmem(e->text, e->len, words, strlen(words)) != NULL,
			    DOCS ": the entry of %s does not say \"%s\"", k->name, words);
		}
	}
	free(docs);
}
END_TEST

/*
 * A configuration with every table's checks satisfied around one line:
 * [global] with a journal, a dynamic pool with async on. The line (none
 * when NULL) replaces the base line of k, if any.
 */
static struct gateway_conf *load_with(const struct key_spec *k, bool global, const char *line,
    char *err, size_t err_len)
{
	static const char *const global_base[] = { "listen = 127.0.0.1:9000",
		"async.journal = /tmp/check_config_keys.journal", NULL };
	static const char *const function_base[] = { "exec = /bin/true", "pm = dynamic",
		"async = on", NULL };
	char path[256];
	struct gateway_conf *conf = NULL;

	snprintf(path, sizeof(path), "%s/gw.ini", tmpdir);
	FILE *f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "[global]\n");
	for (size_t i = 0; global_base[i] != NULL; i++)
		if (k == NULL || !global || strncmp(global_base[i], k->name, strlen(k->name)) != 0 ||
		    global_base[i][strlen(k->name)] != ' ')
			fprintf(f, "%s\n", global_base[i]);
	if (line != NULL && global)
		fprintf(f, "%s\n", line);
	fprintf(f, "[fn]\n");
	for (size_t i = 0; function_base[i] != NULL; i++)
		if (k == NULL || global || strncmp(function_base[i], k->name, strlen(k->name)) != 0 ||
		    function_base[i][strlen(k->name)] != ' ')
			fprintf(f, "%s\n", function_base[i]);
	if (line != NULL && !global)
		fprintf(f, "%s\n", line);
	fclose(f);
	err[0] = '\0';
	config_load(path, &conf, err, err_len);
	return conf;
}

/* Whether global field k holds the same in a and b (the kinds [global]'s defaults have). */
static bool global_same(const struct key_spec *k, const struct gateway_conf *a,
    const struct gateway_conf *b)
{
	const char *x = (const char *)a + k->offset, *y = (const char *)b + k->offset;

	if (k->kind == KIND_STRING)
		return strcmp(*(char *const *)x, *(char *const *)y) == 0;
	return k->kind == KIND_SCALAR && memcmp(x, y, k->width) == 0;
}

START_TEST(test_defaults_round_trip)
{
	char err[4096], line[256], changed[512];

	for (int t = 0; t < TABLE_COUNT; t++) {
		const struct key_table *table = config_tables[t];
		bool global = table->section == SECTION_GLOBAL;
		for (size_t i = 0; i < table->count; i++) {
			const struct key_spec *k = &table->keys[i];
			if (k->def == NULL)
				continue;
			snprintf(line, sizeof(line), "%s = %s", k->name, k->def);
			struct gateway_conf *base = load_with(k, global, NULL, err, sizeof(err));
			ck_assert_msg(base != NULL, "without %s, the configuration does not load:\n%s",
			    k->name, err);
			struct gateway_conf *conf = load_with(k, global, line, err, sizeof(err));
			ck_assert_msg(conf != NULL, "'%s' written out does not load:\n%s", line, err);
			if (global)
				ck_assert_msg(global_same(k, base, conf), "'%s' is not the default", line);
			else
				ck_assert_msg(config_function_compare(&base->functions[0],
				    &conf->functions[0], changed, sizeof(changed)) == CONFIG_RELOAD_LIVE &&
				    changed[0] == '\0', "'%s' is not the default (%s differs)", line,
				    changed);
			config_free(conf);
			config_free(base);
		}
	}
}
END_TEST

/* Loads k = value and says whether it was taken. */
static bool takes(const struct key_spec *k, bool global, unsigned long long value)
{
	char err[4096], line[256];

	snprintf(line, sizeof(line), "%s = %llu", k->name, value);
	struct gateway_conf *conf = load_with(k, global, line, err, sizeof(err));
	config_free(conf);
	return conf != NULL;
}

START_TEST(test_number_bounds)
{
	unsigned checked = 0;

	for (int t = 0; t < TABLE_COUNT; t++) {
		const struct key_table *table = config_tables[t];
		bool global = table->section == SECTION_GLOBAL;
		for (size_t i = 0; i < table->count; i++) {
			const struct key_spec *k = &table->keys[i];
			if (k->parse != config_key_whole && k->parse != config_key_size)
				continue;
			/* Checked against another key too: that key's value bounds it as well. */
			static const char *const related[] = { "pm.max_children", "pm.start_servers",
				"pm.min_spare_servers", "pm.max_spare_servers", "async.max_concurrency",
				"request.max_body", "async.max_body", NULL };
			bool skip = false;
			for (size_t j = 0; related[j] != NULL && !global; j++)
				skip |= strcmp(k->name, related[j]) == 0;
			if (skip)
				continue;
			ck_assert_msg(takes(k, global, k->min), "%s refuses its minimum", k->name);
			if (k->min > 0)
				ck_assert_msg(!takes(k, global, k->min - 1), "%s takes %llu", k->name,
				    k->min - 1);
			if (k->max < (unsigned long long)INT32_MAX * 2) {
				ck_assert_msg(takes(k, global, k->max), "%s refuses its maximum",
				    k->name);
				ck_assert_msg(!takes(k, global, k->max + 1), "%s takes %llu", k->name,
				    k->max + 1);
			}
			checked++;
		}
	}
	ck_assert_uint_ge(checked, 8);
}
END_TEST

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/gw.ini", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

static Suite *keys_suite(void)
{
	Suite *s = suite_create("config_keys");
	TCase *tc = tcase_create("tables");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rows_whole);
	tcase_add_test(tc, test_rows_documented);
	tcase_add_test(tc, test_defaults_round_trip);
	tcase_add_test(tc, test_number_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(keys_suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
