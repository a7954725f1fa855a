/* Inbound messages: the one path every source (webhook, Telegram polling,
 * `dutydesk ingest`) takes from a parsed messenger message to stored rows. */
#ifndef DUTYDESK_INBOUND_H
#define DUTYDESK_INBOUND_H

#include "dutydesk/user.h"

/* X(enum, name): what a message is; the name is stored in inbound.kind. */
#define DD_INBOUND_KINDS(X)                    \
	X(DD_IN_TEXT, "text")                  \
	X(DD_IN_IMAGE, "image")                \
	X(DD_IN_VIDEO, "video")                \
	X(DD_IN_AUDIO, "audio")                \
	X(DD_IN_DOCUMENT, "document")          \
	X(DD_IN_LOCATION, "location")          \
	X(DD_IN_BUTTON, "button")              \
	X(DD_IN_INTERACTIVE, "interactive")    \
	X(DD_IN_EDITED, "edited")              \
	X(DD_IN_UNSUPPORTED, "unsupported")

typedef enum {
#define X(e, n) e,
	DD_INBOUND_KINDS(X)
#undef X
	DD_IN_COUNT
} dd_inbound_kind;

const char *dd_inbound_kind_name(dd_inbound_kind k);

/* One message as an adapter parsed it. Strings are borrowed (the caller
 * keeps them alive for the call); NULL or "" means absent. */
typedef struct dd_inbound {
	const char *channel;      /* "whatsapp" or "telegram" */
	const char *external_id;  /* the messenger's id of this message (unique per channel) */
	const char *sender;       /* phone as WhatsApp writes it, or the Telegram user id */
	const char *sender_name;  /* the profile name */
	dd_inbound_kind kind;
	const char *text;         /* text, caption, or a button's title */
	const char *payload;      /* a button's id or callback data ("ack:123") */
	const char *context_id;   /* the message this one answers (our notification) */
	const char *media_id, *media_mime, *media_sha256, *media_filename;
	bool has_location;
	double lat, lon;
	const char *loc_name, *loc_address;
	const char *unsupported_type; /* for DD_IN_UNSUPPORTED: the platform's type name */
	const char *edit_of;      /* for DD_IN_EDITED: external_id of the message edited */
	int64_t at;               /* the message's time, UTC ms; 0: now */
	const char *raw;          /* the payload it came in, kept as evidence */
} dd_inbound;

typedef enum {
	DD_INR_NEW,        /* a new report */
	DD_INR_JOINED,     /* added to an open report of the same sender */
	DD_INR_DUPLICATE,  /* seen before; nothing stored */
	DD_INR_EDITED,     /* a report's text was updated */
	DD_INR_OFFICER,    /* an officer's reply moved a report */
	DD_INR_HELP,       /* an officer's reply was unclear or refused; an answer is queued */
	DD_INR_STATUS,     /* a delivery status moved a notification */
	DD_INR_IGNORED,    /* a status for an unknown or later notification; a
			    * button press from someone not an officer */
} dd_inbound_outcome;

typedef struct dd_inbound_result {
	dd_inbound_outcome outcome;
	int64_t report;        /* the report concerned; 0 when none */
	int64_t notification;  /* DD_INR_STATUS: the outbox row */
	/* One line saying what happened ("stored report #12 (new)"). It may
	 * quote ids that came from the messenger: clean it before printing. */
	char summary[512];
} dd_inbound_result;

/*
 * Stores one message in one transaction: idempotency (a message seen before
 * is DD_INR_DUPLICATE and changes nothing), the contact's last inbound time,
 * then either an officer's reply (1/2/3 or a button "ack:N", "onsite:N",
 * "done:N" moves the report through dd_report_apply with the officer as
 * actor; anything else queues a help answer), or a report: a new one (routed
 * by the sender; the reporter's "received" notification queued), or joined
 * to the sender's open report when their previous message is at most
 * join_window_s seconds away, or for DD_IN_EDITED the edited report's text
 * updated. Media become pending attachments. Returns DD_EINVAL for a message
 * without channel, id or sender; database failures roll everything back.
 */
dd_status dd_inbound_store(dd_db *db, const dd_inbound *in, int join_window_s,
			   dd_inbound_result *res, dd_err *err);

/* A delivery status (WhatsApp statuses[]): moves the notification whose
 * external id matches forward (see dd_outbox_mark_by_external). An unknown
 * id is DD_INR_IGNORED, not an error. */
typedef struct dd_delivery {
	const char *channel, *external_id;
	const char *state;     /* "sent", "delivered", "read", "failed" */
	int error_code;        /* 0: none */
	const char *error;     /* the platform's words, or NULL */
} dd_delivery;
dd_status dd_inbound_status(dd_db *db, const dd_delivery *d, dd_inbound_result *res,
			    dd_err *err);

/*
 * Links an unknown sender (a phone number or Telegram id that wrote in) to a
 * known reporter, given by id ("12" or "#12") or phone. Sets the reporter's
 * phone or Telegram id when missing (refused when it holds another one),
 * moves the sender's unrouted reports to the reporter, routes them to the
 * organisation's district, and writes a "link" event on each. Needs the
 * dispatcher role. *moved (may be NULL) gets how many reports moved.
 */
dd_status dd_reporter_link(dd_db *db, const dd_actor *actor, const char *sender,
			   const char *reporter, int64_t *moved, dd_err *err);

#endif
