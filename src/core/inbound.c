/* The one inbound path: a parsed messenger message becomes a report, part of
 * one, an edit, or an officer's answer, in one transaction. */
#include <config.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db_internal.h"
#include "dutydesk/audit.h"
#include "dutydesk/clock.h"
#include "dutydesk/inbound.h"
#include "dutydesk/outbox.h"
#include "dutydesk/report.h"

static const char *const kind_names[] = {
#define X(e, n) n,
	DD_INBOUND_KINDS(X)
#undef X
};

const char *dd_inbound_kind_name(dd_inbound_kind k)
{
	return (unsigned)k < DD_IN_COUNT ? kind_names[k] : "unsupported";
}

static bool set(const char *s)
{
	return s && *s;
}

static void summary(dd_inbound_result *res, dd_inbound_outcome o, int64_t report,
		    const char *fmt, ...) DD_PRINTF(4, 5);
static void summary(dd_inbound_result *res, dd_inbound_outcome o, int64_t report,
		    const char *fmt, ...)
{
	res->outcome = o;
	res->report = report;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->summary, sizeof res->summary, fmt, ap);
	va_end(ap);
}

static char *json_take(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(o);
	return s;
}

/* A JSON string of untrusted text; text that is not valid UTF-8 is stored
 * with the bad bytes replaced (the raw payload keeps the original). */
static json_t *jtext(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	dd_buf b = {0};
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		dd_buf_addc(&b, *p < 0x80 ? (char)*p : '?');
	j = json_string(b.data ? b.data : "");
	dd_buf_free(&b);
	return j;
}

/* ---- lookups ---------------------------------------------------------------- */

/* The report an earlier inbound message went into: 1 and *report when seen
 * (report may be 0: an officer's reply), 0 when not seen, -1 on error. */
static int seen_before(dd_db *db, const char *channel, const char *external_id,
		       int64_t *report, dd_err *err)
{
	static const char sql[] =
		"SELECT coalesce(report_id, 0) FROM inbound WHERE channel = ? AND external_id = ?";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, external_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int r = 0;
	if (rc == SQLITE_ROW) {
		*report = sqlite3_column_int64(st, 0);
		r = 1;
	} else if (rc != SQLITE_DONE) {
		dd_db_error(db, err, _("reading inbound messages"));
		r = -1;
	}
	sqlite3_reset(st);
	return r;
}

/* WhatsApp writes numbers as digits only; a stored "+7..." still matches. */
static void digits_of(const char *s, char *out, size_t size)
{
	size_t k = 0;
	for (; s && *s && k + 1 < size; s++)
		if (isdigit((unsigned char)*s))
			out[k++] = *s;
	out[k] = '\0';
}

struct officer_ref {
	int64_t id;
	char badge[64];
	char name[128];
};

static bool find_officer(dd_db *db, const dd_inbound *in, struct officer_ref *o)
{
	static const char by_phone[] =
		"SELECT id, badge, name FROM officers WHERE active AND (phone = ?1 OR phone = '+' || ?1) "
		"LIMIT 1";
	static const char by_tg[] =
		"SELECT id, badge, name FROM officers WHERE active AND telegram_id = ? LIMIT 1";
	bool tg = strcmp(in->channel, "telegram") == 0;
	sqlite3_stmt *st = dd_stmt(db, tg ? by_tg : by_phone, NULL);
	if (!st)
		return false;
	if (tg) {
		char *end;
		long long id = strtoll(in->sender, &end, 10);
		if (*end || id <= 0)
			return false;
		sqlite3_bind_int64(st, 1, id);
	} else {
		char d[64];
		digits_of(in->sender, d, sizeof d);
		sqlite3_bind_text(st, 1, d, -1, SQLITE_TRANSIENT);
	}
	bool found = false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		o->id = sqlite3_column_int64(st, 0);
		snprintf(o->badge, sizeof o->badge, "%s", sqlite3_column_text(st, 1));
		snprintf(o->name, sizeof o->name, "%s", sqlite3_column_text(st, 2));
		found = true;
	}
	sqlite3_reset(st);
	return found;
}

static dd_status touch_contact(dd_db *db, const dd_inbound *in, int64_t at, dd_err *err)
{
	static const char sql[] =
		"INSERT INTO contacts(channel, address, name, last_inbound_at) VALUES (?1, ?2, ?3, ?4) "
		"ON CONFLICT(channel, address) DO UPDATE SET name = coalesce(?3, name), "
		"last_inbound_at = max(last_inbound_at, ?4)";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	char d[64];
	bool wa = strcmp(in->channel, "whatsapp") == 0;
	if (wa)
		digits_of(in->sender, d, sizeof d);
	sqlite3_bind_text(st, 1, in->channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, wa && *d ? d : in->sender, -1, SQLITE_TRANSIENT);
	dd_bind_text(st, 3, in->sender_name);
	/* the window runs from when the person wrote, but never from the future */
	int64_t now = dd_now_ms();
	sqlite3_bind_int64(st, 4, at < now ? at : now);
	return dd_step_done(db, st, err, _("saving the contact"));
}

static dd_status record_inbound(dd_db *db, const dd_inbound *in, int64_t at, int64_t report,
				int64_t officer, const char *body, dd_err *err)
{
	static const char sql[] =
		"INSERT INTO inbound(channel, external_id, sender, sender_name, kind, report_id, "
		"  officer_id, context_id, body, raw, received_at) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_text(st, 1, in->channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->external_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->sender, -1, SQLITE_STATIC);
	dd_bind_text(st, 4, in->sender_name);
	sqlite3_bind_text(st, 5, dd_inbound_kind_name(in->kind), -1, SQLITE_STATIC);
	dd_bind_id(st, 6, report);
	dd_bind_id(st, 7, officer);
	dd_bind_text(st, 8, in->context_id);
	dd_bind_text(st, 9, body);
	sqlite3_bind_text(st, 10, in->raw ? in->raw : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, at);
	return dd_step_done(db, st, err, _("saving the inbound message"));
}

/* ---- officers' replies --------------------------------------------------------- */

/* "1", "2 note", "3. done", or "ack:12": the action and, when given, the
 * report and the note. Returns false when it is no reply we know. */
static bool parse_reply(const dd_inbound *in, dd_action *act, int64_t *report,
			const char **note)
{
	static const struct {
		const char *word;
		dd_action act;
	} words[] = {
		{"ack", DD_ACT_ACKNOWLEDGE}, {"accept", DD_ACT_ACKNOWLEDGE},
		{"onsite", DD_ACT_ON_SITE},  {"on_site", DD_ACT_ON_SITE},
		{"done", DD_ACT_RESOLVE},    {"resolve", DD_ACT_RESOLVE},
	};
	*report = 0;
	*note = NULL;
	if (set(in->payload)) {
		const char *p = in->payload;
		const char *colon = strchr(p, ':');
		size_t wl = colon ? (size_t)(colon - p) : strlen(p);
		for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
			if (strlen(words[i].word) != wl || strncmp(words[i].word, p, wl) != 0)
				continue;
			if (colon) {
				char *end;
				long long id = strtoll(colon + 1, &end, 10);
				if (*end || id <= 0)
					return false;
				*report = id;
			}
			*act = words[i].act;
			return true;
		}
		/* a button whose id we do not know: perhaps its title is a digit */
	}
	const char *t = in->text;
	if (!set(t))
		return false;
	while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
		t++;
	if (*t < '1' || *t > '3')
		return false;
	char next = t[1];
	if (next && !strchr(" \t\r\n.,:;)-!", next))
		return false;
	*act = *t == '1' ? DD_ACT_ACKNOWLEDGE : *t == '2' ? DD_ACT_ON_SITE : DD_ACT_RESOLVE;
	t++;
	while (*t && strchr(" \t\r\n.,:;)-!", *t))
		t++;
	*note = *t ? t : NULL;
	return true;
}

/* Which report the reply is about: by our notification it answers, else the
 * officer's latest open assignment. */
static int64_t reply_target(dd_db *db, const dd_inbound *in, int64_t officer)
{
	static const char by_context[] =
		"SELECT report_id FROM outbox WHERE channel = ? AND external_id = ? "
		"AND report_id IS NOT NULL ORDER BY id DESC LIMIT 1";
	static const char latest[] =
		"SELECT id FROM reports WHERE officer_id = ? AND is_open "
		"ORDER BY coalesce(assigned_at, received_at) DESC, id DESC LIMIT 1";
	int64_t id = 0;
	sqlite3_stmt *st;
	if (set(in->context_id) && (st = dd_stmt(db, by_context, NULL))) {
		sqlite3_bind_text(st, 1, in->channel, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, in->context_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (id)
			return id;
	}
	if ((st = dd_stmt(db, latest, NULL))) {
		sqlite3_bind_int64(st, 1, officer);
		if (sqlite3_step(st) == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return id;
}

static const char *done_word(dd_action a)
{
	switch (a) {
	case DD_ACT_ACKNOWLEDGE: return "acknowledged";
	case DD_ACT_ON_SITE: return "on site";
	default: return "resolved";
	}
}

static dd_status help_answer(dd_db *db, int64_t report, int64_t officer, const char *why,
			     dd_err *err)
{
	char *body;
	if (why)
		body = dd_xasprintf(_("%s\nReply 1 to accept, 2 when on site, 3 when done; "
				      "text after the number is kept as a note."), why);
	else
		body = dd_xstrdup(_("Reply 1 to accept, 2 when on site, 3 when done; text after "
				    "the number is kept as a note."));
	dd_status s = dd_outbox_to_officer(db, report, 0, officer, "help", body, err);
	free(body);
	return s;
}

static dd_status officer_reply(dd_db *db, const dd_inbound *in, int64_t at,
			       const struct officer_ref *o, dd_inbound_result *res, dd_err *err)
{
	dd_action act = DD_ACT_ACKNOWLEDGE;
	int64_t report = 0;
	const char *note = NULL;
	bool understood = parse_reply(in, &act, &report, &note);
	dd_status s;
	if (!understood) {
		int64_t r = reply_target(db, in, o->id);
		if ((s = help_answer(db, r, o->id, NULL, err)) ||
		    (s = record_inbound(db, in, at, r, o->id, in->text, err)))
			return s;
		summary(res, DD_INR_HELP, r, "officer %s: unclear reply; help sent", o->badge);
		return DD_OK;
	}
	if (!report)
		report = reply_target(db, in, o->id);
	if (!report) {
		if ((s = help_answer(db, 0, o->id, _("You have no open report."), err)) ||
		    (s = record_inbound(db, in, at, 0, o->id, in->text, err)))
			return s;
		summary(res, DD_INR_HELP, 0, "officer %s: no open report to %s; answer sent",
			o->badge, dd_action_code(act));
		return DD_OK;
	}
	dd_actor actor = {.kind = DD_ACTOR_OFFICER, .id = o->id, .role = DD_ROLE_DISPATCHER};
	snprintf(actor.login, sizeof actor.login, "%s", o->badge);
	snprintf(actor.name, sizeof actor.name, "%s", o->name);
	dd_change c = {.action = act, .report = report, .text = note};

	/* A refused reply (already done, not theirs) must undo nothing else:
	 * the savepoint keeps the contact and lets us answer. */
	sqlite3_exec(db->h, "SAVEPOINT officer_reply", NULL, NULL, NULL);
	dd_err why = {0};
	s = dd_report_apply(db, &actor, &c, NULL, &why);
	if (s == DD_ESTATE || s == DD_EPERM || s == DD_ENOTFOUND || s == DD_EINVAL) {
		sqlite3_exec(db->h, "ROLLBACK TO officer_reply; RELEASE officer_reply", NULL, NULL,
			     NULL);
		if ((s = help_answer(db, s == DD_ENOTFOUND ? 0 : report, o->id, why.msg, err)) ||
		    (s = record_inbound(db, in, at, 0, o->id, in->text, err)))
			return s;
		summary(res, DD_INR_HELP, report, "officer %s: %s; answer sent", o->badge, why.msg);
		return DD_OK;
	}
	if (s) {
		if (err)
			*err = why;
		return s;
	}
	sqlite3_exec(db->h, "RELEASE officer_reply", NULL, NULL, NULL);
	if ((s = record_inbound(db, in, at, report, o->id, in->text, err)))
		return s;
	summary(res, DD_INR_OFFICER, report, "officer %s: report #%lld %s", o->badge,
		(long long)report, done_word(act));
	return DD_OK;
}

/* ---- reports -------------------------------------------------------------------- */

static bool has_media(const dd_inbound *in)
{
	return set(in->media_id) &&
	       (in->kind == DD_IN_IMAGE || in->kind == DD_IN_VIDEO || in->kind == DD_IN_AUDIO ||
		in->kind == DD_IN_DOCUMENT);
}

/* The text a message adds to its report. Caller frees. */
static char *message_text(const dd_inbound *in)
{
	if (in->kind == DD_IN_UNSUPPORTED)
		return dd_xasprintf("[unsupported message type: %s]",
				    set(in->unsupported_type) ? in->unsupported_type : "unknown");
	if (set(in->text))
		return dd_xstrdup(in->text);
	if (in->kind == DD_IN_LOCATION && set(in->loc_name))
		return dd_xstrdup(in->loc_name);
	if (in->kind == DD_IN_DOCUMENT && set(in->media_filename))
		return dd_xasprintf("[document: %s]", in->media_filename);
	return dd_xstrdup("");
}

static const char *location_address(const dd_inbound *in)
{
	return set(in->loc_address) ? in->loc_address : set(in->loc_name) ? in->loc_name : NULL;
}

static dd_status add_attachment(dd_db *db, int64_t report, const dd_inbound *in,
				int64_t *id, dd_err *err)
{
	static const char sql[] =
		"INSERT INTO attachments(report_id, kind, mime, sha256, media_id, caption, state, "
		"  created_at, next_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7)";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	const char *kind = in->kind == DD_IN_IMAGE ? "image" : in->kind == DD_IN_VIDEO ? "video"
			 : in->kind == DD_IN_AUDIO ? "audio" : "document";
	sqlite3_bind_int64(st, 1, report);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	dd_bind_text(st, 3, in->media_mime);
	dd_bind_text(st, 4, in->media_sha256);
	dd_bind_text(st, 5, in->media_id);
	dd_bind_text(st, 6, set(in->text) ? in->text : in->media_filename);
	sqlite3_bind_int64(st, 7, dd_now_ms());
	dd_status s = dd_step_done(db, st, err, _("saving the attachment"));
	if (!s && id)
		*id = sqlite3_last_insert_rowid(db->h);
	return s;
}

/* The sender's open report their previous message (at most window ms
 * away) went into; 0 when none. */
static int64_t join_target(dd_db *db, const dd_inbound *in, int64_t at, int window_s)
{
	static const char sql[] =
		"SELECT i.report_id FROM inbound i JOIN reports r ON r.id = i.report_id "
		"WHERE i.channel = ?1 AND i.sender = ?2 AND i.officer_id IS NULL AND r.is_open "
		"  AND i.received_at BETWEEN ?3 - ?4 AND ?3 + ?4 "
		"ORDER BY i.received_at DESC, i.id DESC LIMIT 1";
	if (window_s <= 0)
		return 0;
	sqlite3_stmt *st = dd_stmt(db, sql, NULL);
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, in->channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->sender, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, at);
	sqlite3_bind_int64(st, 4, (int64_t)window_s * 1000);
	int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return id;
}

/* Who wrote it, for the audit trail: the sender as the messenger names them. */
static dd_actor messenger_actor(const dd_inbound *in)
{
	dd_actor a = {.kind = DD_ACTOR_SENDER, .role = DD_ROLE_NONE};
	snprintf(a.login, sizeof a.login, "%s:%s", in->channel, in->sender ? in->sender : "?");
	snprintf(a.name, sizeof a.name, "%s", in->sender_name ? in->sender_name : a.login);
	return a;
}

/* Appends a message to report: text on a new line, location, attachment;
 * version + 1 and an "append" event. */
static dd_status join_report(dd_db *db, int64_t report, const dd_inbound *in, dd_err *err)
{
	static const char sql[] =
		"UPDATE reports SET text = CASE WHEN ?2 = '' THEN text WHEN text = '' THEN ?2 "
		"  ELSE text || char(10) || ?2 END, "
		"  lat = CASE WHEN ?3 THEN ?4 ELSE lat END, lon = CASE WHEN ?3 THEN ?5 ELSE lon END, "
		"  address = coalesce(?6, address), updated_at = ?7, updated_by = ?8, "
		"  version = version + 1 WHERE id = ?1 RETURNING version";
	/* a location's name is its address, not more text */
	char *text = in->kind == DD_IN_LOCATION ? dd_xstrdup("") : message_text(in);
	dd_status s;
	int64_t att = 0;
	if (has_media(in) && (s = add_attachment(db, report, in, &att, err))) {
		free(text);
		return s;
	}
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st) {
		free(text);
		return err ? err->status : DD_EDB;
	}
	dd_actor a = messenger_actor(in);
	char who[160];
	dd_actor_label(&a, who, sizeof who);
	sqlite3_bind_int64(st, 1, report);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, in->has_location);
	sqlite3_bind_double(st, 4, in->lat);
	sqlite3_bind_double(st, 5, in->lon);
	dd_bind_text(st, 6, in->has_location ? location_address(in) : NULL);
	sqlite3_bind_int64(st, 7, dd_now_ms());
	sqlite3_bind_text(st, 8, who, -1, SQLITE_STATIC);
	int64_t version = 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int64(st, 0);
	else
		s = dd_db_error(db, err, _("adding to the report"));
	sqlite3_reset(st);
	if (!version) {
		free(text);
		return err ? err->status : DD_EDB;
	}
	json_t *after = json_object();
	json_object_set_new(after, "message", jtext(in->external_id));
	json_object_set_new(after, "kind", json_string(dd_inbound_kind_name(in->kind)));
	if (*text)
		json_object_set_new(after, "text", jtext(text));
	if (att)
		json_object_set_new(after, "attachment", json_integer(att));
	if (in->has_location) {
		json_object_set_new(after, "lat", json_real(in->lat));
		json_object_set_new(after, "lon", json_real(in->lon));
		if (location_address(in))
			json_object_set_new(after, "address", jtext(location_address(in)));
	}
	json_object_set_new(after, "version", json_integer(version));
	char *a_json = json_take(after);
	s = dd_audit_append(db, &a, report, "append", NULL, a_json, NULL, err);
	free(a_json);
	free(text);
	return s;
}

static dd_status new_report(dd_db *db, const dd_inbound *in, int64_t at, int64_t *id,
			    dd_err *err)
{
	char *text = message_text(in);
	bool tg = strcmp(in->channel, "telegram") == 0;
	char phone[64] = "";
	int64_t tgid = 0;
	if (tg)
		tgid = strtoll(in->sender, NULL, 10);
	else
		digits_of(in->sender, phone, sizeof phone);
	dd_report_in r = {
		.channel = in->channel,
		.external_id = in->external_id,
		.text = text,
		.reporter_phone = *phone ? phone : NULL,
		.reporter_telegram = tgid > 0 ? tgid : 0,
		.sender = in->sender,
		.sender_name = in->sender_name,
		.address = in->has_location ? location_address(in) : NULL,
		.has_location = in->has_location,
		.lat = in->lat,
		.lon = in->lon,
		.raw = in->raw,
		.received_at = at,
	};
	dd_actor a = messenger_actor(in);
	dd_status s = dd_report_create(db, &a, &r, id, err);
	free(text);
	if (s)
		return s;
	if (has_media(in) && (s = add_attachment(db, *id, in, NULL, err)))
		return s;
	char *body = dd_xasprintf(_("Your report has been received under number #%lld. "
				    "Thank you."), (long long)*id);
	s = dd_outbox_to_reporter(db, *id, 0, "received", body, err);
	free(body);
	return s;
}

/* The latest text a message had (its latest edit), or NULL. */
static char *latest_body(dd_db *db, const dd_inbound *in, int64_t *report)
{
	static const char sql[] =
		"SELECT body, coalesce(report_id, 0) FROM inbound WHERE channel = ?1 "
		"AND (external_id = ?2 OR external_id LIKE ?2 || ':edit:%') "
		"ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *st = dd_stmt(db, sql, NULL);
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, in->channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->edit_of, -1, SQLITE_STATIC);
	char *body = NULL;
	*report = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		body = dd_col_strdup(st, 0);
		if (!body)
			body = dd_xstrdup("");
		*report = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return body;
}

/* Replaces the message's old text in the report's text (or appends the
 * edit when the old text cannot be found), version + 1, "edit" event. */
static dd_status edit_report(dd_db *db, const dd_inbound *in, int64_t report, const char *old,
			     const char *new_text, dd_err *err)
{
	static const char get[] = "SELECT text, version FROM reports WHERE id = ?";
	static const char put[] =
		"UPDATE reports SET text = ?2, updated_at = ?3, updated_by = ?4, "
		"version = version + 1 WHERE id = ?1";
	sqlite3_stmt *st;
	dd_status s = dd_report_row(db, get, report, &st, err);
	if (s)
		return s;
	char *before = dd_col_strdup(st, 0);
	int64_t version = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (!before)
		before = dd_xstrdup("");
	dd_buf b = {0};
	const char *at = *old ? strstr(before, old) : NULL;
	if (at) {
		dd_buf_add(&b, before, (size_t)(at - before));
		dd_buf_adds(&b, new_text);
		dd_buf_adds(&b, at + strlen(old));
	} else if (!*before) {
		dd_buf_adds(&b, new_text);
	} else {
		dd_buf_printf(&b, "%s\n[edited] %s", before, new_text);
	}
	char *after_text = dd_buf_take(&b);
	dd_actor a = messenger_actor(in);
	char who[160];
	dd_actor_label(&a, who, sizeof who);
	if (!(st = dd_stmt(db, put, err))) {
		s = err ? err->status : DD_EDB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, report);
	sqlite3_bind_text(st, 2, after_text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, dd_now_ms());
	sqlite3_bind_text(st, 4, who, -1, SQLITE_STATIC);
	if ((s = dd_step_done(db, st, err, _("saving the edit"))))
		goto out;
	json_t *bj = json_object(), *aj = json_object();
	json_object_set_new(bj, "text", jtext(before));
	json_object_set_new(aj, "text", jtext(after_text));
	json_object_set_new(aj, "version", json_integer(version + 1));
	char *bs = json_take(bj), *as = json_take(aj);
	s = dd_audit_append(db, &a, report, "edit", bs, as, NULL, err);
	free(bs);
	free(as);
out:
	free(before);
	free(after_text);
	return s;
}

static dd_status reporter_message(dd_db *db, const dd_inbound *in, int64_t at, int window_s,
				  dd_inbound_result *res, dd_err *err)
{
	dd_status s;
	char *body = message_text(in);
	int64_t report = 0;
	if (in->kind == DD_IN_EDITED && set(in->edit_of)) {
		char *old = latest_body(db, in, &report);
		if (old && report) {
			s = edit_report(db, in, report, old, in->text ? in->text : "", err);
			free(old);
			if (!s)
				s = record_inbound(db, in, at, report, 0, in->text, err);
			if (!s)
				summary(res, DD_INR_EDITED, report, "edited report #%lld",
					(long long)report);
			free(body);
			return s;
		}
		free(old);
		/* the original never reached us: the edit is all we have */
	}
	if ((in->kind == DD_IN_BUTTON || in->kind == DD_IN_INTERACTIVE) && !set(in->text)) {
		/* a button press, but not an officer's: nothing to report */
		free(body);
		if ((s = record_inbound(db, in, at, 0, 0, in->payload, err)))
			return s;
		summary(res, DD_INR_IGNORED, 0, "button press from %s (not an officer) ignored",
			in->sender);
		return DD_OK;
	}
	report = join_target(db, in, at, window_s);
	if (report) {
		if (!(s = join_report(db, report, in, err)) &&
		    !(s = record_inbound(db, in, at, report, 0, body, err)))
			summary(res, DD_INR_JOINED, report, "joined report #%lld", (long long)report);
		free(body);
		return s;
	}
	s = new_report(db, in, at, &report, err);
	if (s == DD_EEXIST) {
		/* stored as a report before the inbound table knew it */
		free(body);
		summary(res, DD_INR_DUPLICATE, report, "duplicate message %s (report #%lld)",
			in->external_id, (long long)report);
		return DD_OK;
	}
	if (!s)
		s = record_inbound(db, in, at, report, 0, body, err);
	if (!s)
		summary(res, DD_INR_NEW, report, "stored report #%lld (new)", (long long)report);
	free(body);
	return s;
}

dd_status dd_inbound_store(dd_db *db, const dd_inbound *in, int join_window_s,
			   dd_inbound_result *res, dd_err *err)
{
	memset(res, 0, sizeof *res);
	if (!in->channel || (strcmp(in->channel, "whatsapp") && strcmp(in->channel, "telegram")))
		return dd_fail(err, DD_EINVAL, _("inbound message: unknown channel '%s'"),
			       in->channel ? in->channel : "");
	if (!set(in->external_id))
		return dd_fail(err, DD_EINVAL, _("inbound message: no message id"));
	if (!set(in->sender))
		return dd_fail(err, DD_EINVAL, _("inbound message %s: no sender"), in->external_id);
	int64_t at = in->at > 0 ? in->at : dd_now_ms();

	dd_status s = dd_db_begin(db, err);
	if (s)
		return s;
	int64_t report = 0;
	int seen = seen_before(db, in->channel, in->external_id, &report, err);
	if (seen < 0) {
		s = err ? err->status : DD_EDB;
		goto fail;
	}
	if (seen) {
		dd_db_rollback(db);
		if (report)
			summary(res, DD_INR_DUPLICATE, report, "duplicate message %s (report #%lld)",
				in->external_id, (long long)report);
		else
			summary(res, DD_INR_DUPLICATE, 0, "duplicate message %s", in->external_id);
		return DD_OK;
	}
	if ((s = touch_contact(db, in, at, err)))
		goto fail;
	struct officer_ref o = {0};
	if (find_officer(db, in, &o))
		s = officer_reply(db, in, at, &o, res, err);
	else
		s = reporter_message(db, in, at, join_window_s, res, err);
	if (s)
		goto fail;
	return dd_db_commit(db, err);
fail:
	dd_db_rollback(db);
	return s;
}
