/* Reports and their lifecycle: one state machine for the console, the CLI
 * and the gateway. */
#ifndef DUTYDESK_REPORT_H
#define DUTYDESK_REPORT_H

#include "dutydesk/user.h"

/* X(enum, code, label): codes are stored and scripted; labels translated. */
#define DD_STATUS_TABLE(X)                                   \
	X(DD_RS_NEW, "new", N_("new"))                       \
	X(DD_RS_ASSIGNED, "assigned", N_("assigned"))        \
	X(DD_RS_ACKNOWLEDGED, "acknowledged", N_("acknowledged")) \
	X(DD_RS_ON_SITE, "on_site", N_("on site"))           \
	X(DD_RS_RESOLVED, "resolved", N_("resolved"))        \
	X(DD_RS_CLOSED, "closed", N_("closed"))              \
	X(DD_RS_REJECTED, "rejected", N_("rejected"))        \
	X(DD_RS_DUPLICATE, "duplicate", N_("duplicate"))

typedef enum {
#define X(e, c, l) e,
	DD_STATUS_TABLE(X)
#undef X
	DD_RS_COUNT
} dd_report_status;

const char *dd_rs_code(dd_report_status s);
const char *dd_rs_label(dd_report_status s); /* translated */
/* Returns -1 for an unknown code. */
int dd_rs_parse(const char *code);
bool dd_rs_is_open(dd_report_status s);

/* X(enum, code, label, least role): the actions of the lifecycle. */
#define DD_ACTION_TABLE(X)                                                         \
	X(DD_ACT_ASSIGN, "assign", N_("assign"), DD_ROLE_DISPATCHER)               \
	X(DD_ACT_ACKNOWLEDGE, "acknowledge", N_("acknowledge"), DD_ROLE_DISPATCHER) \
	X(DD_ACT_ON_SITE, "on_site", N_("on site"), DD_ROLE_DISPATCHER)            \
	X(DD_ACT_RESOLVE, "resolve", N_("resolve"), DD_ROLE_DISPATCHER)            \
	X(DD_ACT_CLOSE, "close", N_("close"), DD_ROLE_DISPATCHER)                  \
	X(DD_ACT_REJECT, "reject", N_("reject"), DD_ROLE_DISPATCHER)               \
	X(DD_ACT_DUPLICATE, "duplicate", N_("mark duplicate"), DD_ROLE_DISPATCHER) \
	X(DD_ACT_REOPEN, "reopen", N_("reopen"), DD_ROLE_SUPERVISOR)               \
	X(DD_ACT_PRIORITY, "priority", N_("change priority"), DD_ROLE_DISPATCHER)  \
	X(DD_ACT_CATEGORY, "category", N_("change category"), DD_ROLE_DISPATCHER)  \
	X(DD_ACT_DISTRICT, "district", N_("move to district"), DD_ROLE_DISPATCHER) \
	X(DD_ACT_NOTE, "note", N_("add note"), DD_ROLE_DISPATCHER)

typedef enum {
#define X(e, c, l, r) e,
	DD_ACTION_TABLE(X)
#undef X
	DD_ACT_COUNT
} dd_action;

const char *dd_action_code(dd_action a);
const char *dd_action_label(dd_action a);
int dd_action_parse(const char *code);
/* May action a be taken on a report in status s? */
bool dd_action_allowed(dd_action a, dd_report_status s);
/* The status a status-changing action leads to (or s for the others). */
dd_report_status dd_action_target(dd_action a, dd_report_status s, bool has_officer);

/* One change to one report. */
typedef struct dd_change {
	dd_action action;
	int64_t report;
	int64_t expect_version; /* 0: no check */
	const char *officer;    /* assign: id or badge */
	const char *text;       /* note text; the reason for reject; optional else */
	int64_t duplicate_of;   /* duplicate */
	int priority;           /* priority: 1..4 */
	const char *category;   /* category code */
	const char *district;   /* district code; "" or NULL moves to unrouted */
} dd_change;

/*
 * Applies c as actor in one transaction: checks the role, the allowed
 * transition and the version; updates the row (version + 1); writes the audit
 * event; enqueues the notifications it implies (officer on assign, reporter
 * on assign and resolve). *version (may be NULL) gets the new version. A stale
 * version fails with DD_ESTALE naming who changed the report and how.
 */
dd_status dd_report_apply(dd_db *db, const dd_actor *actor, const dd_change *c,
			  int64_t *version, dd_err *err);

/*
 * Undoes the audited action event (by the same actor, within window_ms, and
 * only while the report is still at the version that action left): puts back
 * what it changed as a new change (event "undo"), and cancels its
 * notifications that are still queued. summary (may be NULL) gets one line
 * saying what happened, e.g. "undid the assign of report #12; 2
 * notification(s) cancelled".
 */
dd_status dd_report_undo(dd_db *db, const dd_actor *actor, int64_t event, int window_ms,
			 char *summary, size_t size, dd_err *err);
/* The id of actor's latest event on report (0 when none). */
int64_t dd_report_last_event(dd_db *db, const dd_actor *actor, int64_t report);

/* Adds a note to report as actor, inside the caller's transaction; at is
 * when it was written (UTC ms; 0: now). Used by the "note" action and by
 * any action given a text. */
dd_status dd_note_add(dd_db *db, const dd_actor *actor, int64_t report, const char *text, int64_t at,
		      dd_err *err);

/* A new report. */
typedef struct dd_report_in {
	const char *channel;      /* "desk", "whatsapp", "telegram" */
	const char *external_id;  /* the messenger's message id; NULL for desk */
	const char *district;     /* code; NULL: routed from the reporter */
	const char *category;     /* NULL: "other" */
	int priority;             /* 0: 3 (normal) */
	const char *text;
	const char *reporter_phone;
	int64_t reporter_telegram;
	const char *sender;       /* as received (phone, telegram id) */
	const char *sender_name;  /* the messenger profile name */
	const char *address;
	bool has_location;
	double lat, lon;
	const char *raw;          /* the payload, kept as evidence */
	int64_t received_at;      /* 0: now */
} dd_report_in;

/* Creates a report (inside the caller's transaction when one is open, else
 * in its own) with its "create" event. *id gets the new id. A message
 * (channel, external_id) stored before fails with DD_EEXIST and *id gets the
 * report that holds it. */
dd_status dd_report_create(dd_db *db, const dd_actor *actor, const dd_report_in *in,
			   int64_t *id, dd_err *err);

/* A report as views and commands show it. Strings are owned by it. */
typedef struct dd_report {
	int64_t id;
	dd_report_status status;
	int priority;
	char *category;
	char *district, *district_name;        /* NULL: unrouted */
	char *channel, *external_id;
	char *reporter_phone, *reporter_name;  /* NULL when unknown */
	int64_t reporter_id;
	char *org_name;
	char *officer_badge, *officer_name;    /* NULL when unassigned */
	char *sender, *sender_name;
	char *text, *address;
	bool has_location;
	double lat, lon;
	int64_t duplicate_of;
	char *reason;
	int64_t received_at, updated_at;
	char *updated_by;
	int64_t version;
	char *notify_state;  /* latest notification's state, NULL when none */
} dd_report;

void dd_report_clear(dd_report *r);
void dd_report_list_free(dd_report **list, size_t n);

typedef enum {
	DD_ORDER_QUEUE,     /* priority, then oldest first */
	DD_ORDER_NEWEST,    /* newest first */
	DD_ORDER_OLDEST,
} dd_report_order;

typedef struct dd_report_filter {
	unsigned status_mask;  /* 1 << dd_report_status; 0: any */
	bool open_only;        /* status is one of the open ones */
	const char *district;  /* code; NULL: any */
	bool unrouted;         /* no district */
	const char *category;
	const char *search;    /* full-text query: every word must match, as a
				* prefix; results come newest first, whatever
				* the order */
	const struct dd_pattern *pattern; /* a limit pattern (pattern.h); NULL: none */
	const int64_t *tagged; /* the tag set for ~t */
	size_t ntagged;
	dd_report_order order;
} dd_report_filter;

dd_status dd_report_page(dd_db *db, const dd_report_filter *f, int64_t offset, int limit,
			 dd_report **out, size_t *n, dd_err *err);
dd_status dd_report_get(dd_db *db, int64_t id, dd_report *out, dd_err *err);

/* Counts per district and status, from the maintained table. district is
 * NULL for unrouted. */
typedef struct dd_report_count {
	char *district;
	int64_t n[DD_RS_COUNT];
} dd_report_count;
dd_status dd_report_counts(dd_db *db, dd_report_count **out, size_t *n, dd_err *err);
void dd_report_counts_free(dd_report_count **list, size_t n);

/* Open reports that are overdue, per district (n[0]): new ones received
 * before new_before, and any open one received before open_before. */
dd_status dd_report_overdue_counts(dd_db *db, int64_t new_before, int64_t open_before,
				   dd_report_count **out, size_t *n, dd_err *err);
/* The highest report id (0 when none): new arrivals show as it grows. */
int64_t dd_report_max_id(dd_db *db);
/* Where report id sits in the queue f (0-based), or -1 when it is not in it
 * or the filter has a pattern or a search (not worth counting). */
int64_t dd_report_position(dd_db *db, const dd_report_filter *f, int64_t id);

/* The history of one report. */
typedef struct dd_event {
	int64_t id, at;
	char *actor, *action, *before, *after;
} dd_event;
dd_status dd_report_events(dd_db *db, int64_t id, dd_event **out, size_t *n, dd_err *err);
void dd_event_list_free(dd_event **list, size_t n);

typedef struct dd_note {
	int64_t id, at;
	char *author, *text;
} dd_note;
dd_status dd_report_notes(dd_db *db, int64_t id, dd_note **out, size_t *n, dd_err *err);
void dd_note_list_free(dd_note **list, size_t n);

typedef struct dd_attachment {
	int64_t id, size;
	char *kind, *mime, *path, *state, *caption;
} dd_attachment;
dd_status dd_report_attachments(dd_db *db, int64_t id, dd_attachment **out, size_t *n,
				dd_err *err);
void dd_attachment_list_free(dd_attachment **list, size_t n);

#endif
