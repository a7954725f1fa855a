/* Reading reports: pages for views, one report, counts, history. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "pattern_sql.h"
#include "dutydesk/registry.h"
#include "dutydesk/report.h"

#define REPORT_COLS                                                                   \
	"SELECT r.id, r.status, r.priority, r.category, d.code, d.name, r.channel, "  \
	"  r.external_id, p.phone, p.name, coalesce(r.reporter_id, 0), g.name, "       \
	"  o.badge, o.name, r.sender, r.sender_name, r.text, r.address, "              \
	"  r.lat IS NOT NULL, r.lat, r.lon, coalesce(r.duplicate_of, 0), r.reason, "   \
	"  r.received_at, r.updated_at, r.updated_by, r.version, "                     \
	"  (SELECT x.state FROM outbox x WHERE x.report_id = r.id ORDER BY x.id DESC LIMIT 1) "
#define REPORT_JOINS                                                                  \
	"LEFT JOIN districts d ON d.id = r.district_id "                               \
	"LEFT JOIN reporters p ON p.id = r.reporter_id "                               \
	"LEFT JOIN organisations g ON g.id = r.org_id "                                \
	"LEFT JOIN officers o ON o.id = r.officer_id "

static void report_row(sqlite3_stmt *st, dd_report *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->status = (dd_report_status)dd_rs_parse((const char *)sqlite3_column_text(st, 1));
	r->priority = sqlite3_column_int(st, 2);
	r->category = dd_col_strdup(st, 3);
	r->district = dd_col_strdup(st, 4);
	r->district_name = dd_col_strdup(st, 5);
	r->channel = dd_col_strdup(st, 6);
	r->external_id = dd_col_strdup(st, 7);
	r->reporter_phone = dd_col_strdup(st, 8);
	r->reporter_name = dd_col_strdup(st, 9);
	r->reporter_id = sqlite3_column_int64(st, 10);
	r->org_name = dd_col_strdup(st, 11);
	r->officer_badge = dd_col_strdup(st, 12);
	r->officer_name = dd_col_strdup(st, 13);
	r->sender = dd_col_strdup(st, 14);
	r->sender_name = dd_col_strdup(st, 15);
	r->text = dd_col_strdup(st, 16);
	r->address = dd_col_strdup(st, 17);
	r->has_location = sqlite3_column_int(st, 18);
	r->lat = sqlite3_column_double(st, 19);
	r->lon = sqlite3_column_double(st, 20);
	r->duplicate_of = sqlite3_column_int64(st, 21);
	r->reason = dd_col_strdup(st, 22);
	r->received_at = sqlite3_column_int64(st, 23);
	r->updated_at = sqlite3_column_int64(st, 24);
	r->updated_by = dd_col_strdup(st, 25);
	r->version = sqlite3_column_int64(st, 26);
	r->notify_state = dd_col_strdup(st, 27);
}

void dd_report_clear(dd_report *r)
{
	char **strs[] = {&r->category, &r->district, &r->district_name, &r->channel,
			 &r->external_id, &r->reporter_phone, &r->reporter_name, &r->org_name,
			 &r->officer_badge, &r->officer_name, &r->sender, &r->sender_name,
			 &r->text, &r->address, &r->reason, &r->updated_by, &r->notify_state};
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
		free(*strs[i]);
	memset(r, 0, sizeof *r);
}

void dd_report_list_free(dd_report **list, size_t n)
{
	for (size_t i = 0; *list && i < n; i++)
		dd_report_clear(&(*list)[i]);
	free(*list);
	*list = NULL;
}

dd_status dd_report_get(dd_db *db, int64_t id, dd_report *out, dd_err *err)
{
	static const char sql[] = REPORT_COLS "FROM reports r " REPORT_JOINS "WHERE r.id = ?";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st;
	dd_status s = dd_report_row(db, sql, id, &st, err);
	if (s)
		return s;
	report_row(st, out);
	sqlite3_reset(st);
	return DD_OK;
}

/* Turns what a person typed into an FTS5 query: every word must match, as a
 * prefix, and nothing typed is taken as FTS syntax. */
static char *fts_query(const char *typed)
{
	dd_buf b = {0};
	const char *p = typed;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		const char *w = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (b.len)
			dd_buf_addc(&b, ' ');
		dd_buf_addc(&b, '"');
		for (const char *q = w; q < p; q++) {
			/* ё and Ё are indexed as е and Е (see report_search_doc) */
			if (q + 1 < p && (unsigned char)q[0] == 0xD1 && (unsigned char)q[1] == 0x91) {
				dd_buf_adds(&b, "е");
				q++;
				continue;
			}
			if (q + 1 < p && (unsigned char)q[0] == 0xD0 && (unsigned char)q[1] == 0x81) {
				dd_buf_adds(&b, "Е");
				q++;
				continue;
			}
			if (*q == '"')
				dd_buf_addc(&b, '"');
			dd_buf_addc(&b, *q);
		}
		dd_buf_adds(&b, "\"*");
	}
	return dd_buf_take(&b);
}

/*
 * Pages are built from fixed fragments, one shape per combination of
 * filters, so that each shape gets the plan that uses its index; values are
 * always bound. Statements are prepared per call: a page is read once per
 * screen, and the text differs by shape.
 */
dd_status dd_report_page(dd_db *db, const dd_report_filter *f, int64_t offset, int limit,
			 dd_report **out, size_t *n, dd_err *err)
{
	*out = NULL;
	*n = 0;
	int64_t district = 0;
	dd_status s;
	if (f->district && !f->unrouted && (s = dd_district_id(db, f->district, &district, err)))
		return s;
	if (f->category && !dd_category_exists(db, f->category))
		return dd_fail(err, DD_EINVAL, _("unknown category '%s'"), f->category);
	/* compiled first: a pattern naming an unknown district fails here */
	dd_buf where = {0};
	struct dd_pattern_binds binds = {0};
	if (f->pattern && (s = dd_pattern_where(db, f->pattern, f->tagged, f->ntagged, &where,
						&binds, err))) {
		dd_buf_free(&where);
		dd_pattern_binds_free(&binds);
		return s;
	}

	/*
	 * Two steps in one statement: the inner query finds the page's ids
	 * from the indexes alone, the outer one builds the rows (joins, the
	 * notification state) for just those, so a filter that matches many
	 * reports never builds them all before sorting.
	 */
	dd_buf sql = {0};
	char *q = NULL;
	const char *order;
	switch (f->order) {
	case DD_ORDER_NEWEST: order = " ORDER BY r.received_at DESC, r.id DESC"; break;
	case DD_ORDER_OLDEST: order = " ORDER BY r.received_at, r.id"; break;
	default: order = " ORDER BY r.priority, r.received_at, r.id";
	}
	dd_buf_adds(&sql, REPORT_COLS "FROM (SELECT r.id AS pid");
	/* A search walks the full-text index newest first and stops at the
	 * page: sorting every match by another key would read them all. */
	if (f->search && *f->search) {
		q = fts_query(f->search);
		order = " ORDER BY r.id DESC";
		dd_buf_adds(&sql, " FROM reports_fts JOIN reports r ON r.id = reports_fts.rowid "
			    "WHERE reports_fts MATCH :q");
	} else {
		dd_buf_adds(&sql, " FROM reports r WHERE 1");
	}
	if (f->unrouted)
		dd_buf_adds(&sql, " AND r.district_id IS NULL");
	else if (district)
		dd_buf_adds(&sql, " AND r.district_id = :district");
	if (f->open_only)
		dd_buf_adds(&sql, " AND r.is_open = 1");
	unsigned mask = f->status_mask & ((1u << DD_RS_COUNT) - 1);
	if (mask) {
		dd_buf_adds(&sql, " AND r.status IN (");
		for (int i = 0, first = 1; i < DD_RS_COUNT; i++) {
			if (!(mask & (1u << i)))
				continue;
			dd_buf_printf(&sql, "%s'%s'", first ? "" : ",", dd_rs_code((dd_report_status)i));
			first = 0;
		}
		dd_buf_addc(&sql, ')');
	}
	if (f->category)
		dd_buf_adds(&sql, " AND r.category = :category");
	if (f->pattern)
		dd_buf_printf(&sql, " AND (%s)", where.data);
	if (q)
		dd_buf_adds(&sql, " ORDER BY reports_fts.rowid DESC");
	else
		dd_buf_adds(&sql, order);
	dd_buf_adds(&sql, " LIMIT :limit OFFSET :offset) page JOIN reports r ON r.id = page.pid "
		    REPORT_JOINS);
	dd_buf_adds(&sql, order);

	sqlite3_stmt *st = dd_stmt_built(db, sql.data, err);
	if (!st) {
		s = err ? err->status : DD_EDB;
		goto done;
	}
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":district"), district);
	if (f->category)
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":category"), f->category, -1,
				  SQLITE_STATIC);
	if (q)
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":q"), q, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":limit"), limit);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":offset"), offset);
	dd_pattern_bind(st, &binds);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		report_row(st, dd_vec_push(out, n, &cap, sizeof **out));
	s = rc == SQLITE_DONE ? DD_OK : dd_db_error(db, err, _("listing reports"));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st); /* the values bound are freed below */
	if (s)
		dd_report_list_free(out, *n), *n = 0;
done:
	free(q);
	dd_buf_free(&sql);
	dd_buf_free(&where);
	dd_pattern_binds_free(&binds);
	return s;
}

dd_status dd_report_counts(dd_db *db, dd_report_count **out, size_t *n, dd_err *err)
{
	static const char sql[] =
		"SELECT c.district_id, d.code, c.status, c.n FROM report_counts c "
		"LEFT JOIN districts d ON d.id = c.district_id WHERE c.n > 0 "
		"ORDER BY c.district_id";
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	int64_t last = -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t did = sqlite3_column_int64(st, 0);
		if (did != last) {
			dd_report_count *c = dd_vec_push(out, n, &cap, sizeof **out);
			c->district = did ? dd_col_strdup(st, 1) : NULL;
			last = did;
		}
		int stt = dd_rs_parse((const char *)sqlite3_column_text(st, 2));
		if (stt >= 0)
			(*out)[*n - 1].n[stt] = sqlite3_column_int64(st, 3);
	}
	dd_status s = rc == SQLITE_DONE ? DD_OK : dd_db_error(db, err, _("counting reports"));
	sqlite3_reset(st);
	return s;
}

void dd_report_counts_free(dd_report_count **list, size_t n)
{
	for (size_t i = 0; *list && i < n; i++)
		free((*list)[i].district);
	free(*list);
	*list = NULL;
}

dd_status dd_report_events(dd_db *db, int64_t id, dd_event **out, size_t *n, dd_err *err)
{
	static const char sql[] =
		"SELECT id, at, actor, action, before, after FROM events WHERE report_id = ? ORDER BY id";
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		dd_event *e = dd_vec_push(out, n, &cap, sizeof **out);
		e->id = sqlite3_column_int64(st, 0);
		e->at = sqlite3_column_int64(st, 1);
		e->actor = dd_col_strdup(st, 2);
		e->action = dd_col_strdup(st, 3);
		e->before = dd_col_strdup(st, 4);
		e->after = dd_col_strdup(st, 5);
	}
	sqlite3_reset(st);
	return DD_OK;
}

void dd_event_list_free(dd_event **list, size_t n)
{
	for (size_t i = 0; *list && i < n; i++) {
		free((*list)[i].actor);
		free((*list)[i].action);
		free((*list)[i].before);
		free((*list)[i].after);
	}
	free(*list);
	*list = NULL;
}

dd_status dd_report_notes(dd_db *db, int64_t id, dd_note **out, size_t *n, dd_err *err)
{
	static const char sql[] =
		"SELECT id, created_at, author, text FROM notes WHERE report_id = ? ORDER BY id";
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		dd_note *e = dd_vec_push(out, n, &cap, sizeof **out);
		e->id = sqlite3_column_int64(st, 0);
		e->at = sqlite3_column_int64(st, 1);
		e->author = dd_col_strdup(st, 2);
		e->text = dd_col_strdup(st, 3);
	}
	sqlite3_reset(st);
	return DD_OK;
}

void dd_note_list_free(dd_note **list, size_t n)
{
	for (size_t i = 0; *list && i < n; i++) {
		free((*list)[i].author);
		free((*list)[i].text);
	}
	free(*list);
	*list = NULL;
}

dd_status dd_report_attachments(dd_db *db, int64_t id, dd_attachment **out, size_t *n,
				dd_err *err)
{
	static const char sql[] =
		"SELECT id, coalesce(size, 0), kind, mime, path, state, caption FROM attachments "
		"WHERE report_id = ? ORDER BY id";
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		dd_attachment *a = dd_vec_push(out, n, &cap, sizeof **out);
		a->id = sqlite3_column_int64(st, 0);
		a->size = sqlite3_column_int64(st, 1);
		a->kind = dd_col_strdup(st, 2);
		a->mime = dd_col_strdup(st, 3);
		a->path = dd_col_strdup(st, 4);
		a->state = dd_col_strdup(st, 5);
		a->caption = dd_col_strdup(st, 6);
	}
	sqlite3_reset(st);
	return DD_OK;
}

void dd_attachment_list_free(dd_attachment **list, size_t n)
{
	for (size_t i = 0; *list && i < n; i++) {
		dd_attachment *a = &(*list)[i];
		free(a->kind);
		free(a->mime);
		free(a->path);
		free(a->state);
		free(a->caption);
	}
	free(*list);
	*list = NULL;
}
