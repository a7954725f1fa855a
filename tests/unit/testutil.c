#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "../../src/core/db_internal.h"
#include "dutydesk/registry.h"

static char *dirs[64];
static int ndirs;

static void cleanup(void)
{
	for (int i = 0; i < ndirs; i++) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dirs[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dirs[i]);
		free(dirs[i]);
	}
}

char *dd_test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = dd_xasprintf("%s/ddtest.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpl))
		fail_msg("mkdtemp %s failed", tmpl);
	if (ndirs == 0)
		atexit(cleanup);
	if (ndirs < 64)
		dirs[ndirs++] = dd_xstrdup(tmpl);
	return tmpl;
}

char *dd_test_db_path(void)
{
	char *dir = dd_test_tmpdir();
	char *p = dd_xasprintf("%s/test.db", dir);
	free(dir);
	return p;
}

dd_db *dd_test_db(void)
{
	char *p = dd_test_db_path();
	dd_db *db = NULL;
	dd_err err = {0};
	if (dd_db_open(&db, p, DD_DB_CREATE, &err))
		fail_msg("opening %s: %s", p, err.msg);
	free(p);
	return db;
}

dd_actor dd_test_actor(dd_db *db, dd_role role)
{
	char login[32];
	snprintf(login, sizeof login, "t_%s", dd_role_name(role));
	dd_actor sys = dd_actor_system();
	dd_err err = {0};
	if (role != DD_ROLE_NONE && dd_user_add(db, &sys, login, role, NULL, &err))
		fail_msg("user add: %s", err.msg);
	dd_actor a;
	if (dd_actor_for_login(db, login, &a, &err))
		fail_msg("actor: %s", err.msg);
	return a;
}

dd_actor dd_test_admin(dd_db *db)
{
	return dd_test_actor(db, DD_ROLE_ADMIN);
}

void dd_test_city(dd_db *db)
{
	dd_err err = {0};
	if (dd_db_begin(db, &err))
		fail_msg("%s", err.msg);
	dd_district_put(db, "D1", "Центр", NULL, NULL, &err);
	dd_district_put(db, "D2", "Усольский", NULL, NULL, &err);
	dd_officer b1 = {.badge = "B1", .name = "Иванов Сергей", .rank = "капитан полиции",
			 .phone = "77011110001", .telegram_id = 5001, .district = "D1",
			 .active = true};
	dd_officer b2 = {.badge = "B2", .name = "Жумабаев Ерлан", .phone = "77011110002",
			 .district = "D1", .active = true};
	dd_officer b3 = {.badge = "B3", .name = "Ахметова Айгерим", .district = "D2",
			 .active = true};
	if (dd_officer_put(db, &b1, NULL, &err) || dd_officer_put(db, &b2, NULL, &err) ||
	    dd_officer_put(db, &b3, NULL, &err))
		fail_msg("%s", err.msg);
	dd_org org = {.kind = DD_ORG_KSK, .name = "КСК Жулдыз", .address = "ул. Торайгырова, 95",
		      .district = "D1"};
	if (dd_org_put(db, &org, NULL, &err))
		fail_msg("%s", err.msg);
	dd_reporter r = {.name = "Петров Пётр", .phone = "77010000001", .org = "КСК Жулдыз",
			 .verified = true};
	if (dd_reporter_put(db, &r, -1, NULL, &err))
		fail_msg("%s", err.msg);
	if (dd_db_commit(db, &err))
		fail_msg("%s", err.msg);
}

static sqlite3_stmt *prep(dd_db *db, const char *sql, va_list ap)
{
	char *q = sqlite3_vmprintf(sql, ap);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, q, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", q, sqlite3_errmsg(db->h));
	sqlite3_free(q);
	return st;
}

int64_t dd_test_int(dd_db *db, const char *sql, ...)
{
	va_list ap;
	va_start(ap, sql);
	sqlite3_stmt *st = prep(db, sql, ap);
	va_end(ap);
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

char *dd_test_text(dd_db *db, const char *sql, ...)
{
	va_list ap;
	va_start(ap, sql);
	sqlite3_stmt *st = prep(db, sql, ap);
	va_end(ap);
	char *v = NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = dd_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

void dd_test_exec(dd_db *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fail_msg("%s: %s", sql, msg);
	}
}
