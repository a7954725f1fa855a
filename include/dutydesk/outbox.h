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

/* ---- for the sender (the gateway) ---- */

/* A row claimed for sending. */
typedef struct dd_outbox_job {
	int64_t id, report, created_at;
	int attempts;          /* including the one now starting */
	bool template;         /* send as the approved template (window closed,
				  or the platform asked for re-engagement) */
	char *recipient;       /* "officer" or "reporter" */
	char *channel, *address, *kind, *body;
} dd_outbox_job;

/*
 * Claims up to limit rows of channel ("whatsapp" or "telegram") that are
 * 'queued' with next_at <= now, oldest next_at first: in one BEGIN IMMEDIATE
 * transaction they become 'sending' with attempts + 1. Two senders never
 * claim the same row. *out (n rows; NULL when none) is freed with
 * dd_outbox_job_list_free.
 */
dd_status dd_outbox_claim_due(dd_db *db, const char *channel, int64_t now, size_t limit,
			      dd_outbox_job **out, size_t *n, dd_err *err);
void dd_outbox_job_list_free(dd_outbox_job **list, size_t n);

/* A claimed row not started after all (pacing, a paused channel): back to
 * 'queued' at next_at, the attempt not counted. */
dd_status dd_outbox_defer(dd_db *db, int64_t id, int64_t next_at, dd_err *err);
/* The platform accepted it: 'sent' with its message id and sent_at = now;
 * template says which form went out. Only a 'sending' row changes. */
dd_status dd_outbox_mark_sent(dd_db *db, int64_t id, const char *external_id, bool template,
			      int64_t now, dd_err *err);
/* A failed attempt to try again: back to 'queued' at next_at with the error
 * (code 0 for none, e.g. a network error) and, when template, to be sent as
 * the template next time. */
dd_status dd_outbox_mark_retry(dd_db *db, int64_t id, int64_t next_at, int code,
			       const char *error, bool template, dd_err *err);
/* A permanent failure: 'failed' with the reason. */
dd_status dd_outbox_mark_failed(dd_db *db, int64_t id, int code, const char *error,
				dd_err *err);
/* At start-up: every 'sending' row (left by a crash) back to 'queued', due
 * now; at-least-once. *n (may be NULL) gets how many. */
dd_status dd_outbox_requeue_sending(dd_db *db, int *n, dd_err *err);
/* Queued rows created before now - max_age_ms become 'failed' ("gave up
 * after N attempts in T: last error"). *n (may be NULL) gets how many. */
dd_status dd_outbox_give_up(dd_db *db, int64_t now, int64_t max_age_ms, int *n, dd_err *err);
/* The console's undo: the event's rows still 'queued' become 'cancelled'
 * (rows already sending or sent are left alone). *n (may be NULL) gets how
 * many. Joins the caller's transaction when there is one. */
dd_status dd_outbox_cancel_for_event(dd_db *db, int64_t event_id, int *n, dd_err *err);

/* Rows by state, for metrics and the console. */
typedef struct dd_outbox_counts {
	int64_t queued, sending, sent, delivered, read, failed, cancelled;
	int64_t oldest_queued_at; /* created_at of the oldest queued row; 0 none */
} dd_outbox_counts;
dd_status dd_outbox_count(dd_db *db, dd_outbox_counts *out, dd_err *err);

/* The WhatsApp customer-service window: 24 hours after the contact last
 * wrote to us (contacts.last_inbound_at, address digits only as WhatsApp
 * writes it; the sender's address is compared by its digits). */
#define DD_CONTACT_WINDOW_MS (24 * 3600 * INT64_C(1000))
bool dd_contact_window_open(dd_db *db, const char *channel, const char *address, int64_t now);

/* A delivery status from the platform (WhatsApp statuses[]) for the row
 * whose external_id matches on channel: state is "sent", "delivered",
 * "read" or "failed" (with error_code, 0 for none, and the platform's
 * words in error). Never moves a row backwards (read after delivered stays
 * read); failed wins over the others, except that a failure with 131047
 * (the 24-hour window closed) puts a row not yet sent as the template back
 * in the queue as the template. A cancelled row is left alone. DD_ENOTFOUND
 * when no row has that id; DD_EINVAL for an unknown state. */
dd_status dd_outbox_mark_by_external(dd_db *db, const char *channel, const char *external_id,
				     const char *state, int error_code, const char *error,
				     dd_err *err);
/* The row with that external id (0 when none) and its state (caller frees;
 * may be NULL). */
int64_t dd_outbox_find_external(dd_db *db, const char *channel, const char *external_id,
				char **state);

#endif
