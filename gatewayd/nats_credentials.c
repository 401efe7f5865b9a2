/*
 * nats_credentials.c: the contents of nats.credentials (see
 * nats_credentials.h). A .creds file, as nsc writes it, holds two blocks,
 * each a line "-----BEGIN ...-----", the value, a line "------END ...------".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nats_credentials.h"

#define CREDENTIALS_MAX (64u << 10)

/*
 * The value of the block whose BEGIN line holds marker: its first non-blank
 * line after that one, trimmed. NULL when absent (or out of memory).
 */
static char *block_value(const char *text, size_t len, const char *marker)
{
	const char *end = text + len;
	const char *at = memmem(text, len, marker, strlen(marker));

	if (at == NULL)
		return NULL;
	const char *p = memchr(at, '\n', (size_t)(end - at));
	while (p != NULL && p < end) {
		p++;
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		const char *s = p, *e = eol;
		while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (e > s)
			return *s == '-' ? NULL : strndup(s, (size_t)(e - s));
		p = eol;
	}
	return NULL;
}

int nats_credentials_parse(const char *text, size_t len, struct nats_credentials *out,
    char *err, size_t err_len)
{
	*out = (struct nats_credentials){ 0 };
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, err_len, "it holds a NUL byte: not a .creds file nor a token");
		return -1;
	}
	if (memmem(text, len, "BEGIN NATS USER JWT", 19) != NULL) {
		out->jwt = block_value(text, len, "BEGIN NATS USER JWT");
		out->seed = block_value(text, len, "BEGIN USER NKEY SEED");
		if (out->jwt != NULL && out->seed != NULL)
			return 0;
		nats_credentials_free(out);
		snprintf(err, err_len, "a .creds file needs a user JWT and a USER NKEY SEED block");
		return -1;
	}
	const char *s = text, *end = text + len;
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	const char *e = memchr(s, '\n', (size_t)(end - s));
	if (e == NULL)
		e = end;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	if (e == s) {
		snprintf(err, err_len, "it is empty: give a token or a .creds file");
		return -1;
	}
	if ((out->token = strndup(s, (size_t)(e - s))) == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	return 0;
}

int nats_credentials_read(const char *path, struct nats_credentials *out, char *err,
    size_t err_len)
{
	char *text = malloc(CREDENTIALS_MAX);
	FILE *fp = fopen(path, "re");
	size_t n = 0;
	int ret = -1;

	if (text == NULL || fp == NULL) {
		snprintf(err, err_len, "nats.credentials %s: %s", path,
		    text == NULL ? "out of memory" : strerror(errno));
		goto out;
	}
	n = fread(text, 1, CREDENTIALS_MAX, fp);
	if (ferror(fp))
		snprintf(err, err_len, "nats.credentials %s: cannot read: %s", path, strerror(errno));
	else if (n == CREDENTIALS_MAX)
		snprintf(err, err_len, "nats.credentials %s is larger than 64K", path);
	else if (nats_credentials_parse(text, n, out, err, err_len) == 0)
		ret = 0;
	else {
		char why[256];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, err_len, "nats.credentials %s: %s", path, why);
	}
out:
	if (text != NULL) {
		explicit_bzero(text, CREDENTIALS_MAX);
		free(text);
	}
	if (fp != NULL)
		fclose(fp);
	return ret;
}

/* Wipes and frees one secret string. */
static void secret_free(char **s)
{
	if (*s != NULL) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void nats_credentials_free(struct nats_credentials *out)
{
	secret_free(&out->jwt);
	secret_free(&out->seed);
	secret_free(&out->token);
}
