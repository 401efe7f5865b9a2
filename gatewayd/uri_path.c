/*
 * uri_path.c: URL paths in normal form (see uri_path.h).
 *
 * The normal form is what nginx makes of a request path before it picks a
 * location ($uri): percent-escapes decoded (RFC 3986 2.1), "//" collapsed
 * (merge_slashes), "." and ".." segments removed (RFC 3986 5.2.4). Where
 * RFC 3986 drops a ".." at the root, gatewayd refuses the path, as nginx
 * does: no honest client writes one.
 */
#include <stdbool.h>
#include <stddef.h>

#include "uri_path.h"

static bool uri_path_dot_segment(const char *rest, size_t len);
static int uri_path_byte(const char *path, size_t len, size_t *i, enum uri_path_form form,
    const char **why);
static int uri_path_hex(char c);

/*
 * Byte by byte, with one comparison for most of them: every byte that can
 * make a path not normal ('\0', '%', '.', '/') is at most '/'.
 */
bool uri_path_is_normal(const char *path, size_t len, enum uri_path_form form)
{
	if (len == 0 || path[0] != '/')
		return false;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c > '/')
			continue;
		if (c == '\0' || (c == '%' && form == URI_PATH_ENCODED))
			return false;
		if (path[i - 1] == '/' && (c == '/' ||
		    (c == '.' && uri_path_dot_segment(path + i, len - i))))
			return false;
	}
	return true;
}

/* Whether the segment that starts rest, with a '.', is "." or "..". */
static bool uri_path_dot_segment(const char *rest, size_t len)
{
	if (len == 1 || rest[1] == '/')
		return true;
	return rest[1] == '.' && (len == 2 || rest[2] == '/');
}

/*
 * One segment at a time, decoded into out; a "." segment is then taken
 * back, a ".." takes the one before it too. out never runs ahead of path:
 * each byte written stands for at least one byte read.
 */
int uri_path_normalize(const char *path, size_t len, enum uri_path_form form, char *out,
    size_t *out_len, const char **why)
{
	size_t i = 1, o = 1;

	if (len == 0 || path[0] != '/') {
		*why = "the path does not start with '/'";
		return -1;
	}
	out[0] = '/';
	while (i < len) {
		if (path[i] == '/') {	/* an empty segment: out ends with '/' already */
			i++;
			continue;
		}
		size_t segment = o;
		while (i < len && path[i] != '/') {
			int c = uri_path_byte(path, len, &i, form, why);
			if (c < 0)
				return -1;
			out[o++] = (char)c;
		}
		size_t n = o - segment;
		if (n == 1 && out[segment] == '.') {
			o = segment;
		} else if (n == 2 && out[segment] == '.' && out[segment + 1] == '.') {
			if (segment == 1) {
				*why = "the path climbs above the root";
				return -1;
			}
			o = segment - 1;
			while (out[o - 1] != '/')
				o--;
		} else if (i < len) {
			out[o++] = '/';
		}
		i += i < len;	/* the '/' after the segment */
	}
	*out_len = o;
	return 0;
}

/*
 * The byte of a segment at path[*i], decoded when the path is encoded;
 * *i moves past it. Returns it (0..255), or -1 with *why.
 */
static int uri_path_byte(const char *path, size_t len, size_t *i, enum uri_path_form form,
    const char **why)
{
	unsigned char c = (unsigned char)path[*i];

	if (c == '%' && form == URI_PATH_ENCODED) {
		int high = *i + 2 < len ? uri_path_hex(path[*i + 1]) : -1;
		int low = high >= 0 ? uri_path_hex(path[*i + 2]) : -1;
		if (low < 0) {
			*why = "the path has an invalid percent-escape";
			return -1;
		}
		c = (unsigned char)(high << 4 | low);
		if (c == '/') {
			*why = "the path has an encoded '/' (%2F) inside a segment";
			return -1;
		}
		*i += 2;
	}
	if (c == '\0') {
		*why = "the path holds a NUL byte";
		return -1;
	}
	(*i)++;
	return c;
}

/* A hex digit's value, or -1. */
static int uri_path_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
