/*
 * config_pool.c: how a function's workers are run and scaled: mode, pm and
 * the pm.* keys, the durations that must be above zero, and the checks made
 * when a function section ends, which need every key of the section.
 *
 * The rules for pm = dynamic are PHP-FPM's (fpm_conf.c): 1 <= min_spare <=
 * max_spare <= max_children and min_spare <= start_servers <= max_spare, with
 * start_servers defaulting to min_spare + (max_spare - min_spare) / 2. A key
 * that a pool of the section's pm or mode would ignore is an error rather
 * than silently dead, so that a config says what gatewayd does.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "config_internal.h"


/* The message for a pool key that means nothing to a CGI function. */
#define CGI_NO_SCALING "mode = cgi runs one process per request: pm.* scaling does not " \
	"apply (pm.max_children caps concurrency)"


/*
 * A duration that must be above zero (pm.process_idle_timeout,
 * crash_loop.window), where 0 would not mean "no limit" but nonsense: a
 * worker stopped the moment it is idle, a window no death falls into.
 */
int config_key_positive_duration(struct conf_file *cf, const struct key_spec *k,
    void *target, const char *value)
{
	double seconds;

	if (config_parse_duration(value, &seconds) < 0 || seconds <= 0) {
		config_key_error(cf, k->name, value, "must be a duration above 0 such as 10s, "
		    "500ms, 2m, 1h or a number of seconds");
		return -1;
	}
	*(double *)((char *)target + k->offset) = seconds;
	return 0;
}

/*
 * pm.max_memory: 0 (off) or a size of at least k->min. A smaller limit would
 * recycle every worker after every request: a program's bare RSS is larger.
 */
int config_key_max_memory(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	char lo[32];
	size_t v;

	if (config_parse_size(value, &v) < 0 || (v != 0 && v < k->min)) {
		config_key_error(cf, k->name, value, "must be 0 (off) or a size of at least %s "
		    "(a number with K, M or G)", config_size_text(k->min, lo, sizeof(lo)));
		return -1;
	}
	*(size_t *)((char *)target + k->offset) = v;
	return 0;
}

/* Where one function key stands in the section ending: line 0 when unset. */
struct key_at {
	unsigned line;
	bool refused;
};

static struct key_at key_at(const struct conf_file *cf, const char *name)
{
	struct key_at at;

	at.line = config_function_key_line(cf, name, &at.refused);
	return at;
}

/*
 * Reports each key of names that cf's section sets although the function's
 * pm or mode would ignore it, at its line, as "<name><sep><message>".
 */
static void keys_not_applicable(struct conf_file *cf, const char *const *names, size_t count,
    const char *sep, const char *message)
{
	size_t i;
	unsigned line;

	for (i = 0; i < count; i++)
		if ((line = key_at(cf, names[i]).line) != 0)
			config_error_at(cf->ld, cf->path, line, "%s%s%s", names[i], sep, message);
}

/*
 * PHP-FPM's rules for pm = dynamic. Each is about one key: an error names
 * that key's line, or the section header when the key is unset and its
 * default is what does not fit (the message then says to set it).
 */
static void dynamic_check(struct conf_file *cf, const struct function_conf *fn)
{
	struct key_at max_spare = key_at(cf, "pm.max_spare_servers");
	struct key_at start = key_at(cf, "pm.start_servers");
	struct loader *ld = cf->ld;

	/* pm.min_spare_servers >= 1 is the parser's range. */
	if (fn->max_spare < fn->min_spare) {
		if (max_spare.line)
			config_error_at(ld, cf->path, max_spare.line, "pm.max_spare_servers = %u: "
			    "must not be less than pm.min_spare_servers (%u)", fn->max_spare,
			    fn->min_spare);
		else
			config_error_at(ld, fn->file, fn->line, "the default pm.max_spare_servers "
			    "(%u) is less than pm.min_spare_servers (%u): "
			    "set pm.max_spare_servers", fn->max_spare, fn->min_spare);
	}
	if (fn->max_spare > fn->max_children) {
		if (max_spare.line)
			config_error_at(ld, cf->path, max_spare.line, "pm.max_spare_servers = %u: "
			    "must not be more than pm.max_children (%u)", fn->max_spare,
			    fn->max_children);
		else
			config_error_at(ld, fn->file, fn->line, "the default pm.max_spare_servers "
			    "(%u) is more than pm.max_children (%u): "
			    "set pm.max_spare_servers", fn->max_spare, fn->max_children);
	}
	/* An unset start_servers is computed between the two, so it always fits. */
	if (start.line && fn->min_spare <= fn->max_spare &&
	    (fn->start_servers < fn->min_spare || fn->start_servers > fn->max_spare))
		config_error_at(ld, cf->path, start.line, "pm.start_servers = %u: must be "
		    "between pm.min_spare_servers (%u) and pm.max_spare_servers (%u)",
		    fn->start_servers, fn->min_spare, fn->max_spare);
}

/* True when any of names was refused in cf's section: checks on them would only echo it. */
static bool keys_refused(const struct conf_file *cf, const char *const *names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (key_at(cf, names[i]).refused)
			return true;
	return false;
}

void config_pool_section_end(struct conf_file *cf)
{
	static const char *const pool_keys[] = {
		"mode", "pm", "pm.max_children", "pm.start_servers", "pm.min_spare_servers",
		"pm.max_spare_servers",
	};
	static const char *const dynamic_only[] = {
		"pm.start_servers", "pm.min_spare_servers", "pm.max_spare_servers",
	};
	static const char *const idle_keys[] = { "pm.process_idle_timeout" };
	static const char *const recycle_keys[] = { "pm.max_requests", "pm.max_memory" };
	struct function_conf *fn = &cf->ld->conf->functions[cf->fn_index];
	struct key_at pm = key_at(cf, "pm");

	if (!keys_refused(cf, pool_keys, NAME_COUNT(pool_keys))) {
		if (fn->mode == FUNCTION_CGI && fn->pm != PM_STATIC) {
			config_error_at(cf->ld, cf->path, pm.line, "pm = %s: %s", config_pm_words[fn->pm],
			    CGI_NO_SCALING);
		} else {
			if (fn->mode == FUNCTION_CGI)
				keys_not_applicable(cf, recycle_keys, NAME_COUNT(recycle_keys),
				    ": ", CGI_NO_SCALING);
			if (fn->pm != PM_DYNAMIC)
				keys_not_applicable(cf, dynamic_only, NAME_COUNT(dynamic_only),
				    " ", "only applies to pm = dynamic");
			if (fn->pm == PM_STATIC)
				keys_not_applicable(cf, idle_keys, NAME_COUNT(idle_keys),
				    " ", "only applies to pm = dynamic or ondemand");
			if (fn->pm == PM_DYNAMIC)
				dynamic_check(cf, fn);
		}
	}
	if (key_at(cf, "pm.start_servers").line == 0)
		fn->start_servers = fn->min_spare + (fn->max_spare > fn->min_spare ?
		    (fn->max_spare - fn->min_spare) / 2 : 0);
}
