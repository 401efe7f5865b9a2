/*
 * callback_policy.h: which callback URLs a job may name (async.callback_allow)
 * and the signature its delivery carries (X-Gateway-Signature). Pure: no
 * loop, no I/O, so tests/check_callback.c covers every rule.
 */
#ifndef GATEWAYD_CALLBACK_POLICY_H
#define GATEWAYD_CALLBACK_POLICY_H

#include <stdbool.h>
#include <stddef.h>

/* HMAC-SHA256 in hex: 32 bytes, two digits each. */
#define CALLBACK_SIGNATURE_HEX	64

bool callback_prefix_valid(const char *prefix);
bool callback_url_allowed(const char *url, const char *allow);
int callback_sign(const void *key, size_t key_len, const void *body, size_t body_len,
    char hex[CALLBACK_SIGNATURE_HEX + 1]);

#endif
