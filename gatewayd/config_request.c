/*
 * config_request.c: what gatewayd reads for each request it routes to a
 * function: its route, its script (sent as SCRIPT_FILENAME), its body limit,
 * whether it may run again after its worker died, and the params it adds. A reload applies a change to the running function
 * at once: nothing here is a worker's business.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_internal.h"
#include "uri_path.h"

static key_parser key_route, key_script, key_param;

#define R(field) struct function_conf, request.field
#define LIVE CONFIG_RELOAD_LIVE

static const struct key_spec request_keys[] = {
	KEY("route", key_route, R(route), KIND_STRING, LIVE, NULL),
	KEY("script", key_script, R(script), KIND_STRING, LIVE, NULL),
	NUMBER_KEY("request.max_body", config_key_size, R(max_body), LIVE, "8M", 0, CONFIG_SIZE_G),
	KEY("retry", config_key_bool, R(retry), KIND_SCALAR, LIVE, "no"),
	KEY("request_slowlog_timeout", config_key_duration, R(slowlog_timeout), KIND_SCALAR, LIVE,
	    "0"),
	{ "param[NAME]", key_param, offsetof(struct function_conf, request.params),
	  sizeof(struct conf_pairs), KIND_PAIRS, LIVE, NULL, 0, 0, true, NULL },
};

const struct key_table config_request_table = {
	TABLE_REQUEST, SECTION_FUNCTION, request_keys, NAME_COUNT(request_keys), NULL, NULL,
};

/*
 * route: "/" or a prefix starting with '/' and not ending with one, in the
 * normal form routing compares it with (uri_path.h), so that it can match;
 * unique.
 */
static int key_route(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct function_conf *fn = target;
	const struct gateway_conf *conf = cf->ld->conf;
	size_t len = strlen(value);

	if (value[0] != '/' || (len > 1 && value[len - 1] == '/')) {
		config_key_error(cf, k->name, value, "must start with '/' and not end with '/' "
		    "(unless it is \"/\")");
		return -1;
	}
	if (!uri_path_is_normal(value, len, URI_PATH_DECODED)) {
		config_key_error(cf, k->name, value, "must be a path in normal form: no empty, "
		    "\".\" or \"..\" segment");
		return -1;
	}
	if (config_refuse_reserved_path(cf, k, value))
		return -1;
	for (size_t i = 0; i < conf->function_count; i++) {
		const struct function_conf *other = &conf->functions[i];
		if (other != fn && other->request.route && strcmp(other->request.route, value) == 0) {
			config_key_error(cf, k->name, value, "already the route of [%s] (%s:%u)",
			    other->name, other->file, other->line);
			return -1;
		}
	}
	if (!(fn->request.route = strdup(value)))
		return config_out_of_memory(cf);
	return 0;
}

/* script: an existing readable file, stored as its realpath(). */
static int key_script(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct function_conf *fn = target;

	return (fn->request.script = config_path_resolve(cf, k, value, PATH_FILE)) ? 0 : -1;
}

/* param[NAME] = value: a FastCGI param added to each request. */
static int key_param(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	return config_pair_line(cf, k, &((struct function_conf *)target)->request.params, value,
	    false);
}
