/* Linking an unknown sender to a known reporter: their unrouted reports
 * follow. */
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

struct who {
	int64_t id, org, district, telegram_id;
	char *name, *phone, *district_code;
};

static void who_clear(struct who *w)
{
	free(w->name);
	free(w->phone);
	free(w->district_code);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* By id ("#12", or a short number that is an id) or by phone. */
static dd_status find_reporter(dd_db *db, const char *key, struct who *w, dd_err *err)
{
	static const char sql[] =
		"SELECT p.id, coalesce(p.org_id, 0), coalesce(o.district_id, 0), p.name, p.phone, "
		"  coalesce(p.telegram_id, 0), d.code FROM reporters p "
		"LEFT JOIN organisations o ON o.id = p.org_id "
		"LEFT JOIN districts d ON d.id = o.district_id "
		"WHERE (?1 IS NOT NULL AND p.id = ?1) OR (?2 IS NOT NULL AND "
		"  (p.phone = ?2 OR p.phone = '+' || ?2 OR '+' || p.phone = ?2)) "
		"ORDER BY (?1 IS NOT NULL AND p.id = ?1) DESC LIMIT 1";
	memset(w, 0, sizeof *w);
	int64_t id = 0;
	if (key[0] == '#' && all_digits(key + 1))
		id = strtoll(key + 1, NULL, 10);
	else if (all_digits(key) && strlen(key) < 9)
		id = strtoll(key, NULL, 10);
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	dd_bind_id(st, 1, id);
	dd_bind_text(st, 2, key[0] == '#' ? NULL : key);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		w->id = sqlite3_column_int64(st, 0);
		w->org = sqlite3_column_int64(st, 1);
		w->district = sqlite3_column_int64(st, 2);
		w->name = dd_col_strdup(st, 3);
		w->phone = dd_col_strdup(st, 4);
		w->telegram_id = sqlite3_column_int64(st, 5);
		w->district_code = dd_col_strdup(st, 6);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return DD_OK;
	if (rc != SQLITE_DONE)
		return dd_db_error(db, err, _("reading reporters"));
	return dd_fail(err, DD_ENOTFOUND, _("no reporter with id or phone '%s'"), key);
}

/* The channel the sender wrote by: their latest unrouted report's, else the
 * contact's. NULL when they never wrote. */
static const char *sender_channel(dd_db *db, const char *sender)
{
	static const char sql[] =
		"SELECT channel FROM reports WHERE sender = ?1 AND reporter_id IS NULL "
		"  AND channel <> 'desk' "
		"UNION ALL SELECT channel FROM contacts WHERE address = ?1 LIMIT 1";
	sqlite3_stmt *st = dd_stmt(db, sql, NULL);
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, sender, -1, SQLITE_STATIC);
	const char *ch = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		ch = c && strcmp(c, "telegram") == 0 ? "telegram" : "whatsapp";
	}
	sqlite3_reset(st);
	return ch;
}

/* Gives the reporter the sender's number or Telegram id when they have
 * none; refuses another one. */
static dd_status set_address(dd_db *db, const struct who *w, const char *channel,
			     const char *sender, dd_err *err)
{
	static const char set_phone[] = "UPDATE reporters SET phone = ? WHERE id = ?";
	static const char set_tg[] = "UPDATE reporters SET telegram_id = ? WHERE id = ?";
	bool tg = strcmp(channel, "telegram") == 0;
	int64_t tgid = tg ? strtoll(sender, NULL, 10) : 0;
	if (tg && w->telegram_id) {
		if (w->telegram_id == tgid)
			return DD_OK;
		return dd_fail(err, DD_EINVAL,
			       _("reporter #%lld already has Telegram id %lld, not %s"),
			       (long long)w->id, (long long)w->telegram_id, sender);
	}
	if (!tg && w->phone && *w->phone) {
		const char *p = w->phone[0] == '+' ? w->phone + 1 : w->phone;
		if (strcmp(p, sender[0] == '+' ? sender + 1 : sender) == 0)
			return DD_OK;
		return dd_fail(err, DD_EINVAL, _("reporter #%lld already has phone %s, not %s"),
			       (long long)w->id, w->phone, sender);
	}
	sqlite3_stmt *st = dd_stmt(db, tg ? set_tg : set_phone, err);
	if (!st)
		return err ? err->status : DD_EDB;
	if (tg)
		sqlite3_bind_int64(st, 1, tgid);
	else
		sqlite3_bind_text(st, 1, sender, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, w->id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return DD_OK;
	if ((sqlite3_extended_errcode(db->h) & 0xff) == SQLITE_CONSTRAINT)
		return dd_fail(err, DD_EINVAL, _("another reporter already has %s %s"),
			       tg ? _("Telegram id") : _("phone"), sender);
	return dd_db_error(db, err, _("saving the reporter"));
}

struct moved_row {
	int64_t id, district;
	char *code;
};

dd_status dd_reporter_link(dd_db *db, const dd_actor *actor, const char *sender,
			   const char *reporter, int64_t *moved, dd_err *err)
{
	static const char pick[] =
		"SELECT r.id, coalesce(r.district_id, 0), d.code FROM reports r "
		"LEFT JOIN districts d ON d.id = r.district_id "
		"WHERE r.channel = ? AND r.sender = ? AND r.reporter_id IS NULL ORDER BY r.id";
	static const char upd[] =
		"UPDATE reports SET reporter_id = ?2, org_id = ?3, district_id = ?4, "
		"  updated_at = ?5, updated_by = ?6, version = version + 1 WHERE id = ?1 "
		"RETURNING version";
	if (moved)
		*moved = 0;
	dd_status s = dd_require_role(actor, DD_ROLE_DISPATCHER, _("linking a sender"), err);
	if (s)
		return s;
	if (!sender || !*sender || !reporter || !*reporter)
		return dd_fail(err, DD_EINVAL, _("link: which sender and which reporter?"));
	if (sender[0] == '+')
		sender++; /* WhatsApp writes numbers without it */
	if ((s = dd_db_begin(db, err)))
		return s;
	struct who w;
	struct moved_row *rows = NULL;
	size_t n = 0, cap = 0;
	if ((s = find_reporter(db, reporter, &w, err)))
		goto out;
	const char *channel = sender_channel(db, sender);
	if (!channel) {
		s = dd_fail(err, DD_ENOTFOUND, _("no messages from %s"), sender);
		goto out;
	}
	if ((s = set_address(db, &w, channel, sender, err)))
		goto out;
	sqlite3_stmt *st = dd_stmt(db, pick, err);
	if (!st) {
		s = err ? err->status : DD_EDB;
		goto out;
	}
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct moved_row *m = dd_vec_push(&rows, &n, &cap, sizeof *rows);
		m->id = sqlite3_column_int64(st, 0);
		m->district = sqlite3_column_int64(st, 1);
		m->code = dd_col_strdup(st, 2);
	}
	sqlite3_reset(st);
	char who[160];
	dd_actor_label(actor, who, sizeof who);
	for (size_t i = 0; i < n; i++) {
		int64_t district = rows[i].district ? rows[i].district : w.district;
		if (!(st = dd_stmt(db, upd, err))) {
			s = err ? err->status : DD_EDB;
			goto out;
		}
		sqlite3_bind_int64(st, 1, rows[i].id);
		sqlite3_bind_int64(st, 2, w.id);
		dd_bind_id(st, 3, w.org);
		dd_bind_id(st, 4, district);
		sqlite3_bind_int64(st, 5, dd_now_ms());
		sqlite3_bind_text(st, 6, who, -1, SQLITE_STATIC);
		int64_t version = 0;
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int64(st, 0);
		else
			s = dd_db_error(db, err, _("moving the report"));
		sqlite3_reset(st);
		if (s)
			goto out;
		json_t *b = json_object(), *a = json_object();
		json_object_set_new(b, "reporter", json_null());
		json_object_set_new(b, "district",
				    rows[i].code ? json_string(rows[i].code) : json_null());
		json_object_set_new(a, "reporter", json_integer(w.id));
		json_object_set_new(a, "sender", json_string(sender));
		const char *code = rows[i].district ? rows[i].code : w.district_code;
		json_object_set_new(a, "district", code ? json_string(code) : json_null());
		json_object_set_new(a, "version", json_integer(version));
		char *bs = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
		char *as = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
		json_decref(b);
		json_decref(a);
		s = dd_audit_append(db, actor, rows[i].id, "link", bs, as, NULL, err);
		free(bs);
		free(as);
		if (s)
			goto out;
	}
	s = dd_db_commit(db, err);
	if (!s && moved)
		*moved = (int64_t)n;
out:
	if (s)
		dd_db_rollback(db);
	for (size_t i = 0; i < n; i++)
		free(rows[i].code);
	free(rows);
	who_clear(&w);
	return s;
}
