/*
 * router.c: request → function (see router.h).
 *
 * Routing reads the path in normal form only, so that /function/a/../b is
 * b's, as the web server would serve it. nginx sends DOCUMENT_URI ($uri,
 * decoded and normalised); Apache's mod_proxy_fcgi and lighttpd send
 * SCRIPT_NAME (decoded and normalised) but no DOCUMENT_URI; a raw FastCGI
 * client may send REQUEST_URI alone, as it was written. Whichever is read,
 * it goes through the same normaliser: a misconfigured web server must not
 * get raw input past it.
 */
#include <string.h>

#include "fcgi.h"
#include "router.h"
#include "uri_path.h"

static size_t router_route_prefix_matches(const char *route, const char *path, size_t path_len);

void router_prepare_lookup(struct fcgi_param *lookup)
{
	static const struct fcgi_param names[ROUTER_PARAMS] = {
		[ROUTER_GATEWAY_FUNCTION] = FCGI_PARAM("GATEWAY_FUNCTION"),
		[ROUTER_DOCUMENT_URI] = FCGI_PARAM("DOCUMENT_URI"),
		[ROUTER_SCRIPT_NAME] = FCGI_PARAM("SCRIPT_NAME"),
		[ROUTER_REQUEST_URI] = FCGI_PARAM("REQUEST_URI"),
	};

	memcpy(lookup, names, sizeof(names));
}

int router_path(const struct fcgi_param *lookup, struct router_path *out, const char **why)
{
	const struct fcgi_param *p = NULL;
	enum uri_path_form form = URI_PATH_DECODED;

	for (int i = ROUTER_DOCUMENT_URI; i <= ROUTER_REQUEST_URI && p == NULL; i++) {
		if (lookup[i].found && lookup[i].value_len > 0)
			p = &lookup[i];
	}
	out->param = p;
	if (p == NULL)
		return 0;
	const char *path = (const char *)p->value;
	size_t len = p->value_len;
	if (p == &lookup[ROUTER_REQUEST_URI]) {
		const char *query = memchr(path, '?', len);
		if (query != NULL)
			len = (size_t)(query - path);
		form = URI_PATH_ENCODED;
	}
	if (uri_path_is_normal(path, len, form)) {
		out->path = path;
		out->len = len;
		return 0;
	}
	if (len > sizeof(out->buf)) {
		*why = "the path is not in normal form and too long to rewrite";
		return -1;
	}
	out->path = out->buf;
	return uri_path_normalize(path, len, form, out->buf, &out->len, why);
}

const struct function_conf *router_route(const struct gateway_conf *conf,
    const struct fcgi_param *lookup, const struct router_path *path)
{
	const struct fcgi_param *fn = &lookup[ROUTER_GATEWAY_FUNCTION];

	if (fn->found && fn->value_len > 0)
		return config_find_function(conf, (const char *)fn->value, fn->value_len);
	if (path->param == NULL)
		return NULL;
	return router_match_path(conf, path->path, path->len);
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
	if (best != NULL || conf->function_prefix == NULL)
		return best;

	size_t prefix_len = strlen(conf->function_prefix);
	if (path_len <= prefix_len || memcmp(path, conf->function_prefix, prefix_len) != 0)
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
