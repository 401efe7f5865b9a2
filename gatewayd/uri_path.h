/*
 * uri_path.h: a URL path in normal form, so that routing compares what the
 * client will be served, never what it wrote: percent-escapes decoded,
 * duplicate slashes collapsed, dot segments resolved (RFC 3986 5.2.4), or
 * the path refused when it cannot be made safe. Pure functions over
 * (buf, len); they never allocate.
 */
#ifndef GATEWAYD_URI_PATH_H
#define GATEWAYD_URI_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* How a path is written. */
enum uri_path_form {
	URI_PATH_ENCODED,	/* as on the request line (REQUEST_URI): percent-escapes are decoded */
	URI_PATH_DECODED,	/* decoded by the web server (DOCUMENT_URI, SCRIPT_NAME): '%' is a byte */
};

/*
 * Whether path is in normal form already: starts with '/', holds no NUL, no
 * "//", no "." or ".." segment and, when encoded, no '%'. The common case,
 * told without copying: uri_path_normalize() would give the same bytes.
 */
bool uri_path_is_normal(const char *path, size_t len, enum uri_path_form form);

/*
 * Writes the normal form of path to out, which holds at least len bytes
 * (the normal form is never longer), and its length to *out_len. Refused
 * (-1, *why a static reason) when the path does not start with '/', holds a
 * NUL (raw or %00), an invalid percent-escape or an encoded slash (%2F,
 * which would join two segments into one), or climbs above the root with
 * "..". Decoded dots count as dots: /a/%2e%2e/b is /b. Returns 0 or -1.
 */
int uri_path_normalize(const char *path, size_t len, enum uri_path_form form, char *out,
    size_t *out_len, const char **why);

#endif /* GATEWAYD_URI_PATH_H */
