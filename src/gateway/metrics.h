/*
 * The gateway's metrics, for GET /metrics in the Prometheus text format.
 * Thread-safe (one mutex): the webhook threads, the poller and the sender
 * all count here.
 */
#ifndef DUTYDESK_GATEWAY_METRICS_H
#define DUTYDESK_GATEWAY_METRICS_H

#include <stdint.h>

#include "dutydesk/common.h"

/* Adds by to the counter name{labels}; labels is the text inside the braces
 * ("path=\"/healthz\",code=\"200\""), or NULL for none. Names must be
 * listed in metrics.c (their HELP and TYPE); an unknown name is ignored. */
void gw_metrics_add(const char *name, const char *labels, double by);
/* Sets the gauge (or a counter kept elsewhere, e.g. the sender's) name{labels}. */
void gw_metrics_set(const char *name, const char *labels, double value);
/* One HTTP request answered: dutydesk_http_requests_total{path,code}. */
void gw_metrics_request(const char *path, int code);
/* Appends every series in the text format to out. */
void gw_metrics_render(dd_buf *out);
/* Forgets every value (for tests). */
void gw_metrics_reset(void);

#endif
