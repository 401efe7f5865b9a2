/*
 * status.h: /_gateway/status, gatewayd's state as one JSON object (the
 * fields are listed in docs/operations.md).
 */
#ifndef GATEWAYD_STATUS_H
#define GATEWAYD_STATUS_H

#include <stdbool.h>

#include "buf.h"

struct gateway;

/* Appends the JSON status to out; full adds each worker. 0, or -1 when out of memory. */
int status_render(struct gateway *gw, bool full, struct buf *out);

#endif /* GATEWAYD_STATUS_H */
