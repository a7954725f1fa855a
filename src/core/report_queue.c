/* Queries behind the console's live queue: overdue counts, where a report
 * sits in the queue, and the newest report. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "dutydesk/registry.h"
#include "dutydesk/report.h"

dd_status dd_report_overdue_counts(dd_db *db, int64_t new_before, int64_t open_before,
				   dd_report_count **out, size_t *n, dd_err *err)
{
	/* two ranges of one covering index (reports_status_age): the open
	 * reports older than their limit, never the history */
	static const char sql[] =
		"SELECT coalesce(r.district_id, 0), d.code, count(*) FROM reports r "
		"LEFT JOIN districts d ON d.id = r.district_id "
		"WHERE (r.status = 'new' AND r.received_at < max(?1, ?2)) "
		"   OR (r.status IN ('assigned', 'acknowledged', 'on_site') AND r.received_at < ?2) "
		"GROUP BY 1";
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, new_before);
	sqlite3_bind_int64(st, 2, open_before);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		dd_report_count *c = dd_vec_push(out, n, &cap, sizeof **out);
		c->district = sqlite3_column_int64(st, 0) ? dd_col_strdup(st, 1) : NULL;
		c->n[0] = sqlite3_column_int64(st, 2);
	}
	dd_status s = rc == SQLITE_DONE ? DD_OK : dd_db_error(db, err, _("counting overdue reports"));
	sqlite3_reset(st);
	return s;
}

int64_t dd_report_max_id(dd_db *db)
{
	static const char sql[] = "SELECT coalesce(max(id), 0) FROM reports";
	sqlite3_stmt *st = dd_stmt(db, sql, NULL);
	if (!st)
		return 0;
	int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return id;
}

int64_t dd_report_position(dd_db *db, const dd_report_filter *f, int64_t id)
{
	if (f->pattern || (f->search && *f->search))
		return -1;
	dd_report r;
	if (dd_report_get(db, id, &r, NULL))
		return -1;
	int64_t district = 0;
	bool in = true;
	if (f->unrouted)
		in = !r.district;
	else if (f->district)
		in = r.district && strcmp(r.district, f->district) == 0;
	if (f->open_only && !dd_rs_is_open(r.status))
		in = false;
	if (f->status_mask && !(f->status_mask & (1u << r.status)))
		in = false;
	if (f->category && strcmp(f->category, r.category) != 0)
		in = false;
	if (in && f->district && dd_district_id(db, f->district, &district, NULL))
		in = false;
	dd_buf sql = {0};
	dd_buf_adds(&sql, "SELECT count(*) FROM reports r WHERE 1");
	if (f->unrouted)
		dd_buf_adds(&sql, " AND r.district_id IS NULL");
	else if (district)
		dd_buf_adds(&sql, " AND r.district_id = :district");
	if (f->open_only)
		dd_buf_adds(&sql, " AND r.is_open = 1");
	for (int i = 0, first = 1; f->status_mask && i < DD_RS_COUNT; i++) {
		if (!(f->status_mask & (1u << i)))
			continue;
		dd_buf_printf(&sql, "%s'%s'", first ? " AND r.status IN (" : ",", dd_rs_code((dd_report_status)i));
		first = 0;
		if (!(f->status_mask >> (i + 1)))
			dd_buf_addc(&sql, ')');
	}
	if (f->category)
		dd_buf_adds(&sql, " AND r.category = :category");
	switch (f->order) {
	case DD_ORDER_NEWEST:
		dd_buf_adds(&sql, " AND (r.received_at > :at OR (r.received_at = :at AND r.id > :id))");
		break;
	case DD_ORDER_OLDEST:
		dd_buf_adds(&sql, " AND (r.received_at < :at OR (r.received_at = :at AND r.id < :id))");
		break;
	default:
		dd_buf_adds(&sql, " AND (r.priority < :pri OR (r.priority = :pri AND (r.received_at < :at "
				  "OR (r.received_at = :at AND r.id < :id))))");
	}
	int64_t pos = -1;
	sqlite3_stmt *st;
	if (in && sqlite3_prepare_v2(db->h, sql.data, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":district"), district);
		if (f->category)
			sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":category"), f->category, -1,
					  SQLITE_STATIC);
		sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":at"), r.received_at);
		sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":id"), r.id);
		sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":pri"), r.priority);
		if (sqlite3_step(st) == SQLITE_ROW)
			pos = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	dd_buf_free(&sql);
	dd_report_clear(&r);
	return pos;
}
