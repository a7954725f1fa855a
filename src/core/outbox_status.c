/* Delivery statuses from the platforms: notifications move forward to sent,
 * delivered, read or failed, never back. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "dutydesk/clock.h"
#include "dutydesk/inbound.h"
#include "dutydesk/outbox.h"

/* The platform's code for "more than 24 hours since the customer wrote". */
#define WA_REENGAGEMENT 131047

/* How far along a state is; a status only ever raises it. */
#define RANK(col)                                                              \
	"CASE " col " WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 " \
	"WHEN 'failed' THEN 4 WHEN 'cancelled' THEN 9 ELSE 0 END"

int64_t dd_outbox_find_external(dd_db *db, const char *channel, const char *external_id,
				char **state)
{
	static const char sql[] =
		"SELECT id, state FROM outbox WHERE channel = ? AND external_id = ? "
		"ORDER BY id DESC LIMIT 1";
	if (state)
		*state = NULL;
	sqlite3_stmt *st = external_id && *external_id ? dd_stmt(db, sql, NULL) : NULL;
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, channel ? channel : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, external_id, -1, SQLITE_STATIC);
	int64_t id = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (state)
			*state = dd_col_strdup(st, 1);
	}
	sqlite3_reset(st);
	return id;
}

dd_status dd_outbox_mark_by_external(dd_db *db, const char *channel, const char *external_id,
				     const char *state, int error_code, const char *error,
				     dd_err *err)
{
	static const char requeue[] =
		"UPDATE outbox SET state = 'queued', template = 1, next_at = ?3, error_code = ?4, "
		"  error = ?5, updated_at = ?3 "
		"WHERE channel = ?1 AND external_id = ?2 AND template = 0 "
		"  AND state IN ('sending', 'sent')";
	static const char forward[] =
		"UPDATE outbox SET state = ?3, "
		"  error_code = CASE WHEN ?3 = 'failed' THEN ?4 ELSE error_code END, "
		"  error = CASE WHEN ?3 = 'failed' THEN ?5 ELSE error END, updated_at = ?6 "
		"WHERE channel = ?1 AND external_id = ?2 AND " RANK("state") " < " RANK("?3");
	if (!state || (strcmp(state, "sent") && strcmp(state, "delivered") &&
		       strcmp(state, "read") && strcmp(state, "failed")))
		return dd_fail(err, DD_EINVAL, _("unknown delivery status '%s'"),
			       state ? state : "");
	if (!dd_outbox_find_external(db, channel, external_id, NULL))
		return dd_fail(err, DD_ENOTFOUND, _("no notification was sent as %s on %s"),
			       external_id ? external_id : "", channel ? channel : "");
	bool own_txn;
	dd_status s;
	if ((s = dd_db_join(db, &own_txn, err)))
		return s;
	int64_t now = dd_now_ms();
	char *why = NULL;
	if (strcmp(state, "failed") == 0)
		why = error_code ? dd_xasprintf("%d: %s", error_code, error && *error ? error : "?")
				 : dd_xstrdup(error && *error ? error : "failed");
	sqlite3_stmt *st;
	bool done = false;
	if (why && error_code == WA_REENGAGEMENT) {
		if (!(st = dd_stmt(db, requeue, err))) {
			s = err ? err->status : DD_EDB;
			goto out;
		}
		sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, external_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		sqlite3_bind_int(st, 4, error_code);
		sqlite3_bind_text(st, 5, why, -1, SQLITE_STATIC);
		if ((s = dd_step_done(db, st, err, _("saving the delivery status"))))
			goto out;
		done = sqlite3_changes(db->h) > 0;
	}
	if (!done) {
		if (!(st = dd_stmt(db, forward, err))) {
			s = err ? err->status : DD_EDB;
			goto out;
		}
		sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, external_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
		if (why) {
			if (error_code)
				sqlite3_bind_int(st, 4, error_code);
			sqlite3_bind_text(st, 5, why, -1, SQLITE_STATIC);
		}
		sqlite3_bind_int64(st, 6, now);
		if ((s = dd_step_done(db, st, err, _("saving the delivery status"))))
			goto out;
	}
	if (own_txn)
		s = dd_db_commit(db, err);
out:
	if (s && own_txn)
		dd_db_rollback(db);
	free(why);
	return s;
}

dd_status dd_inbound_status(dd_db *db, const dd_delivery *d, dd_inbound_result *res,
			    dd_err *err)
{
	memset(res, 0, sizeof *res);
	char *before = NULL;
	int64_t id = dd_outbox_find_external(db, d->channel, d->external_id, &before);
	if (!id) {
		res->outcome = DD_INR_IGNORED;
		snprintf(res->summary, sizeof res->summary,
			 "status %s for unknown message %s ignored", d->state ? d->state : "?",
			 d->external_id ? d->external_id : "?");
		return DD_OK;
	}
	dd_status s = dd_outbox_mark_by_external(db, d->channel, d->external_id, d->state,
						 d->error_code, d->error, err);
	if (s) {
		free(before);
		return s;
	}
	char *after = NULL;
	dd_outbox_find_external(db, d->channel, d->external_id, &after);
	res->notification = id;
	bool moved = after && before && strcmp(after, before) != 0;
	res->outcome = moved ? DD_INR_STATUS : DD_INR_IGNORED;
	if (!moved)
		snprintf(res->summary, sizeof res->summary,
			 "status %s for notification #%lld ignored (it is %s)", d->state,
			 (long long)id, after ? after : "?");
	else if (strcmp(after, "queued") == 0)
		snprintf(res->summary, sizeof res->summary,
			 "status failed (%d) for notification #%lld: queued again as the template",
			 d->error_code, (long long)id);
	else if (d->error_code)
		snprintf(res->summary, sizeof res->summary,
			 "status %s (%d) for notification #%lld", d->state, d->error_code,
			 (long long)id);
	else
		snprintf(res->summary, sizeof res->summary, "status %s for notification #%lld",
			 d->state, (long long)id);
	free(before);
	free(after);
	return DD_OK;
}
