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
	sqlite3_stmt *st;
	dd_status s = dd_report_row(db, sql, report, &st, err);
	if (s)
		return s;
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
	s = DD_OK;
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

/* ---- the sender's side ---- */

static void job_free_fields(dd_outbox_job *j)
{
	free(j->recipient);
	free(j->channel);
	free(j->address);
	free(j->kind);
	free(j->body);
}

void dd_outbox_job_list_free(dd_outbox_job **list, size_t n)
{
	for (size_t i = 0; *list && i < n; i++)
		job_free_fields(&(*list)[i]);
	free(*list);
	*list = NULL;
}

struct outbox_rows {
	dd_outbox_job **out;
	size_t *n, cap;
};

static int64_t outbox_row(sqlite3_stmt *st, void *arg)
{
	struct outbox_rows *o = arg;
	dd_outbox_job *j = dd_vec_push(o->out, o->n, &o->cap, sizeof **o->out);
	j->id = sqlite3_column_int64(st, 0);
	j->report = sqlite3_column_int64(st, 1);
	j->created_at = sqlite3_column_int64(st, 2);
	j->attempts = sqlite3_column_int(st, 3) + 1;
	j->template = sqlite3_column_int(st, 4) != 0;
	j->recipient = dd_col_strdup(st, 5);
	j->channel = dd_col_strdup(st, 6);
	j->address = dd_col_strdup(st, 7);
	j->kind = dd_col_strdup(st, 8);
	j->body = dd_col_strdup(st, 9);
	return j->id;
}

dd_status dd_outbox_claim_due(dd_db *db, const char *channel, int64_t now, size_t limit,
			      dd_outbox_job **out, size_t *n, dd_err *err)
{
	static const char pick[] =
		"SELECT id, report_id, created_at, attempts, template, recipient, channel, address, "
		"  kind, body FROM outbox WHERE state = 'queued' AND channel = ?1 AND next_at <= ?2 "
		"ORDER BY next_at, id LIMIT ?3";
	static const char mark[] =
		"UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?2 "
		"WHERE id = ?1 AND state = 'queued'";
	static const char any[] =
		"SELECT 1 FROM outbox WHERE state = 'queued' AND channel = ?1 AND next_at <= ?2 "
		"  AND ?3 > 0 LIMIT 1";
	*out = NULL;
	*n = 0;
	struct outbox_rows o = {out, n, 0};
	dd_status s = dd_claim_due(db, any, pick, mark, channel, now, limit, now, outbox_row, &o,
				   _("reading due notifications"), _("claiming a notification"), err);
	if (s) {
		dd_outbox_job_list_free(out, *n);
		*n = 0;
	}
	return s;
}

/* Runs the literal sql (a statement changing rows) with int64 parameters
 * ?1.. from args (n of them); *changed gets sqlite3_changes. */
static dd_status run_update(dd_db *db, const char *sql, const int64_t *args, int nargs,
			    int *changed, const char *what, dd_err *err)
{
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	for (int i = 0; i < nargs; i++)
		sqlite3_bind_int64(st, i + 1, args[i]);
	dd_status s = dd_step_done(db, st, err, what);
	if (s == DD_OK && changed)
		*changed = sqlite3_changes(db->h);
	return s;
}

dd_status dd_outbox_defer(dd_db *db, int64_t id, int64_t next_at, dd_err *err)
{
	static const char sql[] =
		"UPDATE outbox SET state = 'queued', next_at = ?2, updated_at = ?3, "
		"  attempts = max(attempts - 1, 0) WHERE id = ?1 AND state = 'sending'";
	int64_t a[] = {id, next_at, dd_now_ms()};
	return run_update(db, sql, a, 3, NULL, _("putting a notification back in the queue"), err);
}

dd_status dd_outbox_mark_sent(dd_db *db, int64_t id, const char *external_id, bool template,
			      int64_t now, dd_err *err)
{
	static const char sql[] =
		"UPDATE outbox SET state = 'sent', external_id = ?2, template = ?3, sent_at = ?4, "
		"  updated_at = ?4, error = NULL, error_code = NULL "
		"WHERE id = ?1 AND state = 'sending'";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	dd_bind_text(st, 2, external_id);
	sqlite3_bind_int(st, 3, template);
	sqlite3_bind_int64(st, 4, now);
	return dd_step_done(db, st, err, _("recording a sent notification"));
}

dd_status dd_outbox_mark_retry(dd_db *db, int64_t id, int64_t next_at, int code,
			       const char *error, bool template, dd_err *err)
{
	static const char sql[] =
		"UPDATE outbox SET state = 'queued', next_at = ?2, error_code = ?3, error = ?4, "
		"  template = max(template, ?5), updated_at = ?6 "
		"WHERE id = ?1 AND state = 'sending'";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, next_at);
	if (code)
		sqlite3_bind_int(st, 3, code);
	else
		sqlite3_bind_null(st, 3);
	dd_bind_text(st, 4, error);
	sqlite3_bind_int(st, 5, template);
	sqlite3_bind_int64(st, 6, dd_now_ms());
	return dd_step_done(db, st, err, _("scheduling a notification's retry"));
}

dd_status dd_outbox_mark_failed(dd_db *db, int64_t id, int code, const char *error,
				dd_err *err)
{
	static const char sql[] =
		"UPDATE outbox SET state = 'failed', error_code = ?2, error = ?3, updated_at = ?4 "
		"WHERE id = ?1 AND state IN ('queued', 'sending')";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	if (code)
		sqlite3_bind_int(st, 2, code);
	else
		sqlite3_bind_null(st, 2);
	dd_bind_text(st, 3, error);
	sqlite3_bind_int64(st, 4, dd_now_ms());
	return dd_step_done(db, st, err, _("recording a failed notification"));
}

dd_status dd_outbox_requeue_sending(dd_db *db, int *n, dd_err *err)
{
	static const char sql[] =
		"UPDATE outbox SET state = 'queued', next_at = ?1, updated_at = ?1 "
		"WHERE state = 'sending'";
	int64_t a[] = {dd_now_ms()};
	return run_update(db, sql, a, 1, n, _("re-queueing interrupted notifications"), err);
}

dd_status dd_outbox_give_up(dd_db *db, int64_t now, int64_t max_age_ms, int *n, dd_err *err)
{
	static const char sql[] =
		"UPDATE outbox SET state = 'failed', updated_at = ?1, "
		"  error = CASE WHEN error IS NULL THEN printf(?3, attempts, (?1 - created_at) / 1000) "
		"    ELSE printf(?4, attempts, (?1 - created_at) / 1000, error) END "
		"WHERE state = 'queued' AND created_at < ?2";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, now - max_age_ms);
	sqlite3_bind_text(st, 3, _("gave up after %d attempts in %d s"), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, _("gave up after %d attempts in %d s; last error: %s"), -1,
			  SQLITE_TRANSIENT);
	dd_status s = dd_step_done(db, st, err, _("giving up old notifications"));
	if (s == DD_OK && n)
		*n = sqlite3_changes(db->h);
	return s;
}

dd_status dd_outbox_cancel_for_event(dd_db *db, int64_t event_id, int *n, dd_err *err)
{
	static const char sql[] =
		"UPDATE outbox SET state = 'cancelled', updated_at = ?2 "
		"WHERE event_id = ?1 AND state = 'queued'";
	int64_t a[] = {event_id, dd_now_ms()};
	return run_update(db, sql, a, 2, n, _("cancelling notifications"), err);
}

dd_status dd_outbox_count(dd_db *db, dd_outbox_counts *out, dd_err *err)
{
	static const char sql[] =
		"SELECT state, count(*), min(created_at) FROM outbox GROUP BY state";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(st, 0);
		int64_t c = sqlite3_column_int64(st, 1);
		if (!state)
			continue;
		if (strcmp(state, "queued") == 0) {
			out->queued = c;
			out->oldest_queued_at = sqlite3_column_int64(st, 2);
		} else if (strcmp(state, "sending") == 0) {
			out->sending = c;
		} else if (strcmp(state, "sent") == 0) {
			out->sent = c;
		} else if (strcmp(state, "delivered") == 0) {
			out->delivered = c;
		} else if (strcmp(state, "read") == 0) {
			out->read = c;
		} else if (strcmp(state, "failed") == 0) {
			out->failed = c;
		} else if (strcmp(state, "cancelled") == 0) {
			out->cancelled = c;
		}
	}
	dd_status s = rc == SQLITE_DONE ? DD_OK : dd_db_error(db, err, _("counting notifications"));
	sqlite3_reset(st);
	return s;
}

bool dd_contact_window_open(dd_db *db, const char *channel, const char *address, int64_t now)
{
	static const char sql[] =
		"SELECT max(last_inbound_at) FROM contacts WHERE channel = ?1 AND address IN (?2, ?3)";
	char digits[64];
	size_t k = 0;
	for (const char *p = address; *p && k + 1 < sizeof digits; p++)
		if (*p >= '0' && *p <= '9')
			digits[k++] = *p;
	digits[k] = '\0';
	sqlite3_stmt *st = dd_stmt(db, sql, NULL);
	if (!st)
		return false;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, digits, -1, SQLITE_STATIC);
	bool open = false;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		open = sqlite3_column_int64(st, 0) > now - DD_CONTACT_WINDOW_MS;
	sqlite3_reset(st);
	return open;
}
