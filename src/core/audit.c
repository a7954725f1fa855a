#include <config.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "db_internal.h"
#include "dutydesk/audit.h"
#include "dutydesk/clock.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* The hashed form of an event: every field, with NULL distinct from "". */
static void event_hash(char out[65], const char *prev, int64_t id, int64_t at, int64_t report,
		       const char *actor, const char *action, const char *before,
		       const char *after)
{
	dd_buf b = {0};
	dd_buf_printf(&b, "%s\x1f%lld\x1f%lld\x1f%lld\x1f%s\x1f%s\x1f", prev, (long long)id,
		      (long long)at, (long long)report, actor, action);
	if (before)
		dd_buf_printf(&b, "=%s", before);
	dd_buf_addc(&b, '\x1f');
	if (after)
		dd_buf_printf(&b, "=%s", after);
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(b.data, b.len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	dd_buf_free(&b);
}

dd_status dd_audit_append(dd_db *db, const dd_actor *actor, int64_t report, const char *action,
			  const char *before, const char *after, int64_t *id, dd_err *err)
{
	return dd_audit_append_at(db, actor, report, action, before, after, 0, id, err);
}

dd_status dd_audit_append_at(dd_db *db, const dd_actor *actor, int64_t report, const char *action,
			     const char *before, const char *after, int64_t when, int64_t *id,
			     dd_err *err)
{
	static const char last_sql[] = "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1";
	static const char ins_sql[] =
		"INSERT INTO events(id, at, report_id, actor, action, before, after, prev_hash, hash) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = dd_stmt(db, last_sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	int64_t last = 0;
	char prev[65] = GENESIS;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		last = sqlite3_column_int64(st, 0);
		const char *h = (const char *)sqlite3_column_text(st, 1);
		snprintf(prev, sizeof prev, "%s", h ? h : "");
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dd_db_error(db, err, _("reading the audit trail"));

	char who[160];
	dd_actor_label(actor, who, sizeof who);
	int64_t at = when ? when : dd_now_ms(), eid = last + 1;
	char hash[65];
	event_hash(hash, prev, eid, at, report, who, action, before, after);

	if (!(st = dd_stmt(db, ins_sql, err)))
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, eid);
	sqlite3_bind_int64(st, 2, at);
	dd_bind_id(st, 3, report);
	sqlite3_bind_text(st, 4, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, action, -1, SQLITE_STATIC);
	if (before)
		sqlite3_bind_text(st, 6, before, -1, SQLITE_STATIC);
	if (after)
		sqlite3_bind_text(st, 7, after, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, hash, -1, SQLITE_STATIC);
	dd_status s = dd_step_done(db, st, err, _("writing the audit event"));
	if (s == DD_OK && id)
		*id = eid;
	return s;
}

dd_status dd_audit_verify(dd_db *db, int64_t *checked, int64_t *bad, dd_err *err)
{
	sqlite3_stmt *st;
	*checked = 0;
	*bad = 0;
	if (sqlite3_prepare_v2(db->h,
			       "SELECT id, at, coalesce(report_id, 0), actor, action, before, after, "
			       "prev_hash, hash FROM events ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return dd_db_error(db, err, _("reading the audit trail"));
	char prev[65] = GENESIS;
	dd_status s = DD_OK;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *stored_prev = (const char *)sqlite3_column_text(st, 7);
		const char *stored = (const char *)sqlite3_column_text(st, 8);
		char h[65];
		event_hash(h, prev, id, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
			   (const char *)sqlite3_column_text(st, 3),
			   (const char *)sqlite3_column_text(st, 4),
			   (const char *)sqlite3_column_text(st, 5),
			   (const char *)sqlite3_column_text(st, 6));
		(*checked)++;
		if (!stored_prev || strcmp(stored_prev, prev) != 0) {
			*bad = id;
			s = dd_fail(err, DD_EDB,
				    _("audit trail broken at event %lld: it does not follow the event "
				      "before it (an event was removed or inserted)"),
				    (long long)id);
			break;
		}
		if (!stored || strcmp(stored, h) != 0) {
			*bad = id;
			s = dd_fail(err, DD_EDB,
				    _("audit trail broken at event %lld: its contents do not match "
				      "its hash (the event was altered)"),
				    (long long)id);
			break;
		}
		memcpy(prev, stored, sizeof prev);
	}
	if (s == DD_OK && rc != SQLITE_DONE)
		s = dd_db_error(db, err, _("reading the audit trail"));
	sqlite3_finalize(st);
	return s;
}
