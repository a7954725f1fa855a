/* The gateway's heartbeat and channel states (gateway_state table). */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "dutydesk/clock.h"
#include "dutydesk/gateway_state.h"

static dd_status put(dd_db *db, const char *channel, const char *state, const char *detail,
		     dd_err *err)
{
	static const char sql[] =
		"INSERT INTO gateway_state(channel, state, detail, since, heartbeat_at) "
		"VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT(channel) DO UPDATE SET "
		"since = CASE WHEN state = ?2 THEN since ELSE ?4 END, state = ?2, detail = ?3, "
		"heartbeat_at = ?4";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	dd_bind_text(st, 3, detail);
	sqlite3_bind_int64(st, 4, dd_now_ms());
	return dd_step_done(db, st, err, _("saving the gateway's state"));
}

dd_status dd_gateway_heartbeat(dd_db *db, dd_err *err)
{
	return put(db, "gateway", "alive", NULL, err);
}

dd_status dd_gateway_stopped(dd_db *db, dd_err *err)
{
	return put(db, "gateway", "stopped", NULL, err);
}

dd_status dd_gateway_set_state(dd_db *db, const char *channel, const char *state,
			       const char *detail, dd_err *err)
{
	static const char *const states[] = {"alive", "token_expired", "paused", "open"};
	if (!channel || (strcmp(channel, "whatsapp") && strcmp(channel, "telegram")))
		return dd_fail(err, DD_EINVAL, _("unknown channel '%s'"), channel ? channel : "");
	for (size_t i = 0; i < sizeof states / sizeof *states; i++)
		if (state && strcmp(state, states[i]) == 0)
			return put(db, channel, state, detail, err);
	return dd_fail(err, DD_EINVAL, _("unknown channel state '%s'"), state ? state : "");
}

/* "14:05" today, else "2026-11-30 14:05". */
static void when(char *buf, size_t size, int64_t ms, int64_t now)
{
	char t[40];
	dd_time_short(t, sizeof t, ms);
	if (now - ms < 20 * 3600 * INT64_C(1000) && strlen(t) > 11)
		snprintf(buf, size, "%s", t + 11);
	else
		snprintf(buf, size, "%s", t);
}

dd_status dd_gateway_status(dd_db *db, dd_gw_status *out, dd_err *err)
{
	static const char sql[] =
		"SELECT channel, state, detail, since, heartbeat_at FROM gateway_state "
		"ORDER BY channel = 'gateway' DESC, channel";
	memset(out, 0, sizeof *out);
	out->state = DD_GWS_NEVER;
	snprintf(out->text, sizeof out->text, "gateway never started");
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	int64_t now = dd_now_ms();
	char w[40];
	bool alive = false;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *ch = (const char *)sqlite3_column_text(st, 0);
		const char *state = (const char *)sqlite3_column_text(st, 1);
		const char *detail = (const char *)sqlite3_column_text(st, 2);
		int64_t since = sqlite3_column_int64(st, 3), beat = sqlite3_column_int64(st, 4);
		if (strcmp(ch, "gateway") == 0) {
			if (strcmp(state, "alive") == 0 && now - beat <= DD_GATEWAY_STALE_MS) {
				out->state = DD_GWS_ALIVE;
				alive = true;
				out->since = since;
				snprintf(out->text, sizeof out->text, "gateway alive");
			} else {
				out->state = DD_GWS_DOWN;
				out->since = beat;
				when(w, sizeof w, beat, now);
				snprintf(out->text, sizeof out->text, "gateway down since %s", w);
				break; /* a dead gateway's channel states are stale */
			}
			continue;
		}
		if (!alive || strcmp(state, "alive") == 0)
			continue;
		bool expired = strcmp(state, "token_expired") == 0;
		/* token expiry outranks a paused or open channel */
		if (out->channel[0] && !expired)
			continue;
		out->state = expired ? DD_GWS_TOKEN_EXPIRED : DD_GWS_DEGRADED;
		out->since = since;
		snprintf(out->channel, sizeof out->channel, "%s", ch);
		snprintf(out->detail, sizeof out->detail, "%s", detail ? detail : "");
		when(w, sizeof w, since, now);
		snprintf(out->text, sizeof out->text, "%s %s since %s", ch,
			 expired ? "token expired" : strcmp(state, "paused") == 0 ? "paused"
			 : "failing (circuit open)", w);
		if (expired)
			break;
	}
	dd_status s = DD_OK;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		s = dd_db_error(db, err, _("reading the gateway's state"));
	sqlite3_reset(st);
	return s;
}
