#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "dutydesk/clock.h"
#include "dutydesk/registry.h"

static const char *const org_kinds[] = {"ksk", "pawnshop", "bookmaker", "other"};

const char *dd_org_kind_name(dd_org_kind k)
{
	return (size_t)k < 4 ? org_kinds[k] : "other";
}

int dd_org_kind_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s && strcmp(s, org_kinds[i]) == 0)
			return i;
	return -1;
}

#define STMT(db, sql, err)                                   \
	sqlite3_stmt *st = dd_stmt(db, sql, err);            \
	if (!st)                                             \
		return err ? err->status : DD_EDB

/* Looks up one id by a text key; 0 when key is NULL or empty. */
static dd_status id_by_key(dd_db *db, const char *sql, const char *key, const char *what,
			   int64_t *id, dd_err *err)
{
	*id = 0;
	if (!key || !*key)
		return DD_OK;
	STMT(db, sql, err);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return DD_OK;
	if (rc != SQLITE_DONE)
		return dd_db_error(db, err, what);
	return dd_fail(err, DD_ENOTFOUND, _("%s '%s' does not exist"), what, key);
}

dd_status dd_district_id(dd_db *db, const char *code, int64_t *id, dd_err *err)
{
	static const char sql[] = "SELECT id FROM districts WHERE code = ?";
	if (!code || !*code)
		return dd_fail(err, DD_EINVAL, _("no district code given"));
	return id_by_key(db, sql, code, _("district"), id, err);
}

static dd_status officer_id_by_badge(dd_db *db, const char *badge, int64_t *id, dd_err *err)
{
	static const char sql[] = "SELECT id FROM officers WHERE badge = ?";
	return id_by_key(db, sql, badge, _("officer with badge"), id, err);
}

bool dd_category_exists(dd_db *db, const char *code)
{
	static const char sql[] = "SELECT 1 FROM categories WHERE code = ?";
	int64_t id;
	return code && id_by_key(db, sql, code, "category", &id, NULL) == DD_OK && id;
}

/* Runs an upsert whose RETURNING gives the row id. */
static dd_status upsert_returning(dd_db *db, sqlite3_stmt *st, const char *what, int64_t *id,
				  dd_err *err)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && id)
		*id = sqlite3_column_int64(st, 0);
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	dd_status s = rc == SQLITE_DONE ? DD_OK : dd_db_error(db, err, what);
	sqlite3_reset(st);
	return s;
}

dd_status dd_district_put(dd_db *db, const char *code, const char *name,
			  const char *supervisor_badge, int64_t *id, dd_err *err)
{
	static const char sql[] =
		"INSERT INTO districts(code, name, supervisor_id) VALUES (?1, ?2, ?3) "
		"ON CONFLICT(code) DO UPDATE SET name = ?2, supervisor_id = ?3 RETURNING id";
	int64_t sup = 0;
	dd_status s = officer_id_by_badge(db, supervisor_badge, &sup, err);
	if (s)
		return s;
	STMT(db, sql, err);
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	dd_bind_id(st, 3, sup);
	return upsert_returning(db, st, _("saving the district"), id, err);
}

dd_status dd_officer_put(dd_db *db, const dd_officer *o, int64_t *id, dd_err *err)
{
	static const char sql[] =
		"INSERT INTO officers(badge, name, rank, phone, telegram_id, district_id, "
		"  is_supervisor, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
		"ON CONFLICT(badge) DO UPDATE SET name = ?2, rank = ?3, phone = ?4, "
		"  telegram_id = ?5, district_id = ?6, is_supervisor = ?7, active = ?8 RETURNING id";
	int64_t district = 0;
	dd_status s = DD_OK;
	if (o->district && *o->district)
		s = dd_district_id(db, o->district, &district, err);
	if (s)
		return s;
	STMT(db, sql, err);
	sqlite3_bind_text(st, 1, o->badge, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, o->rank ? o->rank : "", -1, SQLITE_STATIC);
	dd_bind_text(st, 4, o->phone);
	dd_bind_id(st, 5, o->telegram_id);
	dd_bind_id(st, 6, district);
	sqlite3_bind_int(st, 7, o->supervisor);
	sqlite3_bind_int(st, 8, o->active);
	return upsert_returning(db, st, _("saving the officer"), id, err);
}

dd_status dd_org_put(dd_db *db, const dd_org *o, int64_t *id, dd_err *err)
{
	static const char sql[] =
		"INSERT INTO organisations(kind, name, address, district_id) VALUES (?1, ?2, ?3, ?4) "
		"ON CONFLICT(kind, name) DO UPDATE SET address = ?3, district_id = ?4 RETURNING id";
	int64_t district = 0;
	dd_status s = DD_OK;
	if (o->district && *o->district)
		s = dd_district_id(db, o->district, &district, err);
	if (s)
		return s;
	STMT(db, sql, err);
	sqlite3_bind_text(st, 1, dd_org_kind_name(o->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, o->address ? o->address : "", -1, SQLITE_STATIC);
	dd_bind_id(st, 4, district);
	return upsert_returning(db, st, _("saving the organisation"), id, err);
}

static dd_status org_id_by_name(dd_db *db, const char *name, int kind, int64_t *id, dd_err *err)
{
	static const char sql[] =
		"SELECT id FROM organisations WHERE name = ?1 AND (?2 IS NULL OR kind = ?2) LIMIT 2";
	*id = 0;
	if (!name || !*name)
		return DD_OK;
	STMT(db, sql, err);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (kind >= 0)
		sqlite3_bind_text(st, 2, dd_org_kind_name((dd_org_kind)kind), -1, SQLITE_STATIC);
	int found = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		found++;
	}
	sqlite3_reset(st);
	if (found == 1)
		return DD_OK;
	if (found == 0)
		return dd_fail(err, DD_ENOTFOUND, _("organisation '%s' does not exist"), name);
	return dd_fail(err, DD_EINVAL,
		       _("several organisations are called '%s'; give the kind (org_kind)"), name);
}

dd_status dd_reporter_put(dd_db *db, const dd_reporter *r, int org_kind, int64_t *id,
			  dd_err *err)
{
	static const char by_phone[] =
		"INSERT INTO reporters(name, phone, telegram_id, org_id, verified, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(phone) DO UPDATE SET name = ?1, "
		"telegram_id = coalesce(?3, telegram_id), org_id = ?4, verified = ?5 RETURNING id";
	static const char by_tg[] =
		"INSERT INTO reporters(name, phone, telegram_id, org_id, verified, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(telegram_id) DO UPDATE SET name = ?1, "
		"org_id = ?4, verified = ?5 RETURNING id";
	if ((!r->phone || !*r->phone) && !r->telegram_id)
		return dd_fail(err, DD_EINVAL, _("a reporter needs a phone or a Telegram id"));
	int64_t org = 0;
	dd_status s = org_id_by_name(db, r->org, org_kind, &org, err);
	if (s)
		return s;
	STMT(db, r->phone && *r->phone ? by_phone : by_tg, err);
	sqlite3_bind_text(st, 1, r->name ? r->name : "", -1, SQLITE_STATIC);
	dd_bind_text(st, 2, r->phone);
	dd_bind_id(st, 3, r->telegram_id);
	dd_bind_id(st, 4, org);
	sqlite3_bind_int(st, 5, r->verified);
	sqlite3_bind_int64(st, 6, dd_now_ms());
	return upsert_returning(db, st, _("saving the reporter"), id, err);
}

dd_status dd_shift_put(dd_db *db, const char *badge, int64_t starts_at, int64_t ends_at,
		       dd_err *err)
{
	static const char sql[] =
		"INSERT INTO shifts(officer_id, starts_at, ends_at) VALUES (?1, ?2, ?3) "
		"ON CONFLICT(officer_id, starts_at) DO UPDATE SET ends_at = ?3";
	if (ends_at <= starts_at)
		return dd_fail(err, DD_EINVAL, _("a shift must end after it starts"));
	int64_t officer;
	dd_status s = officer_id_by_badge(db, badge, &officer, err);
	if (s)
		return s;
	if (!officer)
		return dd_fail(err, DD_EINVAL, _("no badge given"));
	STMT(db, sql, err);
	sqlite3_bind_int64(st, 1, officer);
	sqlite3_bind_int64(st, 2, starts_at);
	sqlite3_bind_int64(st, 3, ends_at);
	return dd_step_done(db, st, err, _("saving the shift"));
}

dd_status dd_stolen_put(dd_db *db, const char *case_no, const char *item, const char *serial,
			const char *description, int64_t reported_at, const char *district,
			dd_err *err)
{
	static const char sql[] =
		"INSERT INTO stolen_items(case_no, item, serial, description, reported_at, district_id) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(case_no, item, serial) DO UPDATE SET "
		"description = ?4, reported_at = ?5, district_id = ?6";
	int64_t did = 0;
	dd_status s = DD_OK;
	if (district && *district)
		s = dd_district_id(db, district, &did, err);
	if (s)
		return s;
	STMT(db, sql, err);
	sqlite3_bind_text(st, 1, case_no, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, item, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, serial ? serial : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, description ? description : "", -1, SQLITE_STATIC);
	dd_bind_id(st, 5, reported_at);
	dd_bind_id(st, 6, did);
	return dd_step_done(db, st, err, _("saving the stolen item"));
}

dd_status dd_district_list(dd_db *db, dd_district **out, size_t *n, dd_err *err)
{
	static const char sql[] =
		"SELECT d.id, d.code, d.name, s.badge, s.name, "
		"  (SELECT count(*) FROM officers o WHERE o.district_id = d.id AND o.active "
		"     AND NOT o.is_supervisor), "
		"  (SELECT coalesce(sum(n), 0) FROM report_counts c WHERE c.district_id = d.id "
		"     AND c.status IN ('new','assigned','acknowledged','on_site')) "
		"FROM districts d LEFT JOIN officers s ON s.id = d.supervisor_id ORDER BY d.code";
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	STMT(db, sql, err);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		dd_district *d = dd_vec_push(out, n, &cap, sizeof **out);
		d->id = sqlite3_column_int64(st, 0);
		d->code = dd_col_strdup(st, 1);
		d->name = dd_col_strdup(st, 2);
		d->supervisor_badge = dd_col_strdup(st, 3);
		d->supervisor_name = dd_col_strdup(st, 4);
		d->officers = sqlite3_column_int(st, 5);
		d->open = sqlite3_column_int(st, 6);
	}
	dd_status s = rc == SQLITE_DONE ? DD_OK : dd_db_error(db, err, _("listing districts"));
	sqlite3_reset(st);
	return s;
}

void dd_district_list_free(dd_district **list, size_t n)
{
	for (size_t i = 0; *list && i < n; i++) {
		dd_district *d = &(*list)[i];
		free(d->code);
		free(d->name);
		free(d->supervisor_badge);
		free(d->supervisor_name);
	}
	free(*list);
	*list = NULL;
}

#define OFFICER_COLS                                                                   \
	"SELECT o.id, o.badge, o.name, o.rank, o.phone, o.telegram_id, d.code, "       \
	"  o.is_supervisor, o.active, "                                                \
	"  o.active AND (EXISTS (SELECT 1 FROM shifts s WHERE s.officer_id = o.id "    \
	"     AND s.starts_at <= ?1 AND s.ends_at > ?1) "                              \
	"   OR NOT EXISTS (SELECT 1 FROM shifts s WHERE s.officer_id = o.id)), "       \
	"  (SELECT count(*) FROM reports r WHERE r.officer_id = o.id AND r.is_open = 1) " \
	"FROM officers o LEFT JOIN districts d ON d.id = o.district_id "

static void officer_row(sqlite3_stmt *st, dd_officer *o)
{
	o->id = sqlite3_column_int64(st, 0);
	o->badge = dd_col_strdup(st, 1);
	o->name = dd_col_strdup(st, 2);
	o->rank = dd_col_strdup(st, 3);
	o->phone = dd_col_strdup(st, 4);
	o->telegram_id = sqlite3_column_int64(st, 5);
	o->district = dd_col_strdup(st, 6);
	o->supervisor = sqlite3_column_int(st, 7);
	o->active = sqlite3_column_int(st, 8);
	o->on_duty = sqlite3_column_int(st, 9);
	o->open = sqlite3_column_int(st, 10);
}

void dd_officer_clear(dd_officer *o)
{
	free(o->badge);
	free(o->name);
	free(o->rank);
	free(o->phone);
	free(o->district);
	memset(o, 0, sizeof *o);
}

dd_status dd_officer_list(dd_db *db, const char *district, dd_officer **out, size_t *n,
			  dd_err *err)
{
	static const char sql[] = OFFICER_COLS
		"WHERE ?2 IS NULL OR d.code = ?2 ORDER BY d.code, o.is_supervisor DESC, o.name";
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	if (district) {
		int64_t id;
		dd_status s = dd_district_id(db, district, &id, err);
		if (s)
			return s;
	}
	STMT(db, sql, err);
	sqlite3_bind_int64(st, 1, dd_now_ms());
	dd_bind_text(st, 2, district);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		officer_row(st, dd_vec_push(out, n, &cap, sizeof **out));
	dd_status s = rc == SQLITE_DONE ? DD_OK : dd_db_error(db, err, _("listing officers"));
	sqlite3_reset(st);
	return s;
}

void dd_officer_list_free(dd_officer **list, size_t n)
{
	for (size_t i = 0; *list && i < n; i++)
		dd_officer_clear(&(*list)[i]);
	free(*list);
	*list = NULL;
}

dd_status dd_officer_find(dd_db *db, const char *key, dd_officer *out, dd_err *err)
{
	static const char by_badge[] = OFFICER_COLS "WHERE o.badge = ?2";
	static const char by_id[] = OFFICER_COLS "WHERE o.id = ?2";
	memset(out, 0, sizeof *out);
	const char *k = key[0] == '#' ? key + 1 : key;
	for (int pass = 0; pass < 2; pass++) {
		/* a badge wins over an id; "#12" is always the id */
		if (pass == 0 && key[0] == '#')
			continue;
		char *end;
		long long idv = strtoll(k, &end, 10);
		if (pass == 1 && (*end || idv <= 0))
			break;
		STMT(db, pass == 0 ? by_badge : by_id, err);
		sqlite3_bind_int64(st, 1, dd_now_ms());
		if (pass == 0)
			sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, 2, idv);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			officer_row(st, out);
		sqlite3_reset(st);
		if (rc == SQLITE_ROW)
			return DD_OK;
	}
	return dd_fail(err, DD_ENOTFOUND, _("no officer with badge or id '%s'"), key);
}

dd_status dd_reporter_list(dd_db *db, bool unverified_only, dd_reporter **out, size_t *n,
			   dd_err *err)
{
	static const char sql[] =
		"SELECT p.id, p.name, p.phone, p.telegram_id, o.name, d.code, p.verified, "
		"  (SELECT count(*) FROM reports r WHERE r.reporter_id = p.id) "
		"FROM reporters p LEFT JOIN organisations o ON o.id = p.org_id "
		"LEFT JOIN districts d ON d.id = o.district_id "
		"WHERE NOT ?1 OR NOT p.verified ORDER BY p.name, p.id";
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	STMT(db, sql, err);
	sqlite3_bind_int(st, 1, unverified_only);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		dd_reporter *r = dd_vec_push(out, n, &cap, sizeof **out);
		r->id = sqlite3_column_int64(st, 0);
		r->name = dd_col_strdup(st, 1);
		r->phone = dd_col_strdup(st, 2);
		r->telegram_id = sqlite3_column_int64(st, 3);
		r->org = dd_col_strdup(st, 4);
		r->district = dd_col_strdup(st, 5);
		r->verified = sqlite3_column_int(st, 6);
		r->reports = sqlite3_column_int(st, 7);
	}
	dd_status s = rc == SQLITE_DONE ? DD_OK : dd_db_error(db, err, _("listing reporters"));
	sqlite3_reset(st);
	return s;
}

void dd_reporter_list_free(dd_reporter **list, size_t n)
{
	for (size_t i = 0; *list && i < n; i++) {
		dd_reporter *r = &(*list)[i];
		free(r->name);
		free(r->phone);
		free(r->org);
		free(r->district);
	}
	free(*list);
	*list = NULL;
}

/*
 * Phones are stored as WhatsApp writes them: country code and number, digits
 * only. People write "+7 (701) 123-45-67" or, in Kazakhstan and Russia, with
 * the trunk prefix "8 701 123 45 67"; both become 77011234567.
 */
bool dd_phone_normalize(const char *in, char out[16])
{
	size_t n = 0;
	bool plus = *in == '+';

	/* out is "" on every refusal: callers (the importer) test out[0] */
	out[0] = '\0';
	for (const char *p = in + plus; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n == 15) {
				out[0] = '\0';
				return false;
			}
			out[n++] = *p;
		} else if (*p != ' ' && *p != '-' && *p != '(' && *p != ')') {
			out[0] = '\0';
			return false;
		}
	}
	out[n] = '\0';
	if (n < 10) {
		out[0] = '\0';
		return false;
	}
	if (!plus && n == 11 && out[0] == '8')
		out[0] = '7';
	return true;
}
