/*
 * config_keys.c: the key tables at work (see config_internal.h). A line is
 * applied through the tables of its section's kind; a key not repeatable
 * may be set once per section ([global] counts as one section across all
 * files). Everything the rows say is used here so that nothing about a key
 * is written by hand elsewhere: its default (parsed like a written value),
 * whether a reload applies it live, needs new workers or a restart, how
 * its field is compared, kept and freed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_internal.h"

const struct key_table *const config_tables[TABLE_COUNT] = {
	[TABLE_GLOBAL] = &config_global_table,
	[TABLE_IDENTITY] = &config_identity_table,
	[TABLE_JOURNAL] = &config_journal_table,
	[TABLE_POOL] = &config_pool_table,
	[TABLE_SANDBOX] = &config_sandbox_table,
	[TABLE_REQUEST] = &config_request_table,
	[TABLE_ASYNC] = &config_async_table,
	[TABLE_RUNTIME] = &config_runtime_table,
	[TABLE_NATS] = &config_nats_table,
};

/* A row the tables of one kind hold: its table and index. */
struct key_ref {
	const struct key_table *table;
	size_t index;
};

static bool key_matches(const struct key_spec *k, const char *name);
static bool key_find(enum section_kind kind, const char *name, struct key_ref *ref);
static void *key_field(const struct key_spec *k, void *target);
static bool key_same(const struct key_spec *k, const void *a, const void *b);
static int key_keep(const struct key_spec *k, void *to, const void *from);
static void key_free(const struct key_spec *k, void *target);
static void changed_add(char *changed, size_t len, const char *name);

/* A key written NAME[...] matches every name with that prefix and a closing ']'. */
static bool key_matches(const struct key_spec *k, const char *name)
{
	const char *bracket = strchr(k->name, '[');

	if (bracket == NULL)
		return strcmp(k->name, name) == 0;
	size_t prefix = (size_t)(bracket - k->name) + 1;
	return strncmp(k->name, name, prefix) == 0 && name[strlen(name) - 1] == ']';
}

/* The row of name among the tables of kind. */
static bool key_find(enum section_kind kind, const char *name, struct key_ref *ref)
{
	for (size_t t = 0; t < TABLE_COUNT; t++) {
		const struct key_table *table = config_tables[t];
		if (table->section != kind)
			continue;
		for (size_t i = 0; i < table->count; i++) {
			if (key_matches(&table->keys[i], name)) {
				*ref = (struct key_ref){ table, i };
				return true;
			}
		}
	}
	return false;
}

static void *key_field(const struct key_spec *k, void *target)
{
	return (char *)target + k->offset;
}

/* The struct a section's keys are stored in. */
static void *section_target(struct conf_file *cf)
{
	return cf->section == SECTION_GLOBAL ? (void *)cf->ld->conf :
	    (void *)&cf->ld->conf->functions[cf->fn_index];
}

void config_keys_apply(struct conf_file *cf, const char *name, const char *value)
{
	const char *section = cf->section == SECTION_GLOBAL ? "global" :
	    cf->ld->conf->functions[cf->fn_index].name;
	struct key_ref ref;

	if (!key_find(cf->section, name, &ref)) {
		config_file_error(cf, "unknown key \"%s\" in [%s]", name, section);
		return;
	}
	const struct key_spec *k = &ref.table->keys[ref.index];
	struct key_marks *marks = cf->section == SECTION_GLOBAL ?
	    &cf->ld->global_marks[ref.table->id] : &cf->fn_marks[ref.table->id];
	unsigned long long bit = 1ULL << ref.index;

	if (!k->repeatable && (marks->seen & bit)) {
		config_key_error(cf, name, value, "already set in [%s]", section);
		return;
	}
	marks->seen |= bit;
	marks->line[ref.index] = cf->lineno;
	cf->key = name;
	if (k->parse(cf, k, section_target(cf), value) < 0)
		marks->refused |= bit;
	cf->key = NULL;
}

/*
 * A default that does not parse is a bug in a table, not a user's error;
 * it is reported like one at the section's line so that the unit suite that
 * walks the tables catches it.
 */
void config_keys_defaults(struct conf_file *cf, enum section_kind kind, void *target)
{
	for (size_t t = 0; t < TABLE_COUNT; t++) {
		const struct key_table *table = config_tables[t];
		for (size_t i = 0; i < table->count && table->section == kind; i++) {
			const struct key_spec *k = &table->keys[i];
			cf->key = k->name;
			if (k->def != NULL && k->parse(cf, k, target, k->def) < 0)
				config_file_error(cf, "the default of %s does not parse", k->name);
			cf->key = NULL;
		}
	}
}

void config_keys_section_end(struct conf_file *cf)
{
	for (size_t t = 0; t < TABLE_COUNT; t++) {
		if (config_tables[t]->section == SECTION_FUNCTION && config_tables[t]->section_end)
			config_tables[t]->section_end(cf);
	}
}

void config_keys_load_end(struct loader *ld)
{
	for (size_t t = 0; t < TABLE_COUNT; t++) {
		if (config_tables[t]->load_end)
			config_tables[t]->load_end(ld);
	}
}

/* Whether field k holds the same value in a and b (the sections' structs). */
static bool key_same(const struct key_spec *k, const void *a, const void *b)
{
	const void *x = (const char *)a + k->offset, *y = (const char *)b + k->offset;

	switch (k->kind) {
	case KIND_SCALAR:
		return memcmp(x, y, k->width) == 0;
	case KIND_STRING:
	case KIND_EXEC: {	/* struct conf_exec starts with its line */
		const char *s = *(char *const *)x, *t = *(char *const *)y;
		return s == t || (s != NULL && t != NULL && strcmp(s, t) == 0);
	}
	case KIND_STRINGS: {
		const struct conf_strings *s = x, *t = y;
		bool same = s->count == t->count;
		for (size_t i = 0; same && i < s->count; i++)
			same = strcmp(s->items[i], t->items[i]) == 0;
		return same;
	}
	case KIND_PAIRS: {
		const struct conf_pairs *s = x, *t = y;
		bool same = s->count == t->count;
		for (size_t i = 0; same && i < s->count; i++)
			same = strcmp(s->items[i].name, t->items[i].name) == 0 &&
			    strcmp(s->items[i].value, t->items[i].value) == 0;
		return same;
	}
	case KIND_IDENTITY: {
		const struct conf_identity *s = x, *t = y;
		return s->set == t->set && s->uid == t->uid && s->gid == t->gid;
	}
	case KIND_ID: {
		const struct conf_id_value *s = x, *t = y;
		return s->set == t->set && s->id == t->id;
	}
	case KIND_LIMIT: {
		const struct conf_rlimit *s = x, *t = y;
		return s->set == t->set && s->value == t->value;
	}
	case KIND_READER:
		return true;
	}
	abort();	/* a kind without a comparison: a bug */
}

/*
 * Gives field k of to the value it has in from (a restart-only key keeps
 * the running value). 0, or -1 when out of memory (to keeps its own then).
 */
static int key_keep(const struct key_spec *k, void *to, const void *from)
{
	void *x = key_field(k, to);
	const void *y = (const char *)from + k->offset;

	switch (k->kind) {
	case KIND_SCALAR:
	case KIND_ID:
		memcpy(x, y, k->width);
		return 0;
	case KIND_STRING: {
		const char *s = *(char *const *)y;
		char *copy = s != NULL ? strdup(s) : NULL;
		if (s != NULL && copy == NULL)
			return -1;
		free(*(char **)x);
		*(char **)x = copy;
		return 0;
	}
	case KIND_IDENTITY: {
		struct conf_identity *d = x;
		const struct conf_identity *s = y;
		char *user = s->user != NULL ? strdup(s->user) : NULL;
		if (s->user != NULL && user == NULL)
			return -1;
		free(d->user);
		*d = *s;
		d->user = user;
		return 0;
	}
	default:
		abort();	/* a restart-only key of a kind that cannot be kept: a bug */
	}
}

static void key_free(const struct key_spec *k, void *target)
{
	void *x = key_field(k, target);

	switch (k->kind) {
	case KIND_STRING:
		free(*(char **)x);
		*(char **)x = NULL;
		return;
	case KIND_EXEC: {
		struct conf_exec *exec = x;
		for (size_t i = 0; exec->argv != NULL && exec->argv[i] != NULL; i++)
			free(exec->argv[i]);
		free(exec->argv);
		free(exec->line);
		*exec = (struct conf_exec){ 0 };
		return;
	}
	case KIND_STRINGS:
		config_strings_free(x);
		return;
	case KIND_PAIRS:
		config_pairs_free(x);
		return;
	case KIND_IDENTITY:
		free(((struct conf_identity *)x)->user);
		((struct conf_identity *)x)->user = NULL;
		return;
	case KIND_SCALAR:
	case KIND_ID:
	case KIND_LIMIT:
	case KIND_READER:
		return;
	}
	abort();
}

void config_keys_free(enum section_kind kind, void *target)
{
	for (size_t t = 0; t < TABLE_COUNT; t++) {
		const struct key_table *table = config_tables[t];
		for (size_t i = 0; i < table->count && table->section == kind; i++) {
			const struct key_spec *k = &table->keys[i];
			/* user and group share a field: free it once. */
			if (i == 0 || k->offset != table->keys[i - 1].offset)
				key_free(k, target);
		}
	}
}

/* Appends ", name" (or name first) to changed, as far as it fits. */
static void changed_add(char *changed, size_t len, const char *name)
{
	size_t used = strnlen(changed, len);

	if (used + 1 < len)
		snprintf(changed + used, len - used, "%s%s", used > 0 ? ", " : "", name);
}

enum config_reload config_function_compare(const struct function_conf *a,
    const struct function_conf *b, char *changed, size_t len)
{
	enum config_reload worst = CONFIG_RELOAD_LIVE;

	changed[0] = '\0';
	for (size_t t = 0; t < TABLE_COUNT; t++) {
		const struct key_table *table = config_tables[t];
		for (size_t i = 0; i < table->count && table->section == SECTION_FUNCTION; i++) {
			const struct key_spec *k = &table->keys[i];
			if ((i > 0 && k->offset == table->keys[i - 1].offset) || key_same(k, a, b))
				continue;
			changed_add(changed, len, k->name);
			if (k->reload > worst)
				worst = k->reload;
		}
	}
	return worst;
}

int config_keep_restart_only(const struct gateway_conf *old, struct gateway_conf *conf,
    char *changed, size_t len)
{
	int kept = 0;

	changed[0] = '\0';
	for (size_t t = 0; t < TABLE_COUNT; t++) {
		const struct key_table *table = config_tables[t];
		for (size_t i = 0; i < table->count && table->section == SECTION_GLOBAL; i++) {
			const struct key_spec *k = &table->keys[i];
			if (k->reload != CONFIG_RELOAD_RESTART ||
			    (i > 0 && k->offset == table->keys[i - 1].offset) || key_same(k, old, conf))
				continue;
			if (key_keep(k, conf, old) < 0)
				return -1;
			changed_add(changed, len, k->name);
			kept++;
		}
	}
	return kept;
}
