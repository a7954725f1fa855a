/*
 * One webhook body through the adapters into the core: what the webhook
 * server, Telegram polling and `dutydesk ingest` all do.
 */
#ifndef DUTYDESK_GATEWAY_INGEST_H
#define DUTYDESK_GATEWAY_INGEST_H

#include "dutydesk/db.h"
#include "dutydesk/inbound.h"

/* A Telegram button press to answer (answerCallbackQuery). */
typedef struct gw_callback_answer {
	char *id;
	char *text;  /* short, for the officer's screen */
} gw_callback_answer;

typedef struct gw_ingest_out {
	/* One line per message, status and skipped part, each ending in '\n':
	 * "stored report #12 (new)". Quotes ids from the messenger: clean it
	 * before it reaches a terminal. */
	dd_buf lines;
	int stored, joined, duplicates, edited, officer, help, statuses, ignored, skipped;
	gw_callback_answer *answers;
	size_t nanswers, capanswers;
	int64_t last_update_id; /* Telegram: the highest update_id in the body */
} gw_ingest_out;

void gw_ingest_out_free(gw_ingest_out *o);

/*
 * Parses body as channel ("whatsapp" or "telegram") and stores every
 * message and status, each in its own transaction. DD_EINVAL when the body
 * is unusable as a whole (invalid JSON, not a webhook): nothing stored.
 * Other failures (the database) stop at the message that failed; what was
 * stored before it stays stored, and a retry of the body finds it as
 * duplicates.
 */
dd_status gw_ingest(dd_db *db, const char *channel, const char *body, size_t len,
		    int join_window_s, gw_ingest_out *out, dd_err *err);

#endif
