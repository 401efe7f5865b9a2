/*
 * fcgi_lookup_one.h: shorthands over fcgi_params_lookup() for the codec's
 * unit suite and fuzz target, which check single lookups and validation.
 */
#ifndef TESTS_FCGI_LOOKUP_ONE_H
#define TESTS_FCGI_LOOKUP_ONE_H

#include <string.h>

#include "fcgi.h"

/* The single-name lookup the tests were written against, over fcgi_params_lookup(). */
static inline int params_find(const uint8_t *p, size_t len, const char *name, const uint8_t **value,
    size_t *value_len)
{
	struct fcgi_param w = { .name = name, .name_len = strlen(name) };

	if (fcgi_params_lookup(p, len, &w, 1) < 0)
		return -1;
	if (w.found) {
		*value = w.value;
		*value_len = w.value_len;
	}
	return w.found;
}

/* Validation alone: a lookup of no name. */
static inline ssize_t params_validate(const uint8_t *p, size_t len)
{
	return fcgi_params_lookup(p, len, NULL, 0);
}

#endif /* TESTS_FCGI_LOOKUP_ONE_H */
