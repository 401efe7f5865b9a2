/*
 * callback_policy.c: the allow list of callback URLs and the delivery's
 * signature (docs/async.md, Callbacks).
 *
 * A callback makes gatewayd send a request where a client says, so without
 * a rule it would reach the gateway's own network for anyone. A URL is
 * allowed only when some prefix of async.callback_allow matches it part by
 * part, never as a string: the scheme and host equal (case aside), the port
 * equal once the scheme's default is filled in, and the prefix's path ending
 * at a segment boundary of the URL's. So "http://allowed.example" does not
 * let through "http://allowed.example.evil/" (another host),
 * "http://allowed.example@evil/" (userinfo is refused outright: RFC 3986
 * 3.2.1 lets it hide the real host) nor "http://allowed.example/hooksX" for
 * the prefix ".../hooks". Anything this parser does not understand is
 * refused rather than guessed at: the URL is also handed to libcurl, whose
 * reading must not differ from ours.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "callback_policy.h"
#include "fcgi.h"

/* A URL cut into the parts that are compared. Pointers into the text. */
struct url_parts {
	const char *scheme;
	size_t scheme_len;
	const char *host;
	size_t host_len;
	unsigned port;		/* the scheme's default when none is written */
	const char *path;	/* "" stands for "/" */
	size_t path_len;	/* up to '?' or the end */
	bool has_query;
};

/* The schemes a callback may use and their default ports (RFC 7230 2.7). */
static const struct {
	const char *name;
	unsigned port;
} callback_schemes[] = {
	{ "http", 80 },
	{ "https", 443 },
};

/*
 * A byte that may stand in a path or a query: printable ASCII but for those
 * RFC 3986 never allows raw ('"', '<', '>', '\\', '^', '`', '{', '|', '}')
 * and '#' (a fragment means nothing to a receiver). So a URL allowed is
 * also safe in the job's JSON as it is.
 */
static bool url_byte_plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("\"<>\\^`{|}#", c);
}

/* Reads "scheme://" from text into u; returns what follows, NULL when not http(s). */
static const char *url_scheme(const char *text, struct url_parts *u)
{
	const char *sep = strstr(text, "://");

	if (!sep)
		return NULL;
	for (size_t i = 0; i < sizeof(callback_schemes) / sizeof(callback_schemes[0]); i++) {
		size_t len = strlen(callback_schemes[i].name);
		if ((size_t)(sep - text) == len && strncasecmp(text, callback_schemes[i].name,
		    len) == 0) {
			u->scheme = text;
			u->scheme_len = len;
			u->port = callback_schemes[i].port;
			return sep + 3;
		}
	}
	return NULL;
}

/*
 * Reads host[:port] at p into u: a DNS name or IPv4 address (letters, digits,
 * '-', '.') or an IPv6 literal in brackets, then an optional port of 1 to
 * 65535. Userinfo ('@') and every other byte end the parse with NULL.
 * Returns the byte after the authority.
 */
static const char *url_authority(const char *p, struct url_parts *u)
{
	u->host = p;
	if (*p == '[') {
		while (*++p && (isxdigit((unsigned char)*p) || *p == ':' || *p == '.'))
			;
		if (*p++ != ']')
			return NULL;
	} else {
		while (isalnum((unsigned char)*p) || *p == '-' || *p == '.')
			p++;
	}
	u->host_len = (size_t)(p - u->host);
	if (u->host_len == 0 || (u->host[0] == '[' && u->host_len == 2))
		return NULL;
	if (*p == ':') {
		unsigned long port = 0;
		const char *digits = ++p;
		while (isdigit((unsigned char)*p) && p - digits < 5)
			port = port * 10 + (unsigned long)(*p++ - '0');
		if (p == digits || port == 0 || port > 65535)
			return NULL;
		u->port = (unsigned)port;
	}
	return *p == '\0' || *p == '/' || *p == '?' ? p : NULL;
}

/*
 * Whether the path [path, path + len) holds a "." or ".." segment, written
 * or percent-encoded: a server would resolve it (RFC 3986 5.2.4) and so
 * climb out of the prefix the allow list names.
 */
static bool url_path_climbs(const char *path, size_t len)
{
	size_t seg = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		size_t n = i - seg;
		const char *s = path + seg;
		size_t dots = 0;
		for (size_t j = 0; j < n; j++) {
			if (s[j] == '.')
				dots++;
			else if (j + 2 < n && s[j] == '%' && s[j + 1] == '2' &&
			    (s[j + 2] == 'e' || s[j + 2] == 'E'))
				dots++, j += 2;
			else {
				dots = 3;	/* not a dot segment */
				break;
			}
		}
		if (n > 0 && dots > 0 && dots <= 2)
			return true;
		seg = i + 1;
	}
	return false;
}

/* Cuts text, an absolute http(s) URL, into u. 0, or -1 when it is not one this file accepts. */
static int url_parse(const char *text, struct url_parts *u)
{
	const char *p;

	memset(u, 0, sizeof(*u));
	if (!(p = url_scheme(text, u)) || !(p = url_authority(p, u)))
		return -1;
	u->path = p;
	while (*p && *p != '?') {
		if (!url_byte_plain((unsigned char)*p))
			return -1;
		p++;
	}
	u->path_len = (size_t)(p - u->path);
	if (url_path_climbs(u->path, u->path_len))
		return -1;
	if (*p == '?') {
		u->has_query = true;
		while (*++p)
			if (!url_byte_plain((unsigned char)*p))
				return -1;
	}
	return 0;
}

/*
 * Whether the URL's path starts with the prefix's at a segment boundary:
 * "/hooks" covers "/hooks" and "/hooks/x", not "/hooksX"; "/hooks/" covers
 * what is under it; "" (no path) covers everything.
 */
static bool url_path_covers(const struct url_parts *prefix, const struct url_parts *url)
{
	size_t n = prefix->path_len;

	if (n == 0)
		return true;
	if (url->path_len < n || memcmp(prefix->path, url->path, n) != 0)
		return false;
	return prefix->path[n - 1] == '/' || url->path_len == n || url->path[n] == '/';
}

/* Whether the prefix text covers u (parsed): scheme, host, port, then path. */
static bool prefix_covers(const char *text, size_t len, const struct url_parts *u)
{
	char prefix[2048];
	struct url_parts p;

	if (len >= sizeof(prefix))
		return false;
	memcpy(prefix, text, len);
	prefix[len] = '\0';
	if (url_parse(prefix, &p) < 0 || p.has_query)
		return false;
	return p.scheme_len == u->scheme_len && strncasecmp(p.scheme, u->scheme,
	    p.scheme_len) == 0 && p.host_len == u->host_len && strncasecmp(p.host, u->host,
	    p.host_len) == 0 && p.port == u->port && url_path_covers(&p, u);
}

/*
 * Whether prefix may stand in async.callback_allow: an http or https URL
 * with a host, no userinfo, no query, no dot segments, under 2,048 bytes.
 */
bool callback_prefix_valid(const char *prefix)
{
	struct url_parts p;

	return strlen(prefix) < 2048 && url_parse(prefix, &p) == 0 && !p.has_query;
}

/*
 * Whether url may receive a callback under allow, async.callback_allow's
 * value: prefixes separated by spaces or tabs. NULL or empty allows
 * nothing, which is the default.
 */
bool callback_url_allowed(const char *url, const char *allow)
{
	struct url_parts u;

	if (!allow || url_parse(url, &u) < 0)
		return false;
	for (const char *p = allow; *p; ) {
		size_t len;
		p += strspn(p, " \t");
		len = strcspn(p, " \t");
		if (len > 0 && prefix_covers(p, len, &u))
			return true;
		p += len;
	}
	return false;
}

/*
 * The job's callback URL, the first X-Callback-Url param of the PARAMS
 * stream (params, params_len), copied into url with a NUL. Returns 1 when
 * there is one, 0 when there is none, -1 when the stream is malformed or the
 * value is too long or holds a NUL (a URL no allow list can pass).
 */
int callback_url_param(const uint8_t *params, size_t params_len, char url[CALLBACK_URL_MAX])
{
	struct fcgi_param wanted = FCGI_PARAM(CALLBACK_URL_PARAM);

	if (fcgi_params_lookup(params, params_len, &wanted, 1) < 0)
		return -1;
	if (!wanted.found)
		return 0;
	if (wanted.value_len >= CALLBACK_URL_MAX || memchr(wanted.value, '\0', wanted.value_len))
		return -1;
	memcpy(url, wanted.value, wanted.value_len);
	url[wanted.value_len] = '\0';
	return 1;
}

/*
 * The value of X-Gateway-Signature after "sha256=": HMAC-SHA256 (RFC 2104,
 * FIPS 180-4) of body keyed with key, as 64 lowercase hex digits and a NUL
 * in hex. OpenSSL's libcrypto does the hashing: a hand-written SHA-256 would
 * be one more constant-heavy primitive to get right and keep right. 0 / -1.
 */
int callback_sign(const void *key, size_t key_len, const void *body, size_t body_len,
    char hex[CALLBACK_SIGNATURE_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	if (key_len > INT32_MAX || !HMAC(EVP_sha256(), key, (int)key_len, body, body_len,
	    mac, &mac_len) || mac_len * 2 != CALLBACK_SIGNATURE_HEX)
		return -1;
	for (unsigned i = 0; i < mac_len; i++) {
		hex[2 * i] = digits[mac[i] >> 4];
		hex[2 * i + 1] = digits[mac[i] & 0xf];
	}
	hex[CALLBACK_SIGNATURE_HEX] = '\0';
	return 0;
}
