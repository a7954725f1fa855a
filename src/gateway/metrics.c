/* Counters and gauges behind a mutex, rendered for Prometheus. */
#include <config.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

static const struct {
	const char *name, *type, *help;
} known[] = {
	{"dutydesk_http_requests_total", "counter", "HTTP requests answered, by path and status"},
	{"dutydesk_inbound_messages_total", "counter", "Inbound messages processed, by channel and outcome"},
	{"dutydesk_reports_stored_total", "counter", "New reports stored from messengers"},
	{"dutydesk_inbound_duplicates_total", "counter", "Inbound messages seen before (platform retries)"},
	{"dutydesk_delivery_statuses_total", "counter", "Delivery statuses applied to notifications"},
	{"dutydesk_webhook_rejected_total", "counter", "Webhook bodies refused, by reason"},
	{"dutydesk_webhook_bodies_total", "counter", "Webhook bodies through group commit"},
	{"dutydesk_webhook_commits_total", "counter", "Transactions that stored webhook bodies"},
	{"dutydesk_telegram_polls_total", "counter", "Telegram getUpdates calls, by result"},
	{"dutydesk_notifications", "gauge", "Notifications in the outbox, by state"},
	{"dutydesk_queue_depth", "gauge", "Notifications waiting to be sent (queued or sending)"},
	{"dutydesk_oldest_queued_seconds", "gauge", "Age of the oldest queued notification"},
	{"dutydesk_notifications_sent_total", "counter", "Notifications sent since the gateway started"},
	{"dutydesk_notifications_retried_total", "counter", "Send attempts to be retried"},
	{"dutydesk_notifications_failed_total", "counter", "Notifications failed for good"},
	{"dutydesk_notifications_templates_total", "counter", "Notifications sent as a template"},
	{"dutydesk_media_stored_total", "counter", "Media files downloaded and stored"},
	{"dutydesk_media_failed_total", "counter", "Media downloads failed"},
	{"dutydesk_send_latency_ms_sum", "counter", "Total send latency of sent notifications, ms"},
	{"dutydesk_send_latency_ms_count", "counter", "Sent notifications counted in the latency sum"},
	{"dutydesk_sends_in_flight", "gauge", "Requests to the messengers in flight"},
	{"dutydesk_up", "gauge", "1 while the gateway runs"},
};
#define NKNOWN (sizeof known / sizeof known[0])

enum { MAX_SERIES = 256 };

static struct series {
	int metric;
	char labels[128];
	double value;
} series[MAX_SERIES];
static int nseries;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int metric_index(const char *name)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (strcmp(known[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Under the lock: the series, added when new; NULL when full or unknown. */
static struct series *find(const char *name, const char *labels)
{
	int m = metric_index(name);
	if (m < 0)
		return NULL;
	if (!labels)
		labels = "";
	for (int i = 0; i < nseries; i++)
		if (series[i].metric == m && strcmp(series[i].labels, labels) == 0)
			return &series[i];
	if (nseries == MAX_SERIES || strlen(labels) >= sizeof series[0].labels)
		return NULL;
	struct series *s = &series[nseries++];
	s->metric = m;
	snprintf(s->labels, sizeof s->labels, "%s", labels);
	s->value = 0;
	return s;
}

void gw_metrics_add(const char *name, const char *labels, double by)
{
	pthread_mutex_lock(&lock);
	struct series *s = find(name, labels);
	if (s)
		s->value += by;
	pthread_mutex_unlock(&lock);
}

void gw_metrics_set(const char *name, const char *labels, double value)
{
	pthread_mutex_lock(&lock);
	struct series *s = find(name, labels);
	if (s)
		s->value = value;
	pthread_mutex_unlock(&lock);
}

void gw_metrics_request(const char *path, int code)
{
	char labels[96];
	snprintf(labels, sizeof labels, "path=\"%s\",code=\"%d\"", path, code);
	gw_metrics_add("dutydesk_http_requests_total", labels, 1);
}

void gw_metrics_render(dd_buf *out)
{
	pthread_mutex_lock(&lock);
	for (size_t m = 0; m < NKNOWN; m++) {
		bool any = false;
		for (int i = 0; i < nseries; i++) {
			if (series[i].metric != (int)m)
				continue;
			if (!any)
				dd_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", known[m].name,
					      known[m].help, known[m].name, known[m].type);
			any = true;
			if (series[i].labels[0])
				dd_buf_printf(out, "%s{%s} %.17g\n", known[m].name, series[i].labels,
					      series[i].value);
			else
				dd_buf_printf(out, "%s %.17g\n", known[m].name, series[i].value);
		}
	}
	pthread_mutex_unlock(&lock);
}

void gw_metrics_reset(void)
{
	pthread_mutex_lock(&lock);
	nseries = 0;
	pthread_mutex_unlock(&lock);
}
