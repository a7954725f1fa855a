#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "dutydesk/clock.h"
#include "dutydesk/outbox.h"

static dd_status insert_row(dd_db *db, int64_t report, int64_t event, const char *recipient,
			    int64_t officer, int64_t reporter, const char *channel,
			    const char *address, const char *kind, const char *body,
			    const char *failed, dd_err *err)
{
	static const char sql[] =
		"INSERT INTO outbox(report_id, event_id, recipient, officer_id, reporter_id, channel, "
		"  address, kind, body, state, error, next_at, created_at, updated_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?12)";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	dd_bind_id(st, 1, report);
	dd_bind_id(st, 2, event);
	sqlite3_bind_text(st, 3, recipient, -1, SQLITE_STATIC);
	dd_bind_id(st, 4, officer);
	dd_bind_id(st, 5, reporter);
	sqlite3_bind_text(st, 6, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, address ? address : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, body, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, failed ? "failed" : "queued", -1, SQLITE_STATIC);
	dd_bind_text(st, 11, failed);
	sqlite3_bind_int64(st, 12, dd_now_ms());
	return dd_step_done(db, st, err, _("queueing the notification"));
}

dd_status dd_outbox_to_officer(dd_db *db, int64_t report, int64_t event, int64_t officer,
			       const char *kind, const char *body, dd_err *err)
{
	static const char sql[] = "SELECT phone, telegram_id FROM officers WHERE id = ?";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, officer);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return dd_fail(err, DD_ENOTFOUND, _("no officer with id %lld"), (long long)officer);
	}
	char *phone = dd_col_strdup(st, 0);
	int64_t tg = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	char tgs[24];
	snprintf(tgs, sizeof tgs, "%lld", (long long)tg);
	dd_status s;
	if (tg)
		s = insert_row(db, report, event, "officer", officer, 0, "telegram", tgs, kind, body,
			       NULL, err);
	else if (phone && *phone)
		s = insert_row(db, report, event, "officer", officer, 0, "whatsapp", phone, kind,
			       body, NULL, err);
	else
		s = insert_row(db, report, event, "officer", officer, 0, "none", "", kind, body,
			       _("the officer has no phone number or Telegram id"), err);
	free(phone);
	return s;
}

dd_status dd_outbox_to_reporter(dd_db *db, int64_t report, int64_t event, const char *kind,
				const char *body, dd_err *err)
{
	static const char sql[] =
		"SELECT r.channel, r.reporter_id, p.phone, p.telegram_id, r.sender "
		"FROM reports r LEFT JOIN reporters p ON p.id = r.reporter_id WHERE r.id = ?";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, report);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return dd_fail(err, DD_ENOTFOUND, _("no report #%lld"), (long long)report);
	}
	char *channel = dd_col_strdup(st, 0);
	int64_t reporter = sqlite3_column_int64(st, 1);
	char *phone = dd_col_strdup(st, 2);
	int64_t tg = sqlite3_column_int64(st, 3);
	char *sender = dd_col_strdup(st, 4);
	sqlite3_reset(st);

	/* Answer on the channel the report came by; a desk report (a phone
	 * call) is answered by WhatsApp when the reporter has a phone. */
	const char *ch = NULL;
	char addr[64] = "";
	if (strcmp(channel, "telegram") == 0 && (tg || sender)) {
		ch = "telegram";
		if (tg)
			snprintf(addr, sizeof addr, "%lld", (long long)tg);
		else
			snprintf(addr, sizeof addr, "%s", sender);
	} else if (strcmp(channel, "telegram") != 0 && ((phone && *phone) || sender)) {
		ch = "whatsapp";
		snprintf(addr, sizeof addr, "%s", phone && *phone ? phone : sender);
	}
	dd_status s = DD_OK;
	if (ch)
		s = insert_row(db, report, event, "reporter", 0, reporter, ch, addr, kind, body, NULL,
			       err);
	free(channel);
	free(phone);
	free(sender);
	return s;
}

dd_status dd_outbox_for_report(dd_db *db, int64_t report, dd_notification **out, size_t *n,
			       dd_err *err)
{
	static const char sql[] =
		"SELECT x.id, x.report_id, x.created_at, x.updated_at, x.recipient, "
		"  coalesce(o.badge, p.name, p.phone, x.address), x.channel, x.address, x.kind, "
		"  x.body, x.state, x.error, x.attempts "
		"FROM outbox x LEFT JOIN officers o ON o.id = x.officer_id "
		"LEFT JOIN reporters p ON p.id = x.reporter_id WHERE x.report_id = ? ORDER BY x.id";
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, report);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		dd_notification *x = dd_vec_push(out, n, &cap, sizeof **out);
		x->id = sqlite3_column_int64(st, 0);
		x->report = sqlite3_column_int64(st, 1);
		x->created_at = sqlite3_column_int64(st, 2);
		x->updated_at = sqlite3_column_int64(st, 3);
		x->recipient = dd_col_strdup(st, 4);
		x->to = dd_col_strdup(st, 5);
		x->channel = dd_col_strdup(st, 6);
		x->address = dd_col_strdup(st, 7);
		x->kind = dd_col_strdup(st, 8);
		x->body = dd_col_strdup(st, 9);
		x->state = dd_col_strdup(st, 10);
		x->error = dd_col_strdup(st, 11);
		x->attempts = sqlite3_column_int(st, 12);
	}
	dd_status s = rc == SQLITE_DONE ? DD_OK : dd_db_error(db, err, _("reading notifications"));
	sqlite3_reset(st);
	return s;
}

void dd_notification_list_free(dd_notification **list, size_t n)
{
	for (size_t i = 0; *list && i < n; i++) {
		dd_notification *x = &(*list)[i];
		free(x->recipient);
		free(x->to);
		free(x->channel);
		free(x->address);
		free(x->kind);
		free(x->body);
		free(x->state);
		free(x->error);
	}
	free(*list);
	*list = NULL;
}
