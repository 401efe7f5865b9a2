/*
 * router.c: request → function (see router.h).
 */
#include <string.h>

#include "fcgi.h"
#include "router.h"

static int router_find_param(const uint8_t *params, size_t len, const char *name,
    const char **value, size_t *value_len);
static size_t router_route_prefix_matches(const char *route, const char *path, size_t path_len);

const struct function_conf *router_route(const struct gateway_conf *conf,
    const uint8_t *params, size_t params_len)
{
	const char *function = NULL, *path = NULL;
	size_t function_len = 0, path_len = 0;

	router_find_param(params, params_len, "GATEWAY_FUNCTION", &function, &function_len);
	if (!router_find_param(params, params_len, "DOCUMENT_URI", &path, &path_len) &&
	    !router_find_param(params, params_len, "SCRIPT_NAME", &path, &path_len) &&
	    router_find_param(params, params_len, "REQUEST_URI", &path, &path_len)) {
		const char *query = memchr(path, '?', path_len);
		if (query != NULL)
			path_len = (size_t)(query - path);
	}
	return router_match(conf, function, function_len, path, path_len);
}

/* Finds a non-empty param. Returns 1 when found, else 0. */
static int router_find_param(const uint8_t *params, size_t len, const char *name,
    const char **value, size_t *value_len)
{
	const uint8_t *v;
	size_t vlen;

	if (fcgi_params_find(params, len, name, &v, &vlen) != 1 || vlen == 0)
		return 0;
	*value = (const char *)v;
	*value_len = vlen;
	return 1;
}

const struct function_conf *router_match(const struct gateway_conf *conf,
    const char *function, size_t function_len, const char *path, size_t path_len)
{
	if (function != NULL)
		return config_find_function(conf, function, function_len);
	if (path == NULL)
		return NULL;

	const struct function_conf *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < conf->function_count; i++) {
		const struct function_conf *fn = &conf->functions[i];
		if (fn->route == NULL)
			continue;
		size_t n = router_route_prefix_matches(fn->route, path, path_len);
		if (n > best_len) {
			best = fn;
			best_len = n;
		}
	}
	if (best != NULL)
		return best;

	size_t prefix_len = strlen(ROUTER_FUNCTION_PREFIX);
	if (path_len <= prefix_len || memcmp(path, ROUTER_FUNCTION_PREFIX, prefix_len) != 0)
		return NULL;
	const char *name = path + prefix_len;
	const char *end = memchr(name, '/', path_len - prefix_len);
	size_t name_len = end != NULL ? (size_t)(end - name) : path_len - prefix_len;
	return config_find_function(conf, name, name_len);
}

/*
 * Returns the route's length when it is a prefix of path ending at a
 * segment boundary, else 0. The route "/" matches every path.
 */
static size_t router_route_prefix_matches(const char *route, const char *path, size_t path_len)
{
	size_t n = strlen(route);

	if (n > path_len || memcmp(route, path, n) != 0)
		return 0;
	if (n == path_len || path[n] == '/' || route[n - 1] == '/')
		return n;
	return 0;
}
