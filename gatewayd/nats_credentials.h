/*
 * nats_credentials.h: nats.credentials read into memory. gatewayd reads the
 * file once, as root, before it drops privileges; libnats asks for the JWT
 * and a signature of the server's nonce at every (re)connect, long after.
 */
#ifndef GATEWAYD_NATS_CREDENTIALS_H
#define GATEWAYD_NATS_CREDENTIALS_H

#include <stddef.h>

/* Either a user JWT with its nkey seed (a .creds file), or a token; all NULL for none. */
struct nats_credentials {
	char *jwt;
	char *seed;
	char *token;
};

/*
 * Parses text (a file's contents, len bytes): a .creds file (its "BEGIN
 * NATS USER JWT" and "BEGIN USER NKEY SEED" blocks), else its first line,
 * without surrounding blanks, as a token. 0, or -1 with err.
 */
int nats_credentials_parse(const char *text, size_t len, struct nats_credentials *out,
    char *err, size_t err_len);

/* Reads and parses the file at path (at most 64K). 0, or -1 with err. */
int nats_credentials_read(const char *path, struct nats_credentials *out, char *err,
    size_t err_len);

/* Wipes and frees what out holds. */
void nats_credentials_free(struct nats_credentials *out);

#endif /* GATEWAYD_NATS_CREDENTIALS_H */
