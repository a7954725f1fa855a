/* The database: opening, migrations, refusals, settings, locking. */
#include <config.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"
#include "../../src/core/db_internal.h"
#include "dutydesk/report.h"

/* Runs sql on a raw connection, failing the test on error. */
static void raw_exec(sqlite3 *h, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

static int raw_int(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *h = NULL;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		fail_msg("opening %s: %s", path, h ? sqlite3_errmsg(h) : "?");
	return h;
}

/* A database file as the first release wrote it (schema version 1), with
 * one district, a KSK with its reporter, and one report. */
static char *old_db_v1(void)
{
	char *path = dd_test_db_path();
	sqlite3 *h = raw_open(path);
	raw_exec(h, dd_migrations[0]);
	raw_exec(h, "PRAGMA user_version = 1");
	raw_exec(h,
		 "INSERT INTO districts(code, name) VALUES ('D1', 'Центр');"
		 "INSERT INTO organisations(kind, name, district_id) VALUES ('ksk', 'КСК Жулдыз', 1);"
		 "INSERT INTO reporters(name, phone, org_id, verified, created_at)"
		 "  VALUES ('Петров Пётр', '77010000001', 1, 1, 1000);"
		 "INSERT INTO reports(category, district_id, reporter_id, org_id, channel, text,"
		 "  received_at, updated_at)"
		 "  VALUES ('smoking', 1, 1, 1, 'desk', 'В подъезде курят', 1000, 1000);");
	sqlite3_close(h);
	return path;
}

static void test_fresh_db_is_at_current_version(void **state)
{
	dd_db *db = dd_test_db();
	assert_true(dd_db_current_version() >= 2);
	assert_int_equal(dd_db_current_version(), dd_nmigrations);
	assert_int_equal(dd_db_version(db), dd_db_current_version());
	/* Both migrations ran: the core tables and the search/count tables. */
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN "
					 "('reports', 'events', 'outbox', 'reports_fts', "
					 "'report_counts')"),
			 5);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM categories WHERE builtin"), 7);
	dd_db_close(&db);
	assert_null(db);
}

static void test_old_db_is_migrated_and_keeps_its_reports(void **state)
{
	char *path = old_db_v1();
	dd_db *db = NULL;
	dd_err err = {0};
	assert_int_equal(dd_db_open(&db, path, 0, &err), DD_OK);
	assert_int_equal(dd_db_version(db), dd_db_current_version());

	dd_report r;
	assert_int_equal(dd_report_get(db, 1, &r, &err), DD_OK);
	assert_string_equal(r.text, "В подъезде курят");
	assert_string_equal(r.district, "D1");
	assert_string_equal(r.category, "smoking");
	assert_int_equal(r.status, DD_RS_NEW);
	dd_report_clear(&r);

	/* Migration 2 indexed the old report: by its text and by who sent it. */
	const char *queries[] = {"курят", "Жулдыз", "Петров"};
	for (size_t i = 0; i < 3; i++) {
		dd_report_filter f = {.search = queries[i]};
		dd_report *list;
		size_t n;
		assert_int_equal(dd_report_page(db, &f, 0, 10, &list, &n, &err), DD_OK);
		assert_int_equal(n, 1);
		assert_int_equal(list[0].id, 1);
		dd_report_list_free(&list, n);
	}

	/* ... and counted it. */
	dd_report_count *c;
	size_t nc;
	assert_int_equal(dd_report_counts(db, &c, &nc, &err), DD_OK);
	assert_int_equal(nc, 1);
	assert_string_equal(c[0].district, "D1");
	assert_int_equal(c[0].n[DD_RS_NEW], 1);
	for (int s = DD_RS_ASSIGNED; s < DD_RS_COUNT; s++)
		assert_int_equal(c[0].n[s], 0);
	dd_report_counts_free(&c, nc);
	dd_db_close(&db);

	/* Opening again does not migrate twice. */
	assert_int_equal(dd_db_open(&db, path, 0, &err), DD_OK);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports_fts"), 1);
	assert_int_equal(dd_test_int(db, "SELECT sum(n) FROM report_counts"), 1);
	dd_db_close(&db);
	free(path);
}

static void test_failed_migration_leaves_old_db_untouched(void **state)
{
	char *path = old_db_v1();
	sqlite3 *h = raw_open(path);
	/* Migration 2 creates report_counts: make it collide half way. */
	raw_exec(h, "CREATE TABLE report_counts(x)");
	sqlite3_close(h);

	dd_db *db = NULL;
	dd_err err = {0};
	assert_int_equal(dd_db_open(&db, path, 0, &err), DD_EDB);
	assert_null(db);
	assert_non_null(strstr(err.msg, "schema version 2"));
	assert_non_null(strstr(err.msg, "report_counts"));
	assert_non_null(strstr(err.msg, path));

	h = raw_open(path);
	assert_int_equal(raw_int(h, "PRAGMA user_version"), 1);
	assert_int_equal(raw_int(h, "SELECT count(*) FROM sqlite_schema WHERE name = 'reports_fts'"),
			 0);
	assert_int_equal(raw_int(h, "SELECT count(*) FROM reports"), 1);
	sqlite3_close(h);
	free(path);
}

static void test_old_db_opened_readonly_is_refused_not_migrated(void **state)
{
	char *path = old_db_v1();
	dd_db *db = NULL;
	dd_err err = {0};
	assert_int_equal(dd_db_open(&db, path, DD_DB_READONLY, &err), DD_EDB);
	assert_null(db);
	assert_non_null(strstr(err.msg, "schema version 1"));
	assert_non_null(strstr(err.msg, "read-only"));
	assert_non_null(strstr(err.msg, "dutydesk init"));
	sqlite3 *h = raw_open(path);
	assert_int_equal(raw_int(h, "PRAGMA user_version"), 1);
	sqlite3_close(h);
	free(path);
}

static void test_migrate_past_current_is_a_no_op(void **state)
{
	dd_db *db = dd_test_db();
	dd_err err = {0};
	assert_int_equal(dd_db_migrate(db, dd_db_current_version() + 3, &err), DD_OK);
	assert_int_equal(dd_db_version(db), dd_db_current_version());
	dd_db_close(&db);
}

static void test_newer_db_is_refused_naming_both_versions(void **state)
{
	char *path = dd_test_db_path();
	dd_db *db = NULL;
	dd_err err = {0};
	assert_int_equal(dd_db_open(&db, path, DD_DB_CREATE, &err), DD_OK);
	int newer = dd_db_current_version() + 5;
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", newer);
	dd_test_exec(db, sql);
	dd_db_close(&db);

	assert_int_equal(dd_db_open(&db, path, 0, &err), DD_ENEWER);
	assert_null(db);
	assert_int_equal(err.status, DD_ENEWER);
	char want[64];
	snprintf(want, sizeof want, "schema version %d", newer);
	assert_non_null(strstr(err.msg, want));
	snprintf(want, sizeof want, "up to version %d", dd_db_current_version());
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, "upgrade dutydesk"));

	/* Read-only is refused the same way, and the file keeps its version. */
	memset(&err, 0, sizeof err);
	assert_int_equal(dd_db_open(&db, path, DD_DB_READONLY, &err), DD_ENEWER);
	sqlite3 *h = raw_open(path);
	assert_int_equal(raw_int(h, "PRAGMA user_version"), newer);
	sqlite3_close(h);
	free(path);
}

static void test_missing_file_without_create_says_dutydesk_init(void **state)
{
	char *dir = dd_test_tmpdir();
	char *path = dd_xasprintf("%s/none.db", dir);
	dd_db *db = NULL;
	dd_err err = {0};
	assert_int_equal(dd_db_open(&db, path, 0, &err), DD_ENOTFOUND);
	assert_null(db);
	assert_non_null(strstr(err.msg, "dutydesk init"));
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(access(path, F_OK), -1); /* nothing created */
	free(path);
	free(dir);
}

static void test_create_makes_missing_folders(void **state)
{
	char *dir = dd_test_tmpdir();
	char *path = dd_xasprintf("%s/a/b/dd.db", dir);
	dd_db *db = NULL;
	dd_err err = {0};
	assert_int_equal(dd_db_open(&db, path, DD_DB_CREATE, &err), DD_OK);
	assert_string_equal(dd_db_path(db), path);
	assert_int_equal(dd_db_version(db), dd_db_current_version());
	dd_db_close(&db);
	assert_int_equal(access(path, F_OK), 0);
	free(path);
	free(dir);
}

static void test_folder_is_not_a_database(void **state)
{
	char *dir = dd_test_tmpdir();
	dd_db *db = NULL;
	dd_err err = {0};
	assert_int_equal(dd_db_open(&db, dir, DD_DB_CREATE, &err), DD_EIO);
	assert_null(db);
	assert_non_null(strstr(err.msg, "not a regular file"));
	free(dir);
}

static void test_wal_and_foreign_keys_are_on(void **state)
{
	dd_db *db = dd_test_db();
	char *mode = dd_test_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_equal(dd_test_int(db, "PRAGMA foreign_keys"), 1);
	/* Enforced, not only switched on: a report in a missing district. */
	char *msg = NULL;
	int rc = sqlite3_exec(db->h,
			      "INSERT INTO reports(category, district_id, channel, received_at, "
			      "updated_at) VALUES ('other', 999, 'desk', 1, 1)",
			      NULL, NULL, &msg);
	assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
	assert_non_null(strstr(msg, "FOREIGN KEY"));
	sqlite3_free(msg);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports"), 0);
	dd_db_close(&db);
}

static void test_settings_round_trip_and_overwrite(void **state)
{
	dd_db *db = dd_test_db();
	dd_err err = {0};
	assert_null(dd_setting_get(db, "site.name"));
	assert_int_equal(dd_setting_set(db, "site.name", "Павлодар — дежурная часть", &err), DD_OK);
	char *v = dd_setting_get(db, "site.name");
	assert_string_equal(v, "Павлодар — дежурная часть");
	free(v);
	assert_int_equal(dd_setting_set(db, "site.name", "Екібастұз", &err), DD_OK);
	v = dd_setting_get(db, "site.name");
	assert_string_equal(v, "Екібастұз");
	free(v);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM settings WHERE key = 'site.name'"), 1);
	/* Other keys are separate, and the value survives reopening. */
	assert_int_equal(dd_setting_set(db, "other", "", &err), DD_OK);
	char *path = dd_xstrdup(dd_db_path(db));
	dd_db_close(&db);
	assert_int_equal(dd_db_open(&db, path, 0, &err), DD_OK);
	v = dd_setting_get(db, "site.name");
	assert_string_equal(v, "Екібастұз");
	free(v);
	v = dd_setting_get(db, "other");
	assert_string_equal(v, "");
	free(v);
	dd_db_close(&db);
	free(path);
}

static void test_garbage_file_is_not_a_database(void **state)
{
	char *path = dd_test_db_path();
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	for (int i = 0; i < 4096; i++)
		fputc((i * 37 + 11) & 0xff, f);
	fclose(f);

	dd_db *db = NULL;
	dd_err err = {0};
	assert_int_equal(dd_db_open(&db, path, 0, &err), DD_EDB);
	assert_null(db);
	assert_non_null(strstr(err.msg, "not a valid dutydesk database"));
	assert_non_null(strstr(err.msg, path));
	/* Nothing written over it. */
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 4096);
	free(path);
}

static void test_readonly_db_refuses_writes_and_still_reads(void **state)
{
	char *path = dd_test_db_path();
	dd_db *db = NULL;
	dd_err err = {0};
	assert_int_equal(dd_db_open(&db, path, DD_DB_CREATE, &err), DD_OK);
	assert_int_equal(dd_setting_set(db, "k", "v", &err), DD_OK);
	dd_db_close(&db);
	assert_int_equal(chmod(path, 0444), 0);

	/* root ignores file modes: ask for read-only instead. */
	unsigned flags = geteuid() == 0 ? DD_DB_READONLY : 0;
	assert_int_equal(dd_db_open(&db, path, flags, &err), DD_OK);
	assert_int_equal(dd_db_begin(db, &err), DD_EDB);
	assert_non_null(strstr(err.msg, "read-only"));
	assert_non_null(strstr(err.msg, path));
	char *v = dd_setting_get(db, "k");
	assert_string_equal(v, "v");
	free(v);
	/* A write outside an explicit transaction is refused too. */
	memset(&err, 0, sizeof err);
	assert_int_not_equal(dd_setting_set(db, "k", "w", &err), DD_OK);
	assert_non_null(strstr(err.msg, "read-only"));
	v = dd_setting_get(db, "k");
	assert_string_equal(v, "v");
	free(v);
	dd_db_close(&db);
	free(path);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_busy_db_times_out_saying_locked(void **state)
{
	dd_db *db = dd_test_db();
	dd_err err = {0};
	sqlite3 *other = raw_open(dd_db_path(db));
	raw_exec(other, "BEGIN IMMEDIATE");
	raw_exec(other, "INSERT INTO settings VALUES ('held', 'by other')");

	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(dd_db_begin(db, &err), DD_EBUSY);
	double waited = seconds_since(&t0);
	assert_true(waited >= 4.5); /* the busy timeout, not an instant failure */
	assert_true(waited < 30);
	assert_int_equal(err.status, DD_EBUSY);
	assert_non_null(strstr(err.msg, "locked"));
	assert_non_null(strstr(err.msg, dd_db_path(db)));

	/* Once the other writer is done, ours goes through and sees its row. */
	raw_exec(other, "COMMIT");
	assert_int_equal(dd_db_begin(db, &err), DD_OK);
	assert_int_equal(dd_setting_set(db, "mine", "1", &err), DD_OK);
	assert_int_equal(dd_db_commit(db, &err), DD_OK);
	assert_int_equal(raw_int(other, "SELECT count(*) FROM settings WHERE key IN ('held', 'mine')"),
			 2);
	sqlite3_close(other);
	dd_db_close(&db);
}

static void test_rollback_discards_the_change(void **state)
{
	dd_db *db = dd_test_db();
	dd_err err = {0};
	assert_int_equal(dd_db_begin(db, &err), DD_OK);
	assert_int_equal(dd_setting_set(db, "k", "v", &err), DD_OK);
	dd_db_rollback(db);
	assert_null(dd_setting_get(db, "k"));
	dd_db_rollback(db); /* harmless outside a transaction */
	dd_db_close(&db);
}

/* A change inside a change is a savepoint: undone alone, kept only when the
 * outer change commits. */
static void test_nested_changes_are_savepoints(void **state)
{
	dd_db *db = dd_test_db();
	dd_err err = {0};
	assert_int_equal(dd_db_begin(db, &err), DD_OK);
	assert_int_equal(dd_setting_set(db, "outer", "1", &err), DD_OK);
	assert_int_equal(dd_db_begin(db, &err), DD_OK);
	assert_int_equal(dd_setting_set(db, "undone", "1", &err), DD_OK);
	dd_db_rollback(db);
	assert_null(dd_setting_get(db, "undone"));
	assert_int_equal(dd_db_begin(db, &err), DD_OK);
	assert_int_equal(dd_setting_set(db, "kept", "1", &err), DD_OK);
	assert_int_equal(dd_db_commit(db, &err), DD_OK);

	/* nothing is visible to another connection before the outer commit */
	sqlite3 *other = raw_open(dd_db_path(db));
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(other, "SELECT count(*) FROM settings WHERE key IN "
						   "('outer','kept','undone')", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_reset(st);

	assert_int_equal(dd_db_commit(db, &err), DD_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2);
	sqlite3_finalize(st);
	sqlite3_close(other);
	char *v = dd_setting_get(db, "kept");
	assert_string_equal(v, "1");
	free(v);

	/* and an outer rollback undoes what a nested commit kept */
	assert_int_equal(dd_db_begin(db, &err), DD_OK);
	assert_int_equal(dd_db_begin(db, &err), DD_OK);
	assert_int_equal(dd_setting_set(db, "gone", "1", &err), DD_OK);
	assert_int_equal(dd_db_commit(db, &err), DD_OK);
	dd_db_rollback(db);
	assert_null(dd_setting_get(db, "gone"));
	/* and the next change is a plain one again */
	assert_int_equal(dd_db_begin(db, &err), DD_OK);
	assert_int_equal(dd_setting_set(db, "after", "1", &err), DD_OK);
	assert_int_equal(dd_db_commit(db, &err), DD_OK);
	v = dd_setting_get(db, "after");
	assert_string_equal(v, "1");
	free(v);
	dd_db_close(&db);
}

/* SQLite rolls a change back by itself after some errors (I/O, out of
 * memory): a step joining that change must fail, not write outside it. */
static void test_a_change_rolled_back_by_sqlite_is_not_joined(void **state)
{
	dd_db *db = dd_test_db();
	dd_err err = {0};
	assert_int_equal(dd_db_begin(db, &err), DD_OK);
	assert_int_equal(dd_setting_set(db, "first", "1", &err), DD_OK);
	/* what SQLite does on SQLITE_IOERR inside a change */
	assert_int_equal(sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(dd_db_begin(db, &err), DD_EDB);
	assert_non_null(strstr(err.msg, "rolled back by the database"));
	bool own = true;
	assert_int_equal(dd_db_join(db, &own, &err), DD_EDB);
	assert_false(own);
	/* the caller's rollback ends it; nothing was written */
	dd_db_rollback(db);
	assert_null(dd_setting_get(db, "first"));
	/* and a step on its own makes its own change again */
	assert_int_equal(dd_db_join(db, &own, &err), DD_OK);
	assert_true(own);
	assert_int_equal(dd_setting_set(db, "second", "1", &err), DD_OK);
	assert_int_equal(dd_db_commit(db, &err), DD_OK);
	char *v = dd_setting_get(db, "second");
	assert_string_equal(v, "1");
	free(v);
	dd_db_close(&db);
}

static void test_data_version_changes_when_another_connection_commits(void **state)
{
	dd_db *db = dd_test_db();
	int64_t v0 = dd_db_data_version(db);
	assert_int_equal(dd_db_data_version(db), v0);
	sqlite3 *other = raw_open(dd_db_path(db));
	raw_exec(other, "INSERT INTO settings VALUES ('x', 'y')");
	sqlite3_close(other);
	assert_int_not_equal(dd_db_data_version(db), v0);
	dd_db_close(&db);
}

static void test_check_finds_dangling_reference(void **state)
{
	dd_db *db = dd_test_db();
	dd_err err = {0};
	dd_buf out = {0};
	assert_int_equal(dd_db_check(db, &out, &err), DD_OK);
	assert_int_equal(out.len, 0);

	dd_test_exec(db, "PRAGMA foreign_keys = OFF");
	dd_test_exec(db, "INSERT INTO reports(category, district_id, channel, received_at, "
			 "updated_at) VALUES ('other', 42, 'desk', 1, 1)");
	dd_test_exec(db, "PRAGMA foreign_keys = ON");
	assert_int_equal(dd_db_check(db, &out, &err), DD_EDB);
	assert_non_null(out.data);
	assert_non_null(strstr(out.data, "row 1 of reports points to a missing row of districts"));
	assert_non_null(strstr(err.msg, "problems"));
	dd_buf_free(&out);
	dd_db_close(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_db_is_at_current_version),
		cmocka_unit_test(test_old_db_is_migrated_and_keeps_its_reports),
		cmocka_unit_test(test_failed_migration_leaves_old_db_untouched),
		cmocka_unit_test(test_old_db_opened_readonly_is_refused_not_migrated),
		cmocka_unit_test(test_migrate_past_current_is_a_no_op),
		cmocka_unit_test(test_newer_db_is_refused_naming_both_versions),
		cmocka_unit_test(test_missing_file_without_create_says_dutydesk_init),
		cmocka_unit_test(test_create_makes_missing_folders),
		cmocka_unit_test(test_folder_is_not_a_database),
		cmocka_unit_test(test_wal_and_foreign_keys_are_on),
		cmocka_unit_test(test_settings_round_trip_and_overwrite),
		cmocka_unit_test(test_garbage_file_is_not_a_database),
		cmocka_unit_test(test_readonly_db_refuses_writes_and_still_reads),
		cmocka_unit_test(test_busy_db_times_out_saying_locked),
		cmocka_unit_test(test_rollback_discards_the_change),
		cmocka_unit_test(test_nested_changes_are_savepoints),
		cmocka_unit_test(test_a_change_rolled_back_by_sqlite_is_not_joined),
		cmocka_unit_test(test_data_version_changes_when_another_connection_commits),
		cmocka_unit_test(test_check_finds_dangling_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
