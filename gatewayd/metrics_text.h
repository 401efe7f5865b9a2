/*
 * metrics_text.h: /_gateway/metrics, the Prometheus text exposition format
 * (version 0.0.4) of the counters (metrics.h) and of what the pools and
 * async queues hold now.
 */
#ifndef GATEWAYD_METRICS_TEXT_H
#define GATEWAYD_METRICS_TEXT_H

#include "buf.h"

struct gateway;

/* Appends every metric family to out. 0, or -1 when out of memory. */
int metrics_text_render(struct gateway *gw, struct buf *out);

#endif /* GATEWAYD_METRICS_TEXT_H */
