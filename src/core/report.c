/* The report lifecycle: the one state machine every process goes through. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db_internal.h"
#include "dutydesk/audit.h"
#include "dutydesk/clock.h"
#include "dutydesk/outbox.h"
#include "dutydesk/registry.h"
#include "dutydesk/report.h"

static const struct {
	const char *code, *label;
} statuses[] = {
#define X(e, c, l) {c, l},
	DD_STATUS_TABLE(X)
#undef X
};

static const struct {
	const char *code, *label;
	dd_role role;
} actions[] = {
#define X(e, c, l, r) {c, l, r},
	DD_ACTION_TABLE(X)
#undef X
};

#define S(x) (1u << (x))
#define OPEN_SET (S(DD_RS_NEW) | S(DD_RS_ASSIGNED) | S(DD_RS_ACKNOWLEDGED) | S(DD_RS_ON_SITE))
#define WORK_SET (S(DD_RS_ASSIGNED) | S(DD_RS_ACKNOWLEDGED) | S(DD_RS_ON_SITE))
#define ANY_SET ((1u << DD_RS_COUNT) - 1)

/* From which statuses each action may be taken. */
static const unsigned allowed_from[DD_ACT_COUNT] = {
	[DD_ACT_ASSIGN] = OPEN_SET,
	[DD_ACT_ACKNOWLEDGE] = S(DD_RS_ASSIGNED),
	[DD_ACT_ON_SITE] = S(DD_RS_ASSIGNED) | S(DD_RS_ACKNOWLEDGED),
	[DD_ACT_RESOLVE] = WORK_SET,
	[DD_ACT_CLOSE] = S(DD_RS_RESOLVED),
	[DD_ACT_REJECT] = OPEN_SET,
	[DD_ACT_DUPLICATE] = OPEN_SET,
	[DD_ACT_REOPEN] = S(DD_RS_RESOLVED) | S(DD_RS_CLOSED) | S(DD_RS_REJECTED),
	[DD_ACT_PRIORITY] = ANY_SET,
	[DD_ACT_CATEGORY] = ANY_SET,
	[DD_ACT_DISTRICT] = ANY_SET,
	[DD_ACT_NOTE] = ANY_SET,
};

const char *dd_rs_code(dd_report_status s)
{
	return (unsigned)s < DD_RS_COUNT ? statuses[s].code : "?";
}

const char *dd_rs_label(dd_report_status s)
{
	return (unsigned)s < DD_RS_COUNT ? _(statuses[s].label) : "?";
}

int dd_rs_parse(const char *code)
{
	for (int i = 0; code && i < DD_RS_COUNT; i++)
		if (strcmp(code, statuses[i].code) == 0)
			return i;
	return -1;
}

bool dd_rs_is_open(dd_report_status s)
{
	return OPEN_SET & S(s);
}

const char *dd_action_code(dd_action a)
{
	return (unsigned)a < DD_ACT_COUNT ? actions[a].code : "?";
}

const char *dd_action_label(dd_action a)
{
	return (unsigned)a < DD_ACT_COUNT ? _(actions[a].label) : "?";
}

int dd_action_parse(const char *code)
{
	for (int i = 0; code && i < DD_ACT_COUNT; i++)
		if (strcmp(code, actions[i].code) == 0)
			return i;
	return -1;
}

bool dd_action_allowed(dd_action a, dd_report_status s)
{
	return (unsigned)a < DD_ACT_COUNT && (allowed_from[a] & S(s));
}

dd_report_status dd_action_target(dd_action a, dd_report_status s, bool has_officer)
{
	switch (a) {
	case DD_ACT_ASSIGN: return DD_RS_ASSIGNED;
	case DD_ACT_ACKNOWLEDGE: return DD_RS_ACKNOWLEDGED;
	case DD_ACT_ON_SITE: return DD_RS_ON_SITE;
	case DD_ACT_RESOLVE: return DD_RS_RESOLVED;
	case DD_ACT_CLOSE: return DD_RS_CLOSED;
	case DD_ACT_REJECT: return DD_RS_REJECTED;
	case DD_ACT_DUPLICATE: return DD_RS_DUPLICATE;
	case DD_ACT_REOPEN: return has_officer ? DD_RS_ASSIGNED : DD_RS_NEW;
	default: return s;
	}
}

/* The row an action starts from. */
struct row {
	int64_t id, version, officer, district, duplicate_of;
	dd_report_status status;
	int priority;
	char category[64];
	char officer_badge[64];
	char district_code[64];
	char *text;
	char *address;
	char *who; /* reporter or organisation, for the officer's message */
	char *reason;
};

static void row_clear(struct row *r)
{
	free(r->text);
	free(r->address);
	free(r->who);
	free(r->reason);
}

static dd_status load_row(dd_db *db, int64_t id, struct row *r, dd_err *err)
{
	static const char sql[] =
		"SELECT r.version, r.status, r.priority, r.category, coalesce(r.officer_id, 0), "
		"  coalesce(r.district_id, 0), coalesce(r.duplicate_of, 0), o.badge, d.code, r.text, "
		"  r.address, trim(coalesce(g.name, '') || ' ' || coalesce(p.name, r.sender_name, '') "
		"  || ' ' || coalesce(p.phone, r.sender, '')), r.reason "
		"FROM reports r LEFT JOIN officers o ON o.id = r.officer_id "
		"LEFT JOIN districts d ON d.id = r.district_id "
		"LEFT JOIN reporters p ON p.id = r.reporter_id "
		"LEFT JOIN organisations g ON g.id = r.org_id WHERE r.id = ?";
	memset(r, 0, sizeof *r);
	sqlite3_stmt *st;
	dd_status s = dd_report_row(db, sql, id, &st, err);
	if (s)
		return s;
	r->id = id;
	r->version = sqlite3_column_int64(st, 0);
	r->status = (dd_report_status)dd_rs_parse((const char *)sqlite3_column_text(st, 1));
	r->priority = sqlite3_column_int(st, 2);
	snprintf(r->category, sizeof r->category, "%s", sqlite3_column_text(st, 3));
	r->officer = sqlite3_column_int64(st, 4);
	r->district = sqlite3_column_int64(st, 5);
	r->duplicate_of = sqlite3_column_int64(st, 6);
	const unsigned char *b = sqlite3_column_text(st, 7), *d = sqlite3_column_text(st, 8);
	snprintf(r->officer_badge, sizeof r->officer_badge, "%s", b ? (const char *)b : "");
	snprintf(r->district_code, sizeof r->district_code, "%s", d ? (const char *)d : "");
	r->text = dd_col_strdup(st, 9);
	r->address = dd_col_strdup(st, 10);
	r->who = dd_col_strdup(st, 11);
	r->reason = dd_col_strdup(st, 12);
	sqlite3_reset(st);
	return DD_OK;
}

/* Says who changed the report last, and how, for a refused stale action. */
static dd_status stale(dd_db *db, const struct row *r, int64_t expected, dd_err *err)
{
	static const char sql[] =
		"SELECT actor, action, at, after FROM events WHERE report_id = ? ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	char who[160] = "?", what[64] = "?", when[32] = "?";
	if (st) {
		sqlite3_bind_int64(st, 1, r->id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(who, sizeof who, "%s", sqlite3_column_text(st, 0));
			snprintf(what, sizeof what, "%s", sqlite3_column_text(st, 1));
			dd_time_short(when, sizeof when, sqlite3_column_int64(st, 2));
		}
		sqlite3_reset(st);
	}
	return dd_fail(err, DD_ESTALE,
		       _("report #%lld changed since you read it (your version %lld, now %lld): "
			 "%s did '%s' at %s; it is now %s; nothing was changed, look again and retry"),
		       (long long)r->id, (long long)expected, (long long)r->version, who, what, when,
		       dd_rs_code(r->status));
}

static dd_status officer_may(const dd_actor *a, const dd_change *c, const struct row *r,
			     dd_err *err)
{
	if (c->action != DD_ACT_ACKNOWLEDGE && c->action != DD_ACT_ON_SITE &&
	    c->action != DD_ACT_RESOLVE && c->action != DD_ACT_NOTE)
		return dd_fail(err, DD_EPERM, _("%s: an officer may only acknowledge, report on "
						"site, resolve or add a note"),
			       dd_action_label(c->action));
	if (r->officer != a->id)
		return dd_fail(err, DD_EPERM, _("report #%lld is not assigned to officer %s"),
			       (long long)r->id, a->login);
	return DD_OK;
}

static void json_set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, v && *v ? json_string(v) : json_null());
}

static char *json_take(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(o);
	return s;
}

static void excerpt(dd_buf *b, const char *text, size_t max)
{
	size_t n = text ? strlen(text) : 0;
	if (n <= max) {
		dd_buf_adds(b, text ? text : "");
		return;
	}
	while (max > 0 && ((unsigned char)text[max] & 0xC0) == 0x80)
		max--; /* do not cut a UTF-8 sequence */
	dd_buf_add(b, text, max);
	dd_buf_adds(b, "…");
}

static char *officer_message(const struct row *r)
{
	dd_buf b = {0};
	dd_buf_printf(&b, _("Report #%lld (%s), priority %d\n"), (long long)r->id, r->category,
		      r->priority);
	if (r->address && *r->address)
		dd_buf_printf(&b, _("Address: %s\n"), r->address);
	excerpt(&b, r->text, 300);
	dd_buf_addc(&b, '\n');
	if (r->who && *r->who)
		dd_buf_printf(&b, _("Reporter: %s\n"), r->who);
	dd_buf_adds(&b, _("Reply 1 to accept, 2 when on site, 3 when done."));
	return dd_buf_take(&b);
}

dd_status dd_note_add(dd_db *db, const dd_actor *a, int64_t report, const char *text, int64_t at,
		     dd_err *err)
{
	static const char sql[] =
		"INSERT INTO notes(report_id, author, text, created_at) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	char who[160];
	dd_actor_label(a, who, sizeof who);
	sqlite3_bind_int64(st, 1, report);
	sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, at ? at : dd_now_ms());
	return dd_step_done(db, st, err, _("saving the note"));
}

static bool blank(const char *s)
{
	if (!s)
		return true;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

/* The new values an action writes; starts as a copy of the row. */
struct next {
	dd_report_status status;
	int64_t officer, district, duplicate_of;
	int priority;
	const char *category;
	const char *reason;
	bool set_assigned_at, set_resolved_at, clear_resolved_at;
};

/* Checks the action's own arguments and fills *n. */
static dd_status plan(dd_db *db, const dd_change *c, const struct row *r, struct next *n,
		      dd_officer *officer, dd_err *err)
{
	dd_status s;
	n->status = dd_action_target(c->action, r->status, r->officer != 0);
	switch (c->action) {
	case DD_ACT_ASSIGN:
		if (!c->officer || !*c->officer)
			return dd_fail(err, DD_EINVAL, _("assign: which officer?"));
		if ((s = dd_officer_find(db, c->officer, officer, err)))
			return s;
		if (!officer->active)
			return dd_fail(err, DD_EINVAL, _("officer %s (%s) is not active"),
				       officer->badge, officer->name);
		if (officer->id == r->officer && r->status == DD_RS_ASSIGNED)
			return dd_fail(err, DD_EINVAL, _("report #%lld is already assigned to %s"),
				       (long long)r->id, officer->badge);
		n->officer = officer->id;
		n->set_assigned_at = true;
		break;
	case DD_ACT_RESOLVE:
		n->set_resolved_at = true;
		break;
	case DD_ACT_REJECT:
		if (blank(c->text))
			return dd_fail(err, DD_EINVAL, _("reject: a reason is required"));
		n->reason = c->text;
		break;
	case DD_ACT_DUPLICATE: {
		int64_t root = c->duplicate_of;
		for (int hops = 0; root && hops < 100; hops++) {
			struct row t;
			if ((s = load_row(db, root, &t, err)))
				return s;
			row_clear(&t);
			if (t.status != DD_RS_DUPLICATE || !t.duplicate_of)
				break;
			root = t.duplicate_of;
		}
		if (!root)
			return dd_fail(err, DD_EINVAL, _("duplicate: of which report?"));
		if (root == r->id)
			return dd_fail(err, DD_EINVAL, _("report #%lld cannot be a duplicate of itself"),
				       (long long)r->id);
		n->duplicate_of = root;
		break;
	}
	case DD_ACT_REOPEN:
		n->duplicate_of = 0;
		n->reason = NULL;
		n->clear_resolved_at = true;
		break;
	case DD_ACT_PRIORITY:
		if (c->priority < 1 || c->priority > 4)
			return dd_fail(err, DD_EINVAL,
				       _("priority must be 1 (urgent), 2 (high), 3 (normal) or 4 (low)"));
		if (c->priority == r->priority)
			return dd_fail(err, DD_EINVAL, _("report #%lld already has priority %d"),
				       (long long)r->id, r->priority);
		n->priority = c->priority;
		break;
	case DD_ACT_CATEGORY:
		if (!dd_category_exists(db, c->category))
			return dd_fail(err, DD_EINVAL, _("unknown category '%s'"),
				       c->category ? c->category : "");
		n->category = c->category;
		break;
	case DD_ACT_DISTRICT:
		n->district = 0;
		if (c->district && *c->district &&
		    (s = dd_district_id(db, c->district, &n->district, err)))
			return s;
		if (n->district == r->district)
			return dd_fail(err, DD_EINVAL, _("report #%lld is already there"),
				       (long long)r->id);
		break;
	case DD_ACT_NOTE:
		if (blank(c->text))
			return dd_fail(err, DD_EINVAL, _("note: the text is empty"));
		break;
	default:
		break;
	}
	return DD_OK;
}

static dd_status write_row(dd_db *db, const dd_actor *a, const struct row *r,
			   const struct next *n, dd_err *err)
{
	static const char sql[] =
		"UPDATE reports SET status = ?2, officer_id = ?3, district_id = ?4, "
		"  duplicate_of = ?5, priority = ?6, category = ?7, reason = ?8, "
		"  assigned_at = CASE WHEN ?9 THEN ?11 ELSE assigned_at END, "
		"  resolved_at = CASE WHEN ?10 = 1 THEN ?11 WHEN ?10 = 2 THEN NULL ELSE resolved_at END, "
		"  updated_at = ?11, updated_by = ?12, version = version + 1 "
		"WHERE id = ?1 AND version = ?13";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	char who[160];
	dd_actor_label(a, who, sizeof who);
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, dd_rs_code(n->status), -1, SQLITE_STATIC);
	dd_bind_id(st, 3, n->officer);
	dd_bind_id(st, 4, n->district);
	dd_bind_id(st, 5, n->duplicate_of);
	sqlite3_bind_int(st, 6, n->priority);
	sqlite3_bind_text(st, 7, n->category, -1, SQLITE_STATIC);
	dd_bind_text(st, 8, n->reason);
	sqlite3_bind_int(st, 9, n->set_assigned_at);
	sqlite3_bind_int(st, 10, n->set_resolved_at ? 1 : n->clear_resolved_at ? 2 : 0);
	sqlite3_bind_int64(st, 11, dd_now_ms());
	sqlite3_bind_text(st, 12, who, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, r->version);
	dd_status s = dd_step_done(db, st, err, _("saving the report"));
	if (s == DD_OK && sqlite3_changes(db->h) != 1)
		s = dd_fail(err, DD_ESTALE, _("report #%lld changed while saving"), (long long)r->id);
	return s;
}

/* What the event records: the fields the action touched, before and after. */
static void describe(const dd_change *c, const struct row *r, const struct next *n,
		     const char *new_badge, const char *new_district, char **before, char **after)
{
	json_t *b = json_object(), *a = json_object();
	if (n->status != r->status) {
		json_set_str(b, "status", dd_rs_code(r->status));
		json_set_str(a, "status", dd_rs_code(n->status));
	}
	switch (c->action) {
	case DD_ACT_ASSIGN:
		json_set_str(b, "officer", r->officer_badge);
		json_set_str(a, "officer", new_badge);
		break;
	case DD_ACT_REJECT:
		json_set_str(a, "reason", n->reason);
		break;
	case DD_ACT_DUPLICATE:
		json_object_set_new(a, "duplicate_of", json_integer(n->duplicate_of));
		break;
	case DD_ACT_REOPEN:
		/* what reopen clears, so that undo can put it back */
		json_set_str(b, "reason", r->reason);
		if (r->duplicate_of)
			json_object_set_new(b, "duplicate_of", json_integer(r->duplicate_of));
		break;
	case DD_ACT_PRIORITY:
		json_object_set_new(b, "priority", json_integer(r->priority));
		json_object_set_new(a, "priority", json_integer(n->priority));
		break;
	case DD_ACT_CATEGORY:
		json_set_str(b, "category", r->category);
		json_set_str(a, "category", n->category);
		break;
	case DD_ACT_DISTRICT:
		json_set_str(b, "district", r->district_code);
		json_set_str(a, "district", new_district);
		break;
	default:
		break;
	}
	if (!blank(c->text) && c->action != DD_ACT_REJECT)
		json_set_str(a, "note", c->text);
	json_object_set_new(a, "version", json_integer(r->version + 1));
	*before = json_take(b);
	*after = json_take(a);
}

static dd_status notify(dd_db *db, const dd_change *c, const struct row *r, const struct next *n,
			int64_t event, dd_err *err)
{
	dd_status s = DD_OK;
	if (c->action == DD_ACT_ASSIGN) {
		char *msg = officer_message(r);
		s = dd_outbox_to_officer(db, r->id, event, n->officer, "assigned", msg, err);
		free(msg);
		if (s == DD_OK && !r->officer) {
			msg = dd_xasprintf(_("Your report #%lld has been passed to the district officer."),
					   (long long)r->id);
			s = dd_outbox_to_reporter(db, r->id, event, "assigned", msg, err);
			free(msg);
		}
	} else if (c->action == DD_ACT_RESOLVE) {
		char *msg = dd_xasprintf(_("Your report #%lld has been dealt with. Thank you."),
					 (long long)r->id);
		s = dd_outbox_to_reporter(db, r->id, event, "resolved", msg, err);
		free(msg);
	}
	return s;
}

dd_status dd_report_apply(dd_db *db, const dd_actor *actor, const dd_change *c,
			  int64_t *version, dd_err *err)
{
	if ((unsigned)c->action >= DD_ACT_COUNT)
		return dd_fail(err, DD_EINVAL, _("unknown action"));
	dd_status s;
	if (actor->kind != DD_ACTOR_OFFICER &&
	    (s = dd_require_role(actor, actions[c->action].role, dd_action_label(c->action), err)))
		return s;

	bool own_txn;
	if ((s = dd_db_join(db, &own_txn, err)))
		return s;
	struct row r;
	dd_officer officer = {0};
	char *before = NULL, *after = NULL;
	if ((s = load_row(db, c->report, &r, err)))
		goto out;
	if (actor->kind == DD_ACTOR_OFFICER && (s = officer_may(actor, c, &r, err)))
		goto out;
	if (c->expect_version && c->expect_version != r.version) {
		s = stale(db, &r, c->expect_version, err);
		goto out;
	}
	if (!dd_action_allowed(c->action, r.status)) {
		s = dd_fail(err, DD_ESTATE, _("cannot %s report #%lld: it is %s"),
			    dd_action_label(c->action), (long long)r.id, dd_rs_label(r.status));
		goto out;
	}
	struct next n = {
		.officer = r.officer, .district = r.district, .duplicate_of = r.duplicate_of,
		.priority = r.priority, .category = r.category, .reason = r.reason,
	};
	if ((s = plan(db, c, &r, &n, &officer, err)))
		goto out;
	if (c->action == DD_ACT_NOTE || !blank(c->text)) {
		if (c->action != DD_ACT_REJECT && (s = dd_note_add(db, actor, r.id, c->text, 0, err)))
			goto out;
	}
	if ((s = write_row(db, actor, &r, &n, err)))
		goto out;
	describe(c, &r, &n, officer.badge, c->district, &before, &after);
	int64_t event = 0;
	if ((s = dd_audit_append(db, actor, r.id, dd_action_code(c->action), before, after, &event,
				 err)))
		goto out;
	if ((s = notify(db, c, &r, &n, event, err)))
		goto out;
	if (own_txn && (s = dd_db_commit(db, err)))
		goto out_nocommit;
	if (version)
		*version = r.version + 1;
out:
	if (s && own_txn)
		dd_db_rollback(db);
out_nocommit:
	free(before);
	free(after);
	dd_officer_clear(&officer);
	row_clear(&r);
	return s;
}

/* Finds the reporter by phone or Telegram id, with their organisation. */
static void route(dd_db *db, const dd_report_in *in, int64_t *reporter, int64_t *org,
		  int64_t *district)
{
	static const char sql[] =
		"SELECT p.id, coalesce(p.org_id, 0), coalesce(o.district_id, 0) FROM reporters p "
		"LEFT JOIN organisations o ON o.id = p.org_id "
		"WHERE (?1 IS NOT NULL AND p.phone = ?1) OR (?2 IS NOT NULL AND p.telegram_id = ?2) "
		"LIMIT 1";
	*reporter = *org = *district = 0;
	sqlite3_stmt *st = dd_stmt(db, sql, NULL);
	if (!st)
		return;
	dd_bind_text(st, 1, in->reporter_phone);
	dd_bind_id(st, 2, in->reporter_telegram);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*reporter = sqlite3_column_int64(st, 0);
		*org = sqlite3_column_int64(st, 1);
		*district = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
}

static int64_t report_by_external(dd_db *db, const char *channel, const char *external_id)
{
	static const char sql[] = "SELECT id FROM reports WHERE channel = ? AND external_id = ?";
	sqlite3_stmt *st = dd_stmt(db, sql, NULL);
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, external_id, -1, SQLITE_STATIC);
	int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return id;
}

/* The code of district id, for events, in code[64]; NULL when none. */
static const char *district_code(dd_db *db, int64_t id, char code[64])
{
	static const char sql[] = "SELECT code FROM districts WHERE id = ?";
	sqlite3_stmt *st = id ? dd_stmt(db, sql, NULL) : NULL;
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	const char *c = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(code, 64, "%s", sqlite3_column_text(st, 0));
		c = code;
	}
	sqlite3_reset(st);
	return c;
}

dd_status dd_report_create(dd_db *db, const dd_actor *actor, const dd_report_in *in,
			   int64_t *id, dd_err *err)
{
	static const char sql[] =
		"INSERT INTO reports(status, priority, category, district_id, reporter_id, org_id, "
		"  channel, external_id, sender, sender_name, text, address, lat, lon, raw, "
		"  received_at, updated_at, updated_by) "
		"VALUES ('new', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16)";
	dd_status s;
	if (actor->kind == DD_ACTOR_USER &&
	    (s = dd_require_role(actor, DD_ROLE_DISPATCHER, _("adding a report"), err)))
		return s;
	const char *channel = in->channel ? in->channel : "desk";
	if (strcmp(channel, "desk") && strcmp(channel, "whatsapp") && strcmp(channel, "telegram"))
		return dd_fail(err, DD_EINVAL, _("unknown channel '%s'"), channel);
	int priority = in->priority ? in->priority : 3;
	if (priority < 1 || priority > 4)
		return dd_fail(err, DD_EINVAL,
			       _("priority must be 1 (urgent), 2 (high), 3 (normal) or 4 (low)"));
	const char *category = in->category && *in->category ? in->category : "other";

	bool own_txn;
	if ((s = dd_db_join(db, &own_txn, err)))
		return s;
	int64_t reporter, org, district;
	route(db, in, &reporter, &org, &district);
	if (in->district && *in->district && (s = dd_district_id(db, in->district, &district, err)))
		goto fail;
	if (!dd_category_exists(db, category)) {
		s = dd_fail(err, DD_EINVAL, _("unknown category '%s'"), category);
		goto fail;
	}
	if ((in->reporter_phone || in->reporter_telegram) && !reporter &&
	    strcmp(channel, "desk") == 0) {
		if (in->reporter_phone)
			s = dd_fail(err, DD_ENOTFOUND, _("no reporter with phone %s"), in->reporter_phone);
		else
			s = dd_fail(err, DD_ENOTFOUND, _("no reporter with Telegram id %lld"),
				    (long long)in->reporter_telegram);
		goto fail;
	}
	int64_t seen = in->external_id ? report_by_external(db, channel, in->external_id) : 0;
	if (seen) {
		s = dd_fail(err, DD_EEXIST, _("message %s from %s is already report #%lld"),
			    in->external_id, channel, (long long)seen);
		if (id)
			*id = seen;
		goto fail;
	}
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st) {
		s = err ? err->status : DD_EDB;
		goto fail;
	}
	char who[160];
	dd_actor_label(actor, who, sizeof who);
	int64_t at = in->received_at ? in->received_at : dd_now_ms();
	sqlite3_bind_int(st, 1, priority);
	sqlite3_bind_text(st, 2, category, -1, SQLITE_STATIC);
	dd_bind_id(st, 3, district);
	dd_bind_id(st, 4, reporter);
	dd_bind_id(st, 5, org);
	sqlite3_bind_text(st, 6, channel, -1, SQLITE_STATIC);
	dd_bind_text(st, 7, in->external_id);
	dd_bind_text(st, 8, in->sender);
	dd_bind_text(st, 9, in->sender_name);
	sqlite3_bind_text(st, 10, in->text ? in->text : "", -1, SQLITE_STATIC);
	dd_bind_text(st, 11, in->address);
	if (in->has_location) {
		sqlite3_bind_double(st, 12, in->lat);
		sqlite3_bind_double(st, 13, in->lon);
	}
	dd_bind_text(st, 14, in->raw);
	sqlite3_bind_int64(st, 15, at);
	sqlite3_bind_text(st, 16, who, -1, SQLITE_STATIC);
	if ((s = dd_step_done(db, st, err, _("saving the report"))))
		goto fail;
	int64_t rid = sqlite3_last_insert_rowid(db->h);

	json_t *a = json_object();
	json_set_str(a, "status", "new");
	json_set_str(a, "channel", channel);
	json_set_str(a, "category", category);
	json_object_set_new(a, "priority", json_integer(priority));
	char code[64];
	json_set_str(a, "district", district_code(db, district, code));
	char *after = json_take(a);
	s = dd_audit_append(db, actor, rid, "create", NULL, after, NULL, err);
	free(after);
	if (s)
		goto fail;
	if (own_txn && (s = dd_db_commit(db, err)))
		return s;
	if (id)
		*id = rid;
	return DD_OK;
fail:
	if (own_txn)
		dd_db_rollback(db);
	return s;
}

/* Undo: the inverse of one recent action, as a new audited change. */

struct undo_event {
	int64_t report, at, version;
	char actor[160], action[32];
	json_t *before, *after;
};

static dd_status load_event(dd_db *db, int64_t event, struct undo_event *e, dd_err *err)
{
	static const char sql[] =
		"SELECT coalesce(report_id, 0), at, actor, action, before, after FROM events WHERE id = ?";
	memset(e, 0, sizeof *e);
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, event);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return dd_fail(err, DD_ENOTFOUND, _("no event %lld"), (long long)event);
	}
	e->report = sqlite3_column_int64(st, 0);
	e->at = sqlite3_column_int64(st, 1);
	snprintf(e->actor, sizeof e->actor, "%s", sqlite3_column_text(st, 2));
	snprintf(e->action, sizeof e->action, "%s", sqlite3_column_text(st, 3));
	const char *b = (const char *)sqlite3_column_text(st, 4);
	const char *a = (const char *)sqlite3_column_text(st, 5);
	e->before = b ? json_loads(b, 0, NULL) : json_object();
	e->after = a ? json_loads(a, 0, NULL) : json_object();
	sqlite3_reset(st);
	if (!e->before)
		e->before = json_object();
	if (!e->after)
		e->after = json_object();
	e->version = json_integer_value(json_object_get(e->after, "version"));
	return DD_OK;
}

static const char *jget(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Cancels what the event queued and is still queued; *sent gets how many
 * of its notifications had already gone. */
static dd_status cancel_queued(dd_db *db, int64_t event, int *cancelled, int *sent, dd_err *err)
{
	static const char left[] = "SELECT count(*) FROM outbox WHERE event_id = ? AND state <> 'cancelled'";
	dd_status s = dd_outbox_cancel_for_event(db, event, cancelled, err);
	if (s)
		return s;
	sqlite3_stmt *st = dd_stmt(db, left, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, event);
	*sent = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_reset(st);
	return DD_OK;
}

static dd_status undo_note(dd_db *db, const struct undo_event *e, dd_err *err)
{
	static const char sql[] =
		"DELETE FROM notes WHERE id = (SELECT id FROM notes WHERE report_id = ?1 AND author = ?2 "
		"AND text = ?3 ORDER BY id DESC LIMIT 1)";
	const char *text = jget(e->after, "note");
	if (!text)
		return DD_OK;
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, e->report);
	sqlite3_bind_text(st, 2, e->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	return dd_step_done(db, st, err, _("removing the note"));
}

dd_status dd_report_undo(dd_db *db, const dd_actor *actor, int64_t event, int window_ms,
			 char *summary, size_t size, dd_err *err)
{
	static const char sql[] =
		"UPDATE reports SET status = ?2, officer_id = ?3, priority = ?4, category = ?5, "
		"  district_id = ?6, duplicate_of = ?7, reason = ?8, "
		"  resolved_at = CASE WHEN ?2 = 'resolved' THEN resolved_at ELSE NULL END, "
		"  updated_at = ?9, updated_by = ?10, version = version + 1 WHERE id = ?1 AND version = ?11";
	dd_status s;
	struct undo_event e;
	struct row r = {0};
	char *before = NULL, *after = NULL;
	char who[160];
	dd_actor_label(actor, who, sizeof who);
	if ((s = dd_db_begin(db, err)))
		return s;
	if ((s = load_event(db, event, &e, err)))
		goto out;
	int act = dd_action_parse(e.action);
	if (act < 0 || !e.report) {
		s = dd_fail(err, DD_EINVAL, _("'%s' cannot be undone"), e.action);
		goto out;
	}
	if (strcmp(e.actor, who) != 0) {
		s = dd_fail(err, DD_EPERM, _("only %s can undo their own action"), e.actor);
		goto out;
	}
	if (dd_now_ms() - e.at > window_ms) {
		s = dd_fail(err, DD_ESTATE, _("too late to undo: the %s of report #%lld was more than %d s ago"),
			    e.action, (long long)e.report, window_ms / 1000);
		goto out;
	}
	if ((s = load_row(db, e.report, &r, err)))
		goto out;
	if (r.version != e.version) {
		s = stale(db, &r, e.version, err);
		goto out;
	}
	/* start from the row as it is, put back what the event changed */
	int64_t officer = r.officer, district = r.district, dup = r.duplicate_of;
	int priority = r.priority;
	const char *status = dd_rs_code(r.status), *category = r.category, *reason = r.reason;
	json_t *b = e.before;
	if (jget(b, "status"))
		status = jget(b, "status");
	if (json_object_get(b, "officer")) {
		const char *badge = jget(b, "officer");
		officer = 0;
		if (badge) {
			dd_officer o;
			if ((s = dd_officer_find(db, badge, &o, err)))
				goto out;
			officer = o.id;
			dd_officer_clear(&o);
		}
	}
	if (json_object_get(b, "priority"))
		priority = (int)json_integer_value(json_object_get(b, "priority"));
	if (jget(b, "category"))
		category = jget(b, "category");
	if (json_object_get(b, "district")) {
		district = 0;
		if (jget(b, "district") && (s = dd_district_id(db, jget(b, "district"), &district, err)))
			goto out;
	}
	if (act == DD_ACT_DUPLICATE)
		dup = 0;
	if (act == DD_ACT_REOPEN)
		dup = json_integer_value(json_object_get(b, "duplicate_of"));
	if (act == DD_ACT_REJECT)
		reason = NULL;
	if (act == DD_ACT_REOPEN)
		reason = jget(b, "reason");
	if (act == DD_ACT_NOTE || jget(e.after, "note"))
		if ((s = undo_note(db, &e, err)))
			goto out;

	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st) {
		s = err ? err->status : DD_EDB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, r.id);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_TRANSIENT);
	dd_bind_id(st, 3, officer);
	sqlite3_bind_int(st, 4, priority);
	sqlite3_bind_text(st, 5, category, -1, SQLITE_TRANSIENT);
	dd_bind_id(st, 6, district);
	dd_bind_id(st, 7, dup);
	dd_bind_text(st, 8, reason);
	sqlite3_bind_int64(st, 9, dd_now_ms());
	sqlite3_bind_text(st, 10, who, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, r.version);
	if ((s = dd_step_done(db, st, err, _("saving the report"))))
		goto out;
	json_t *ua = json_deep_copy(e.before);
	json_object_set_new(ua, "undoes", json_integer(event));
	json_object_set_new(ua, "version", json_integer(r.version + 1));
	before = json_take(json_deep_copy(e.after));
	after = json_take(ua);
	if ((s = dd_audit_append(db, actor, r.id, "undo", before, after, NULL, err)))
		goto out;
	int cancelled = 0, sent = 0;
	if ((s = cancel_queued(db, event, &cancelled, &sent, err)))
		goto out;
	if ((s = dd_db_commit(db, err)))
		goto out_nocommit;
	if (summary) {
		if (sent)
			snprintf(summary, size,
				 _("undid the %s of report #%lld; %d notification(s) cancelled, %d already on their way"),
				 e.action, (long long)r.id, cancelled, sent);
		else
			snprintf(summary, size, _("undid the %s of report #%lld; %d notification(s) cancelled"),
				 e.action, (long long)r.id, cancelled);
	}
out:
	if (s)
		dd_db_rollback(db);
out_nocommit:
	free(before);
	free(after);
	json_decref(e.before);
	json_decref(e.after);
	row_clear(&r);
	return s;
}

int64_t dd_report_last_event(dd_db *db, const dd_actor *actor, int64_t report)
{
	static const char sql[] =
		"SELECT id FROM events WHERE report_id = ? AND actor = ? ORDER BY id DESC LIMIT 1";
	char who[160];
	dd_actor_label(actor, who, sizeof who);
	sqlite3_stmt *st = dd_stmt(db, sql, NULL);
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, report);
	sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
	int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return id;
}
