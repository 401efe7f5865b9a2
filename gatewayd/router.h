/*
 * router.h: which function a request is for, from its FastCGI params.
 */
#ifndef GATEWAYD_ROUTER_H
#define GATEWAYD_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fcgi.h"

/*
 * The longest path router_path() rewrites into normal form. No web server
 * sends a longer request line by default (nginx's large_client_header_buffers
 * and Apache's LimitRequestLine are 8 KiB); a normal path may be any length.
 */
#define ROUTER_PATH_MAX 8192

/* Where router_route() finds the params it reads in its lookup array. */
enum router_param {
	ROUTER_GATEWAY_FUNCTION,	/* set by the web server to name the function */
	ROUTER_DOCUMENT_URI,
	ROUTER_SCRIPT_NAME,
	ROUTER_REQUEST_URI,
	ROUTER_PARAMS,			/* how many; callers may look more up after these */
};

/* The request path, in normal form (uri_path.h), as router_path() found it. */
struct router_path {
	const struct fcgi_param *param;	/* the param it was read from; NULL: the request has none */
	const char *path;		/* inside param's value when that was normal, else in buf */
	size_t len;
	char buf[ROUTER_PATH_MAX];	/* the normal form, when it had to be written */
};

/* Names lookup[0, ROUTER_PARAMS) for fcgi_params_lookup(). */
void router_prepare_lookup(struct fcgi_param *lookup);

/*
 * The request path from a lookup: DOCUMENT_URI, else SCRIPT_NAME (both
 * decoded by the web server, RFC 3875 4.1.13), else REQUEST_URI up to its
 * '?' (percent-encoded), the first non-empty, in normal form; none at all
 * is not an error (out->param is NULL). Nothing is copied when the param
 * is normal already. Returns 0, or -1 when the path cannot be made safe
 * (the caller answers 400) or needs rewriting and is longer than
 * ROUTER_PATH_MAX, with *why a static reason.
 */
int router_path(const struct fcgi_param *lookup, struct router_path *out, const char **why);

/* Whether the path's normal form differs from its param (it lives in out->buf). */
static inline bool router_path_rewritten(const struct router_path *path)
{
	return path->path == path->buf;
}

/*
 * Routes a request whose params were looked up (see router_prepare_lookup),
 * in this order:
 *   1. a non-empty GATEWAY_FUNCTION param (set by the web server): that
 *      function, or none when it names no function (never a fall-through);
 *   2. the longest `route =` prefix matching the normal path, at a path
 *      segment boundary (/api/v1/track matches /api/v1/track/7, not
 *      /api/v1/tracking);
 *   3. [global] function_prefix<name> at the start of the path
 *      (/function/<name> by default; none when function_prefix is empty).
 * path is router_path()'s. Returns the function, or NULL (the caller
 * answers 404).
 */
const struct function_conf *router_route(const struct gateway_conf *conf,
    const struct fcgi_param *lookup, const struct router_path *path);

/* Steps 2 and 3 of router_route(), for a path in normal form alone. */
const struct function_conf *router_match_path(const struct gateway_conf *conf,
    const char *path, size_t path_len);

#endif /* GATEWAYD_ROUTER_H */
