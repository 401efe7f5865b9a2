/*
 * callback_policy.h: which callback URLs a job may name (async.callback_allow)
 * and the signature its delivery carries (X-Gateway-Signature). Pure: no
 * loop, no I/O, so tests/check_callback.c covers every rule.
 */
#ifndef GATEWAYD_CALLBACK_POLICY_H
#define GATEWAYD_CALLBACK_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* HMAC-SHA256 in hex: 32 bytes, two digits each. */
#define CALLBACK_SIGNATURE_HEX	64
/* A callback URL is at most this long, its NUL included: longer ones are refused. */
#define CALLBACK_URL_MAX	2048
/* The param a job's callback URL travels in: the X-Callback-Url header. */
#define CALLBACK_URL_PARAM	"HTTP_X_CALLBACK_URL"

bool callback_prefix_valid(const char *prefix);
bool callback_url_allowed(const char *url, const char *allow);
int callback_url_param(const uint8_t *params, size_t params_len, char url[CALLBACK_URL_MAX]);
int callback_sign(const void *key, size_t key_len, const void *body, size_t body_len,
    char hex[CALLBACK_SIGNATURE_HEX + 1]);

#endif
