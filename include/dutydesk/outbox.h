/* The notification outbox: rows written with the state change that implies
 * them; the gateway sends them. */
#ifndef DUTYDESK_OUTBOX_H
#define DUTYDESK_OUTBOX_H

#include "dutydesk/db.h"

typedef struct dd_notification {
	int64_t id, report, created_at, updated_at;
	char *recipient;  /* "officer" or "reporter" */
	char *to;         /* officer badge or reporter name/phone, for people */
	char *channel, *address, *kind, *body, *state, *error;
	int attempts;
} dd_notification;

/* Queues a message to the officer (by id) about report, on the officer's
 * channel (Telegram when known, else WhatsApp); with no way to reach the
 * officer the row is stored as failed, saying so. */
dd_status dd_outbox_to_officer(dd_db *db, int64_t report, int64_t event, int64_t officer,
			       const char *kind, const char *body, dd_err *err);
/* Same for the report's reporter, on the channel the report came by. Does
 * nothing when the report has no reachable reporter. */
dd_status dd_outbox_to_reporter(dd_db *db, int64_t report, int64_t event, const char *kind,
				const char *body, dd_err *err);

dd_status dd_outbox_for_report(dd_db *db, int64_t report, dd_notification **out, size_t *n,
			       dd_err *err);
void dd_notification_list_free(dd_notification **list, size_t n);

#endif
