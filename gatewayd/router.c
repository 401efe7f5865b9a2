/*
 * router.c: request → function (see router.h).
 */
#include <string.h>

#include "fcgi.h"
#include "router.h"

static size_t router_route_prefix_matches(const char *route, const char *path, size_t path_len);

void router_prepare_lookup(struct fcgi_param *lookup)
{
	const struct fcgi_param names[ROUTER_PARAMS] = {
		[ROUTER_GATEWAY_FUNCTION] = FCGI_PARAM("GATEWAY_FUNCTION"),
		[ROUTER_DOCUMENT_URI] = FCGI_PARAM("DOCUMENT_URI"),
		[ROUTER_SCRIPT_NAME] = FCGI_PARAM("SCRIPT_NAME"),
		[ROUTER_REQUEST_URI] = FCGI_PARAM("REQUEST_URI"),
	};

	memcpy(lookup, names, sizeof(names));
}

bool router_path(const struct fcgi_param *lookup, const char **path, size_t *path_len)
{
	const struct fcgi_param *p = NULL;

	for (int i = ROUTER_DOCUMENT_URI; i <= ROUTER_REQUEST_URI && p == NULL; i++) {
		if (lookup[i].found && lookup[i].value_len > 0)
			p = &lookup[i];
	}
	if (p == NULL)
		return false;
	*path = (const char *)p->value;
	*path_len = p->value_len;
	if (p == &lookup[ROUTER_REQUEST_URI]) {
		const char *query = memchr(*path, '?', *path_len);
		if (query != NULL)
			*path_len = (size_t)(query - *path);
	}
	return true;
}

const struct function_conf *router_route(const struct gateway_conf *conf,
    const struct fcgi_param *lookup)
{
	const struct fcgi_param *fn = &lookup[ROUTER_GATEWAY_FUNCTION];
	const char *path;
	size_t path_len;

	if (fn->found && fn->value_len > 0)
		return config_find_function(conf, (const char *)fn->value, fn->value_len);
	if (!router_path(lookup, &path, &path_len))
		return NULL;
	return router_match_path(conf, path, path_len);
}

const struct function_conf *router_match_path(const struct gateway_conf *conf,
    const char *path, size_t path_len)
{
	const struct function_conf *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < conf->function_count; i++) {
		const struct function_conf *fn = &conf->functions[i];
		if (fn->request.route == NULL)
			continue;
		size_t n = router_route_prefix_matches(fn->request.route, path, path_len);
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
