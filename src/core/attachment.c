#include <config.h>
#include <stdlib.h>

#include "db_internal.h"
#include "dutydesk/attachment.h"
#include "dutydesk/clock.h"

void dd_media_job_list_free(dd_media_job **list, size_t n)
{
	for (size_t i = 0; *list && i < n; i++) {
		dd_media_job *j = &(*list)[i];
		free(j->channel);
		free(j->media_id);
		free(j->mime);
		free(j->sha256);
	}
	free(*list);
	*list = NULL;
}

struct media_rows {
	dd_media_job **out;
	size_t *n, cap;
};

static int64_t media_row(sqlite3_stmt *st, void *arg)
{
	struct media_rows *m = arg;
	dd_media_job *j = dd_vec_push(m->out, m->n, &m->cap, sizeof **m->out);
	j->id = sqlite3_column_int64(st, 0);
	j->report = sqlite3_column_int64(st, 1);
	j->attempts = sqlite3_column_int(st, 2) + 1;
	j->channel = dd_col_strdup(st, 3);
	j->media_id = dd_col_strdup(st, 4);
	j->mime = dd_col_strdup(st, 5);
	j->sha256 = dd_col_strdup(st, 6);
	return j->id;
}

dd_status dd_attachment_claim_due(dd_db *db, int64_t now, int64_t lease_ms, size_t limit,
				  dd_media_job **out, size_t *n, dd_err *err)
{
	/* ?1 (a key) is not used here: attachments are claimed across channels */
	static const char pick[] =
		"SELECT a.id, a.report_id, a.attempts, r.channel, a.media_id, a.mime, a.sha256 "
		"FROM attachments a JOIN reports r ON r.id = a.report_id "
		"WHERE ?1 IS NULL AND a.state = 'pending' AND coalesce(a.next_at, 0) <= ?2 "
		"  AND a.media_id IS NOT NULL AND a.media_id <> '' "
		"ORDER BY coalesce(a.next_at, 0), a.id LIMIT ?3";
	static const char mark[] =
		"UPDATE attachments SET attempts = attempts + 1, next_at = ?2 "
		"WHERE id = ?1 AND state = 'pending'";
	static const char any[] =
		"SELECT 1 FROM attachments WHERE ?1 IS NULL AND state = 'pending' "
		"  AND coalesce(next_at, 0) <= ?2 AND media_id IS NOT NULL AND media_id <> '' "
		"  AND ?3 > 0 LIMIT 1";
	*out = NULL;
	*n = 0;
	struct media_rows m = {out, n, 0};
	dd_status s = dd_claim_due(db, any, pick, mark, NULL, now, limit, now + lease_ms, media_row,
				   &m, _("reading pending attachments"), _("claiming an attachment"),
				   err);
	if (s) {
		dd_media_job_list_free(out, *n);
		*n = 0;
	}
	return s;
}

dd_status dd_attachment_mark_stored(dd_db *db, int64_t id, const char *path, int64_t size,
				    const char *sha256, const char *mime, dd_err *err)
{
	static const char sql[] =
		"UPDATE attachments SET state = 'stored', path = ?2, size = ?3, sha256 = ?4, "
		"  mime = coalesce(mime, ?5), error = NULL, next_at = NULL WHERE id = ?1";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, size);
	sqlite3_bind_text(st, 4, sha256, -1, SQLITE_STATIC);
	dd_bind_text(st, 5, mime);
	return dd_step_done(db, st, err, _("recording a stored attachment"));
}

dd_status dd_attachment_mark_retry(dd_db *db, int64_t id, int64_t next_at, const char *error,
				   dd_err *err)
{
	static const char sql[] =
		"UPDATE attachments SET next_at = ?2, error = ?3 WHERE id = ?1 AND state = 'pending'";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, next_at);
	dd_bind_text(st, 3, error);
	return dd_step_done(db, st, err, _("scheduling an attachment's retry"));
}

dd_status dd_attachment_mark_failed(dd_db *db, int64_t id, const char *error, dd_err *err)
{
	static const char sql[] =
		"UPDATE attachments SET state = 'failed', error = ?2, next_at = NULL "
		"WHERE id = ?1 AND state = 'pending'";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	dd_bind_text(st, 2, error);
	return dd_step_done(db, st, err, _("recording a failed attachment"));
}

dd_status dd_attachment_count_pending(dd_db *db, int64_t *n, dd_err *err)
{
	static const char sql[] = "SELECT count(*) FROM attachments WHERE state = 'pending'";
	*n = 0;
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	dd_status s = DD_OK;
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		s = dd_db_error(db, err, _("counting attachments"));
	sqlite3_reset(st);
	return s;
}
