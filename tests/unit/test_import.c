#include <config.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "dutydesk/common.h"
#include "dutydesk/import.h"
#include "dutydesk/registry.h"
#include "dutydesk/user.h"
#include "testutil.h"

/* --- local helpers ------------------------------------------------------- */

/* The sample files shipped in tests/data (also used by the CLI tests). */
static char *sample(const char *name)
{
	const char *src = getenv("SRCDIR");
	return dd_xasprintf("%s/tests/data/%s", src && *src ? src : ".", name);
}

/* One scratch folder for the files the tests write. */
static char *scratch;

/* Writes text to the file name in the scratch folder; returns its path. */
static char *write_file(const char *name, const char *text)
{
	if (!scratch)
		scratch = dd_test_tmpdir();
	char *path = dd_xasprintf("%s/%s", scratch, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	return path;
}

/* One value from the database file, read over a connection of our own so
 * that what we see is what was committed. */
static long long sql_int(dd_db *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_open_v2(dd_db_path(db), &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* A text value (a new string, "" when there is no row or it is NULL). */
static char *sql_text(dd_db *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	char *v = NULL;

	assert_int_equal(sqlite3_open_v2(dd_db_path(db), &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = dd_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v ? v : dd_xstrdup("");
}

static void expect_sql_text(dd_db *db, const char *sql, const char *want)
{
	char *got = sql_text(db, sql);
	assert_string_equal(got, want);
	free(got);
}

struct result {
	dd_status status;
	size_t rows;
	dd_buf problems;
	dd_err err;
};

static void run(dd_db *db, const dd_actor *a, dd_import_kind kind, const char *path,
		struct result *r)
{
	memset(r, 0, sizeof *r);
	r->rows = 12345;
	r->status = dd_import_csv(db, a, kind, path, &r->rows, &r->problems, &r->err);
}

/* Imports a sample that must go in whole, with n rows. */
static void import_ok(dd_db *db, dd_import_kind kind, const char *name, size_t n)
{
	dd_actor admin = dd_test_admin(db);
	char *path = sample(name);
	struct result r;

	run(db, &admin, kind, path, &r);
	if (r.status != DD_OK)
		fail_msg("%s: %s\n%s", name, r.err.msg, r.problems.data ? r.problems.data : "");
	assert_int_equal(r.rows, n);
	assert_int_equal(r.problems.len, 0);
	dd_buf_free(&r.problems);
	free(path);
}

/* Appends lines ("LINE: message", joined by '\n'), each with "PATH:" in
 * front and '\n' after, as the problems list has them. */
static void with_path(dd_buf *b, const char *path, const char *lines)
{
	for (const char *p = lines; *p;) {
		size_t len = strcspn(p, "\n");
		dd_buf_printf(b, "%s:%.*s\n", path, (int)len, p);
		p += len;
		if (*p)
			p++;
	}
}

/* Imports text as a file named name, expecting it to be refused with
 * exactly the problems want (each "LINE: message", joined by '\n'; the
 * file's path is put in front of each) and nothing else. */
static void import_bad(dd_db *db, dd_import_kind kind, const char *name, const char *text,
		       size_t nproblems, const char *want)
{
	dd_actor admin = dd_test_admin(db);
	char *path = write_file(name, text);
	struct result r;
	dd_buf expect = {0};
	char *msg;

	with_path(&expect, path, want);
	run(db, &admin, kind, path, &r);
	assert_int_equal(r.status, DD_EINVAL);
	assert_int_equal(r.err.status, DD_EINVAL);
	assert_int_equal(r.rows, 0);
	assert_string_equal(r.problems.data ? r.problems.data : "", expect.data);
	if (nproblems == 1)
		msg = dd_xasprintf("%s: 1 problem; nothing was imported", path);
	else
		msg = dd_xasprintf("%s: %zu problems; nothing was imported", path, nproblems);
	assert_string_equal(r.err.msg, msg);
	free(msg);
	dd_buf_free(&expect);
	dd_buf_free(&r.problems);
	free(path);
}

static dd_db *db_with_districts(void)
{
	dd_db *db = dd_test_db();
	import_ok(db, DD_IMPORT_DISTRICTS, "districts.csv", 6);
	return db;
}

static dd_db *db_with_officers(void)
{
	dd_db *db = db_with_districts();
	import_ok(db, DD_IMPORT_OFFICERS, "officers.csv", 10);
	return db;
}

static const char officer_header[] =
	"badge,name,rank,phone,telegram_id,district,supervisor,active\n";

/* --- kinds --------------------------------------------------------------- */

static void test_kinds(void **state)
{
	(void)state;
	assert_int_equal(dd_import_kind_parse("districts"), DD_IMPORT_DISTRICTS);
	assert_int_equal(dd_import_kind_parse("stolen"), DD_IMPORT_STOLEN);
	assert_int_equal(dd_import_kind_parse("Officers"), DD_IMPORT_OFFICERS);
	assert_int_equal(dd_import_kind_parse("cars"), -1);
	assert_int_equal(dd_import_kind_parse(NULL), -1);
	assert_string_equal(dd_import_kind_name(DD_IMPORT_REPORTERS), "reporters");
	assert_string_equal(dd_import_kind_columns(DD_IMPORT_DISTRICTS), "code,name[,supervisor]");
	assert_string_equal(dd_import_kind_columns(DD_IMPORT_SHIFTS), "badge,starts,ends");
	assert_string_equal(dd_import_kind_columns(DD_IMPORT_USERS), "login,role[,name]");
	assert_string_equal(dd_import_kind_columns(DD_IMPORT_OFFICERS),
			    "badge,name[,rank][,phone][,telegram_id][,district][,supervisor][,active]");
	for (int k = 0; k < DD_IMPORT_COUNT; k++)
		assert_int_equal(dd_import_kind_parse(dd_import_kind_name((dd_import_kind)k)), k);
}

/* --- the samples, kind by kind ------------------------------------------- */

static void test_districts(void **state)
{
	(void)state;
	dd_db *db = db_with_districts();
	dd_district *d;
	size_t n;
	dd_err err = {0};

	assert_int_equal(dd_district_list(db, &d, &n, &err), DD_OK);
	assert_int_equal(n, 6);
	assert_string_equal(d[0].code, "PVL-01");
	assert_string_equal(d[0].name, "Центральный");
	assert_null(d[0].supervisor_badge);
	assert_string_equal(d[4].name, "Зелёная Роща");
	dd_district_list_free(&d, n);
	dd_db_close(&db);
}

static void test_officers(void **state)
{
	(void)state;
	dd_db *db = db_with_officers();
	dd_officer o;
	dd_err err = {0};

	assert_int_equal(sql_int(db, "SELECT count(*) FROM officers"), 10);
	assert_int_equal(dd_officer_find(db, "1101", &o, &err), DD_OK);
	assert_string_equal(o.name, "Касымов Нурлан Болатович");
	assert_string_equal(o.rank, "капитан полиции");
	/* "8 (701) 555-11-01": trunk prefix 8 becomes the country code 7 */
	assert_string_equal(o.phone, "77015551101");
	assert_int_equal(o.telegram_id, 512000101);
	assert_string_equal(o.district, "PVL-01");
	assert_false(o.supervisor);
	assert_true(o.active);
	dd_officer_clear(&o);

	assert_int_equal(dd_officer_find(db, "1001", &o, &err), DD_OK);
	assert_string_equal(o.phone, "77015551001"); /* "+7 701 555 10 01" */
	assert_true(o.supervisor);                    /* "да" */
	dd_officer_clear(&o);

	assert_int_equal(dd_officer_find(db, "1102", &o, &err), DD_OK);
	assert_int_equal(o.telegram_id, 0);
	dd_officer_clear(&o);

	assert_int_equal(dd_officer_find(db, "1601", &o, &err), DD_OK);
	assert_false(o.active); /* "нет" */
	dd_officer_clear(&o);

	/* now the supervisors can be named */
	import_ok(db, DD_IMPORT_DISTRICTS, "districts_supervisors.csv", 6);
	expect_sql_text(db,
			"SELECT o.badge FROM districts d JOIN officers o ON o.id = d.supervisor_id "
			"WHERE d.code = 'PVL-03'",
			"1301");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM districts WHERE supervisor_id IS NULL"),
			 1);
	dd_db_close(&db);
}

static void test_orgs_reporters(void **state)
{
	(void)state;
	dd_db *db = db_with_districts();
	dd_reporter *r;
	size_t n;
	dd_err err = {0};

	import_ok(db, DD_IMPORT_ORGS, "orgs.csv", 10);
	expect_sql_text(db,
			"SELECT address FROM organisations WHERE kind = 'ksk' AND name = 'КСК \"Жулдыз\"'",
			"ул. Торайгырова, 64");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM organisations WHERE kind = 'pawnshop'"),
			 2);

	import_ok(db, DD_IMPORT_REPORTERS, "reporters.csv", 6);
	assert_int_equal(dd_reporter_list(db, false, &r, &n, &err), DD_OK);
	assert_int_equal(n, 6);
	bool seen_petrov = false, seen_smirnova = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(r[i].name, "Петров Николай Иванович") == 0) {
			seen_petrov = true;
			assert_string_equal(r[i].phone, "77057772002");
			assert_int_equal(r[i].telegram_id, 600000002);
			assert_string_equal(r[i].org, "КСК «Наурыз»");
			assert_string_equal(r[i].district, "PVL-01");
			assert_true(r[i].verified);
		}
		if (strcmp(r[i].name, "Смирнова Ирина") == 0) {
			seen_smirnova = true;
			assert_null(r[i].phone);
			assert_int_equal(r[i].telegram_id, 600000005);
			assert_null(r[i].org);
			assert_false(r[i].verified);
		}
	}
	assert_true(seen_petrov && seen_smirnova);
	dd_reporter_list_free(&r, n);
	dd_db_close(&db);
}

static void test_users(void **state)
{
	(void)state;
	dd_db *db = dd_test_db();
	dd_user *u;
	size_t n;
	dd_err err = {0};

	import_ok(db, DD_IMPORT_USERS, "users.csv", 4);
	assert_int_equal(dd_user_list(db, &u, &n, &err), DD_OK);
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(u[i].login, "nurlanov") == 0) {
			found = true;
			assert_int_equal(u[i].role, DD_ROLE_SUPERVISOR);
			assert_string_equal(u[i].name, "Нурланов Данияр");
		}
	}
	assert_true(found);
	dd_user_list_free(&u, n);

	import_bad(db, DD_IMPORT_USERS, "u.csv",
		   "login,role,name\n"
		   "petrov,Dispatcher,Петров\n"
		   "sidorov,boss,Сидоров\n"
		   "ivan ov,observer,\n"
		   "petrov,observer,\n",
		   3,
		   "3: role 'boss' is not one of observer, dispatcher, supervisor, admin\n"
		   "4: 'ivan ov' is not a Unix login (letters, digits, '.', '_', '-'; at most 32)\n"
		   "5: login 'petrov' already on line 2");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM users WHERE login = 'petrov'"), 0);

	/* name left empty keeps the stored one; the role changes */
	char *path = write_file("u2.csv", "login,role,name\nnurlanov,admin,\n");
	dd_actor admin = dd_test_admin(db);
	struct result r;
	run(db, &admin, DD_IMPORT_USERS, path, &r);
	assert_int_equal(r.status, DD_OK);
	expect_sql_text(db, "SELECT role || '/' || name FROM users WHERE login = 'nurlanov'",
			"admin/Нурланов Данияр");
	dd_buf_free(&r.problems);
	free(path);
	dd_db_close(&db);
}

static void test_shifts(void **state)
{
	(void)state;
	dd_db *db = db_with_officers();

	import_ok(db, DD_IMPORT_SHIFTS, "shifts.csv", 5);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM shifts"), 5);
	/* 2026-12-01T08:00+05:00 */
	assert_int_equal(sql_int(db, "SELECT s.starts_at FROM shifts s JOIN officers o "
				     "ON o.id = s.officer_id WHERE o.badge = '1101'"),
			 1796094000000LL);
	import_bad(db, DD_IMPORT_SHIFTS, "s.csv",
		   "badge,starts,ends\n"
		   "1101,2026-12-02 08:00Z,2026-12-02 08:00Z\n"
		   "1102,2026-12-02,вчера\n"
		   "9999,2026-12-02 08:00Z,2026-12-02 20:00Z\n"
		   "1201,2026-12-03 08:00Z,2026-12-03 20:00Z\n"
		   "1201,2026-12-03T13:00+05:00,2026-12-03 21:00Z\n",
		   4,
		   "2: ends '2026-12-02 08:00Z' is not after starts '2026-12-02 08:00Z'\n"
		   "3: ends 'вчера' is not a date and time (YYYY-MM-DD, YYYY-MM-DD HH:MM, "
		   "optionally with Z or +HH:MM)\n"
		   "4: officer with badge '9999' does not exist\n"
		   "6: a shift of '1201' starting 2026-12-03T13:00+05:00 already on line 5");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM shifts"), 5);
	dd_db_close(&db);
}

static void test_stolen(void **state)
{
	(void)state;
	dd_db *db = db_with_districts();

	import_ok(db, DD_IMPORT_STOLEN, "stolen.csv", 4);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM stolen_items"), 4);
	expect_sql_text(db, "SELECT description FROM stolen_items WHERE serial = 'PF3ABC12'",
			"серый");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM stolen_items WHERE district_id IS NULL"),
			 1);
	/* 2026-11-30 14:20 with no offset: the display zone, pinned to UTC */
	assert_int_equal(sql_int(db, "SELECT reported_at FROM stolen_items "
				     "WHERE item LIKE 'Велосипед%'"),
			 1796048400000LL);
	dd_db_close(&db);
}

/* Every successful import leaves one audit event saying what came in. */
static void test_audit_event(void **state)
{
	(void)state;
	dd_db *db = db_with_officers();
	char *path = sample("officers.csv");
	char *want = dd_xasprintf("{\"kind\":\"officers\",\"rows\":10,\"file\":\"%s\"}", path);

	assert_int_equal(sql_int(db, "SELECT count(*) FROM events WHERE action = 'import'"), 2);
	expect_sql_text(db, "SELECT after FROM events WHERE action = 'import' ORDER BY id DESC",
			want);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM events WHERE action = 'import' "
				     "AND report_id IS NOT NULL"),
			 0);
	free(want);
	free(path);

	/* a refused import leaves none */
	import_bad(db, DD_IMPORT_DISTRICTS, "d.csv", "code,name\nPVL-01,\n", 1,
		   "2: name is empty; it is required");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM events WHERE action = 'import'"), 2);
	dd_db_close(&db);
}

/* --- all or nothing ------------------------------------------------------ */

static void test_bad_row_imports_nothing(void **state)
{
	(void)state;
	dd_db *db = db_with_districts();
	dd_buf text = {0};

	/* one officer already there, whose name the file would change */
	import_ok(db, DD_IMPORT_OFFICERS, "officers.csv", 10);
	dd_buf_adds(&text, officer_header);
	dd_buf_adds(&text, "1101,Касымов Н. Б.,капитан полиции,,,PVL-01,нет,да\n");
	for (int i = 3; i <= 10; i++) {
		if (i == 5)
			dd_buf_adds(&text, "3005,Орлов Денис,,8 701 555 12,,PVL-02,,\n");
		else
			dd_buf_printf(&text, "30%02d,Сотрудник %d,,,,PVL-02,,\n", i, i);
	}
	import_bad(db, DD_IMPORT_OFFICERS, "o.csv", text.data, 1,
		   "5: phone '8 701 555 12' is not a phone number (10 to 15 digits, "
		   "optionally with a leading '+')");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM officers"), 10);
	expect_sql_text(db, "SELECT name FROM officers WHERE badge = '1101'",
			"Касымов Нурлан Болатович");
	dd_buf_free(&text);
	dd_db_close(&db);
}

/* The shipped bad sample: every distinct mistake reported, in file order. */
static void test_bad_sample(void **state)
{
	(void)state;
	dd_db *db = db_with_districts();
	dd_actor admin = dd_test_admin(db);
	char *path = sample("bad_officers.csv");
	struct result r;
	static const char *const want[] = {
		("3: phone '8 701 555' is not a phone number (10 to 15 digits, "
		 "optionally with a leading '+')"),
		"4: district 'PVL-99' does not exist",
		"5: badge '2001' already on line 2",
		"6: 7 fields, the header has 8",
		"7: telegram_id '@ruslan_aliev' is not a Telegram id (a positive whole number)",
		"8: supervisor 'может быть' is not yes or no (1/0, yes/no, true/false, да/нет)",
		"9: name is empty; it is required",
	};
	dd_buf expect = {0};

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		dd_buf_printf(&expect, "%s:%s\n", path, want[i]);
	run(db, &admin, DD_IMPORT_OFFICERS, path, &r);
	assert_int_equal(r.status, DD_EINVAL);
	assert_string_equal(r.problems.data, expect.data);
	char *msg = dd_xasprintf("%s: 7 problems; nothing was imported", path);
	assert_string_equal(r.err.msg, msg);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM officers"), 0);
	free(msg);
	free(path);
	dd_buf_free(&expect);
	dd_buf_free(&r.problems);
	dd_db_close(&db);
}

/* 60 bad rows: the first 50 listed, the rest counted. */
static void test_problem_limit(void **state)
{
	(void)state;
	dd_db *db = dd_test_db();
	dd_actor admin = dd_test_admin(db);
	dd_buf text = {0};
	struct result r;

	dd_buf_adds(&text, "code,name\n");
	for (int i = 0; i < 60; i++)
		dd_buf_printf(&text, "X-%d,\n", i);
	char *path = write_file("many.csv", text.data);
	run(db, &admin, DD_IMPORT_DISTRICTS, path, &r);
	assert_int_equal(r.status, DD_EINVAL);
	size_t lines = 0;
	for (const char *p = r.problems.data; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 51);
	char *first = dd_xasprintf("%s:2: name is empty; it is required\n", path);
	assert_memory_equal(r.problems.data, first, strlen(first));
	char *last50 = dd_xasprintf("%s:51: name is empty; it is required\n... and 10 more\n", path);
	assert_non_null(strstr(r.problems.data, last50));
	assert_null(strstr(r.problems.data, ":52:"));
	char *msg = dd_xasprintf("%s: 60 problems; nothing was imported", path);
	assert_string_equal(r.err.msg, msg);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM districts"), 0);
	free(first);
	free(last50);
	free(msg);
	free(path);
	dd_buf_free(&text);
	dd_buf_free(&r.problems);
	dd_db_close(&db);
}

/* The other shipped bad samples, as the CLI tests will see them. */
static void test_bad_samples_other(void **state)
{
	(void)state;
	dd_db *db = dd_test_db();
	dd_actor admin = dd_test_admin(db);
	static const struct {
		const char *file, *problems;
	} cases[] = {
		{"bad_districts.csv",
		 "1: unknown column 'Название' (expected: code, name, supervisor)\n"
		 "1: missing column 'name' (required: code, name)"},
		{"bad_quote.csv", "4: quoted field opened here is never closed"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *path = sample(cases[i].file);
		dd_buf want = {0};
		struct result r;
		with_path(&want, path, cases[i].problems);
		run(db, &admin, DD_IMPORT_DISTRICTS, path, &r);
		assert_int_equal(r.status, DD_EINVAL);
		assert_string_equal(r.problems.data, want.data);
		assert_int_equal(sql_int(db, "SELECT count(*) FROM districts"), 0);
		dd_buf_free(&r.problems);
		dd_buf_free(&want);
		free(path);
	}
	dd_db_close(&db);
}

/* --- the header ---------------------------------------------------------- */

static void test_header_problems(void **state)
{
	(void)state;
	dd_db *db = dd_test_db();

	import_bad(db, DD_IMPORT_DISTRICTS, "h1.csv", "code,name,foo\nPVL-01,Центральный,1\n", 1,
		   "1: unknown column 'foo' (expected: code, name, supervisor)");
	import_bad(db, DD_IMPORT_DISTRICTS, "h2.csv", "code,supervisor\nPVL-01,\n", 1,
		   "1: missing column 'name' (required: code, name)");
	import_bad(db, DD_IMPORT_DISTRICTS, "h3.csv", "code,name,Code\nPVL-01,Ц,PVL-02\n", 1,
		   "1: column 'code' appears twice (columns 1 and 3)");
	import_bad(db, DD_IMPORT_USERS, "h4.csv", "login,,role\nivanov,,admin\n", 1,
		   "1: column 2 has no name (expected: login, role, name)");
	/* all header problems at once */
	import_bad(db, DD_IMPORT_ORGS, "h5.csv", "type,name,adress\nksk,Жулдыз,\n", 3,
		   "1: unknown column 'type' (expected: kind, name, address, district)\n"
		   "1: unknown column 'adress' (expected: kind, name, address, district)\n"
		   "1: missing column 'kind' (required: kind, name)");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM districts"), 0);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM organisations"), 0);
	dd_db_close(&db);
}

/* Any order, any case, spaces around names and values, a BOM, CRLF. */
static void test_header_lenient(void **state)
{
	(void)state;
	dd_db *db = dd_test_db();
	dd_actor admin = dd_test_admin(db);
	struct result r;
	char *path = write_file("lenient.csv", "\xef\xbb\xbf Name ,CODE\r\n"
						"  Центральный , PVL-01 \r\n"
						"\r\n"
						"Усольский,PVL-02\r\n");

	run(db, &admin, DD_IMPORT_DISTRICTS, path, &r);
	assert_int_equal(r.status, DD_OK);
	assert_int_equal(r.rows, 2);
	expect_sql_text(db, "SELECT name FROM districts WHERE code = 'PVL-01'", "Центральный");
	dd_buf_free(&r.problems);
	free(path);
	dd_db_close(&db);
}

/* --- rows ---------------------------------------------------------------- */

static void test_field_count(void **state)
{
	(void)state;
	dd_db *db = dd_test_db();

	import_bad(db, DD_IMPORT_DISTRICTS, "fc.csv",
		   "code,name,supervisor\n"
		   "PVL-01,Центральный,\n"
		   "PVL-02,Усольский\n"
		   "PVL-03,Северо-Восток,,\n"
		   "PVL-04\n",
		   3,
		   "3: 2 fields, the header has 3\n"
		   "4: 4 fields, the header has 3\n"
		   "5: 1 field, the header has 3");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM districts"), 0);
	dd_db_close(&db);
}

static void test_phones(void **state)
{
	(void)state;
	dd_db *db = db_with_districts();
	dd_actor admin = dd_test_admin(db);
	static const struct {
		const char *in, *stored;
	} good[] = {
		{"+7 701 123 45 67", "77011234567"},
		{"8 (701) 123-45-67", "77011234567"},
		{"87011234567", "77011234567"},
		{"77011234567", "77011234567"},
		{"+86 138 0013 8000", "8613800138000"},
		{"+81 3-1234-5678", "81312345678"},
		{"0123456789", "0123456789"},
		{"+123456789012345", "123456789012345"},
	};
	static const char *const bad[] = {
		"8 701 123", "+7 701 123 45 67 890 12", "7701123456a", "+7 (701) 123.45.67",
		"7+7011234567", "тел. 87011234567", "++77011234567",
	};

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		/* one officer, whose phone each file changes (phones are unique) */
		char *text = dd_xasprintf("badge,name,phone\n100,Тест,\"%s\"\n", good[i].in);
		char *path = write_file("ph.csv", text);
		struct result r;
		run(db, &admin, DD_IMPORT_OFFICERS, path, &r);
		if (r.status)
			fail_msg("%s: %s", good[i].in, r.problems.data);
		expect_sql_text(db, "SELECT phone FROM officers WHERE badge = '100'", good[i].stored);
		free(text);
		free(path);
		dd_buf_free(&r.problems);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *text = dd_xasprintf("badge,name,phone\n200,Тест,%s\n", bad[i]);
		char *want = dd_xasprintf("2: phone '%s' is not a phone number (10 to 15 digits, "
					  "optionally with a leading '+')",
					  bad[i]);
		import_bad(db, DD_IMPORT_OFFICERS, "phb.csv", text, 1, want);
		free(text);
		free(want);
	}
	dd_db_close(&db);
}

/* Phones, Telegram ids and yes/no in the forms people type them. */
static void test_values(void **state)
{
	(void)state;
	dd_db *db = db_with_districts();

	import_bad(db, DD_IMPORT_OFFICERS, "v.csv",
		   "badge,name,telegram_id,active,supervisor\n"
		   "1,А,0,да,нет\n"
		   "2,Б,-5,ДА,НЕТ\n"
		   "3,В,99999999999999999999,Иә,жоқ\n"
		   "4,Г,12 34,True,FALSE\n"
		   "5,Д,123,+,1\n"
		   "6 6,Е,,,\n"
		   "#7,Ж,,,\n",
		   7,
		   "2: telegram_id '0' is not a Telegram id (a positive whole number)\n"
		   "3: telegram_id '-5' is not a Telegram id (a positive whole number)\n"
		   "4: telegram_id '99999999999999999999' is not a Telegram id (a positive whole "
		   "number)\n"
		   "5: telegram_id '12 34' is not a Telegram id (a positive whole number)\n"
		   "6: active '+' is not yes or no (1/0, yes/no, true/false, да/нет)\n"
		   "7: badge '6 6' must be one word (no spaces or control characters)\n"
		   "8: badge '#7' must not start with '#' (that means an officer's id)");
	import_bad(db, DD_IMPORT_ORGS, "k.csv",
		   "kind,name\n"
		   "KSK,Жулдыз\n"
		   "lombard,Алтын\n",
		   1, "3: kind 'lombard' is not one of ksk, pawnshop, bookmaker, other");
	import_bad(db, DD_IMPORT_STOLEN, "st.csv",
		   "case_no,item,reported\n"
		   "1,Телефон,2026-02-30\n",
		   1,
		   "2: reported '2026-02-30' is not a date and time (YYYY-MM-DD, YYYY-MM-DD HH:MM, "
		   "optionally with Z or +HH:MM)");
	dd_db_close(&db);
}

/* A value quoted back is cut to 40 bytes, never inside a character. */
static void test_long_value_cut(void **state)
{
	(void)state;
	dd_db *db = dd_test_db();
	dd_buf in = {0}, want = {0};

	/* 30 two-byte letters: 20 fit in 40 bytes */
	dd_buf_adds(&in, "login,role\nivanov,");
	for (int i = 0; i < 30; i++)
		dd_buf_adds(&in, "а");
	dd_buf_adds(&want, "2: role '");
	for (int i = 0; i < 20; i++)
		dd_buf_adds(&want, "а");
	dd_buf_adds(&want, "...' is not one of observer, dispatcher, supervisor, admin");
	import_bad(db, DD_IMPORT_USERS, "long.csv", in.data, 1, want.data);

	/* 'x' first, so byte 40 falls inside the 20th letter: 19 are kept */
	dd_buf_reset(&in);
	dd_buf_reset(&want);
	dd_buf_adds(&in, "login,role\nivanov,x");
	for (int i = 0; i < 25; i++)
		dd_buf_adds(&in, "б");
	dd_buf_adds(&want, "2: role 'x");
	for (int i = 0; i < 19; i++)
		dd_buf_adds(&want, "б");
	dd_buf_adds(&want, "...' is not one of observer, dispatcher, supervisor, admin");
	import_bad(db, DD_IMPORT_USERS, "long2.csv", in.data, 1, want.data);

	/* exactly 40 bytes is shown whole */
	dd_buf_reset(&in);
	dd_buf_reset(&want);
	dd_buf_adds(&in, "login,role\nivanov,");
	for (int i = 0; i < 20; i++)
		dd_buf_adds(&in, "б");
	dd_buf_printf(&want, "2: role '%s' is not one of observer, dispatcher, supervisor, admin",
		      in.data + strlen("login,role\nivanov,"));
	import_bad(db, DD_IMPORT_USERS, "long3.csv", in.data, 1, want.data);
	dd_buf_free(&in);
	dd_buf_free(&want);
	dd_db_close(&db);
}

static void test_unknown_references(void **state)
{
	(void)state;
	dd_db *db = db_with_districts();

	import_bad(db, DD_IMPORT_OFFICERS, "ud.csv",
		   "badge,name,district\n"
		   "1,Первый,PVL-01\n"
		   "2,Второй,PVL-77\n"
		   "3,Третий,pvl-01\n",
		   2,
		   "3: district 'PVL-77' does not exist\n"
		   "4: district 'pvl-01' does not exist");
	import_bad(db, DD_IMPORT_DISTRICTS, "us.csv", "code,name,supervisor\nPVL-01,Ц,4242\n", 1,
		   "2: officer with badge '4242' does not exist");
	import_ok(db, DD_IMPORT_ORGS, "orgs.csv", 10);
	import_bad(db, DD_IMPORT_REPORTERS, "ur.csv",
		   "name,phone,telegram_id,org,org_kind\n"
		   "Аноним,,,,\n"
		   "Иванов,87011110000,,КСК «Нет такого»,\n"
		   "Петров,87011110001,,Ломбард «Алтын»,ksk\n"
		   "Сидоров,87011110002,,,pawnshop\n",
		   4,
		   "2: a reporter needs a phone or a telegram_id (that is how their messages are "
		   "recognised)\n"
		   "3: organisation 'КСК «Нет такого»' does not exist\n"
		   "4: organisation 'Ломбард «Алтын»' does not exist\n"
		   "5: org_kind 'pawnshop' given without an org");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM officers"), 0);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM reporters"), 0);
	dd_db_close(&db);
}

static void test_duplicates_in_file(void **state)
{
	(void)state;
	dd_db *db = db_with_districts();
	dd_buf text = {0};

	dd_buf_adds(&text, officer_header);
	dd_buf_adds(&text, "1001,А,,+7 701 000 00 01,11,,,\n");
	dd_buf_adds(&text, "1002,Б,,,,,,\n");
	dd_buf_adds(&text, "1003,В,,,,,,\n");
	dd_buf_adds(&text, "1234,Г,,,,,,\n");
	dd_buf_adds(&text, "1005,Д,,8 701 000 00 01,,,,\n");
	dd_buf_adds(&text, "1006,Е,,,11,,,\n");
	dd_buf_adds(&text, "1007,Ж,,,,,,\n");
	dd_buf_adds(&text, "1234,З,,,,,,\n");
	import_bad(db, DD_IMPORT_OFFICERS, "dup.csv", text.data, 3,
		   "6: phone '8 701 000 00 01' already on line 2\n"
		   "7: telegram_id '11' already on line 2\n"
		   "9: badge '1234' already on line 5");
	import_bad(db, DD_IMPORT_ORGS, "dupo.csv",
		   "kind,name\n"
		   "ksk,Жулдыз\n"
		   "pawnshop,Жулдыз\n"
		   "KSK,Жулдыз\n",
		   1, "4: ksk 'Жулдыз' already on line 2");
	import_bad(db, DD_IMPORT_STOLEN, "dups.csv",
		   "case_no,item,serial\n"
		   "1,Телефон,A1\n"
		   "1,Телефон,A2\n"
		   "1,Телефон,A1\n",
		   1, "4: case '1', item 'Телефон', serial 'A1' already on line 2");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM officers"), 0);
	dd_buf_free(&text);
	dd_db_close(&db);
}

/* Importing again updates the rows by their natural key. */
static void test_reimport_updates(void **state)
{
	(void)state;
	dd_db *db = db_with_officers();
	dd_actor admin = dd_test_admin(db);
	struct result r;

	import_ok(db, DD_IMPORT_DISTRICTS, "districts.csv", 6);
	import_ok(db, DD_IMPORT_OFFICERS, "officers.csv", 10);
	import_ok(db, DD_IMPORT_ORGS, "orgs.csv", 10);
	import_ok(db, DD_IMPORT_ORGS, "orgs.csv", 10);
	import_ok(db, DD_IMPORT_REPORTERS, "reporters.csv", 6);
	import_ok(db, DD_IMPORT_REPORTERS, "reporters.csv", 6);
	import_ok(db, DD_IMPORT_STOLEN, "stolen.csv", 4);
	import_ok(db, DD_IMPORT_STOLEN, "stolen.csv", 4);
	import_ok(db, DD_IMPORT_SHIFTS, "shifts.csv", 5);
	import_ok(db, DD_IMPORT_SHIFTS, "shifts.csv", 5);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM districts"), 6);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM officers"), 10);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM organisations"), 10);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM reporters"), 6);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM stolen_items"), 4);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM shifts"), 5);

	/* a changed row is updated, not added */
	char *path = write_file("o2.csv", "badge,name,rank,district,phone\n"
					  "1102,Иванова-Ким Ольга Петровна,капитан полиции,PVL-02,\n");
	run(db, &admin, DD_IMPORT_OFFICERS, path, &r);
	assert_int_equal(r.status, DD_OK);
	assert_int_equal(r.rows, 1);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM officers"), 10);
	expect_sql_text(db,
			"SELECT o.name || '/' || o.rank || '/' || d.code || '/' || "
			"coalesce(o.phone, 'none') FROM officers o "
			"JOIN districts d ON d.id = o.district_id WHERE badge = '1102'",
			"Иванова-Ким Ольга Петровна/капитан полиции/PVL-02/none");
	dd_buf_free(&r.problems);
	free(path);

	/* columns the file leaves out keep what is stored: telegram_id, active,
	 * supervisor of 1001 survive a file of names */
	path = write_file("o3.csv", "badge,name\n1001,Ахметов Е. С.\n");
	run(db, &admin, DD_IMPORT_OFFICERS, path, &r);
	assert_int_equal(r.status, DD_OK);
	expect_sql_text(db,
			"SELECT name || '/' || rank || '/' || phone || '/' || telegram_id || '/' "
			"|| is_supervisor || '/' || active FROM officers WHERE badge = '1001'",
			"Ахметов Е. С./майор полиции/77015551001/512000001/1/1");
	dd_buf_free(&r.problems);
	free(path);

	/* the same for a district's supervisor */
	import_ok(db, DD_IMPORT_DISTRICTS, "districts_supervisors.csv", 6);
	import_ok(db, DD_IMPORT_DISTRICTS, "districts.csv", 6);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM districts WHERE supervisor_id IS NULL"),
			 1);
	dd_db_close(&db);
}

static void test_not_admin(void **state)
{
	(void)state;
	dd_db *db = dd_test_db();
	char *path = sample("districts.csv");
	dd_actor a = dd_test_actor(db, DD_ROLE_DISPATCHER);
	struct result r;

	run(db, &a, DD_IMPORT_DISTRICTS, path, &r);
	assert_int_equal(r.status, DD_EPERM);
	assert_int_equal(r.err.status, DD_EPERM);
	assert_non_null(strstr(r.err.msg, "admin"));
	assert_int_equal(r.rows, 0);
	assert_int_equal(r.problems.len, 0);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM districts"), 0);

	a = dd_test_actor(db, DD_ROLE_SUPERVISOR);
	run(db, &a, DD_IMPORT_DISTRICTS, path, &r);
	assert_int_equal(r.status, DD_EPERM);

	/* a login that is no dutydesk user at all */
	a = dd_test_actor(db, DD_ROLE_NONE);
	run(db, &a, DD_IMPORT_DISTRICTS, path, &r);
	assert_int_equal(r.status, DD_EPERM);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM districts"), 0);
	free(path);
	dd_db_close(&db);
}

/* The reader stops at a syntax error; the rows before it are still checked
 * and their problems listed too. */
static void test_csv_syntax_error(void **state)
{
	(void)state;
	dd_db *db = dd_test_db();

	import_bad(db, DD_IMPORT_DISTRICTS, "q.csv",
		   "code,name\n"
		   "PVL-01,Центральный\n"
		   "PVL-02,\n"
		   "PVL-03,\"Северо-Восток\n"
		   "PVL-04,Химгородок\n",
		   2,
		   "3: name is empty; it is required\n"
		   "4: quoted field opened here is never closed");
	import_bad(db, DD_IMPORT_DISTRICTS, "q2.csv",
		   "code,name\n"
		   "PVL-01,Цент\"ральный\n",
		   1, "2: quote inside an unquoted field");
	import_bad(db, DD_IMPORT_DISTRICTS, "q3.csv", "code,\"name\n", 1,
		   "1: quoted field opened here is never closed");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM districts"), 0);
	dd_db_close(&db);
}

static void test_empty(void **state)
{
	(void)state;
	dd_db *db = dd_test_db();
	dd_actor admin = dd_test_admin(db);
	static const char *const texts[] = {"", "\n\n", "\xef\xbb\xbf", "code,name\n",
					    "code,name\n\n\r\n"};

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		char *path = write_file("empty.csv", texts[i]);
		char *want = dd_xasprintf("%s: no rows", path);
		struct result r;
		run(db, &admin, DD_IMPORT_DISTRICTS, path, &r);
		assert_int_equal(r.status, DD_EINVAL);
		assert_string_equal(r.err.msg, want);
		assert_int_equal(r.rows, 0);
		assert_int_equal(sql_int(db, "SELECT count(*) FROM events WHERE action = 'import'"), 0);
		dd_buf_free(&r.problems);
		free(want);
		free(path);
	}

	/* a missing file is the reader's message */
	struct result r;
	run(db, &admin, DD_IMPORT_DISTRICTS, "/nonexistent/d.csv", &r);
	assert_int_equal(r.status, DD_EIO);
	assert_non_null(strstr(r.err.msg, "/nonexistent/d.csv"));
	dd_db_close(&db);
}

/* "-" reads standard input, named so in messages. */
static void test_stdin(void **state)
{
	(void)state;
	dd_db *db = dd_test_db();
	dd_actor admin = dd_test_admin(db);
	char *path = write_file("in.csv", "code,name\nPVL-01,Центральный\nPVL-02,\n");
	struct result r;

	assert_non_null(freopen(path, "r", stdin));
	run(db, &admin, DD_IMPORT_DISTRICTS, "-", &r);
	assert_int_equal(r.status, DD_EINVAL);
	assert_string_equal(r.problems.data, "standard input:3: name is empty; it is required\n");
	assert_string_equal(r.err.msg, "standard input: 1 problem; nothing was imported");
	dd_buf_free(&r.problems);
	free(path);

	path = write_file("in2.csv", "code,name\nPVL-01,Центральный\nPVL-02,Усольский\n");
	assert_non_null(freopen(path, "r", stdin));
	run(db, &admin, DD_IMPORT_DISTRICTS, "-", &r);
	assert_int_equal(r.status, DD_OK);
	assert_int_equal(r.rows, 2);
	expect_sql_text(db, "SELECT after FROM events WHERE action = 'import'",
			"{\"kind\":\"districts\",\"rows\":2,\"file\":\"-\"}");
	dd_buf_free(&r.problems);
	free(path);
	dd_db_close(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_districts),
		cmocka_unit_test(test_officers),
		cmocka_unit_test(test_orgs_reporters),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_shifts),
		cmocka_unit_test(test_stolen),
		cmocka_unit_test(test_audit_event),
		cmocka_unit_test(test_bad_row_imports_nothing),
		cmocka_unit_test(test_bad_sample),
		cmocka_unit_test(test_problem_limit),
		cmocka_unit_test(test_bad_samples_other),
		cmocka_unit_test(test_header_problems),
		cmocka_unit_test(test_header_lenient),
		cmocka_unit_test(test_field_count),
		cmocka_unit_test(test_phones),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_long_value_cut),
		cmocka_unit_test(test_unknown_references),
		cmocka_unit_test(test_duplicates_in_file),
		cmocka_unit_test(test_reimport_updates),
		cmocka_unit_test(test_not_admin),
		cmocka_unit_test(test_csv_syntax_error),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_stdin),
	};

	/* Dates without an offset are read in the display zone: pin it. */
	setenv("TZ", "UTC", 1);
	tzset();
	int failed = cmocka_run_group_tests_name("import", tests, NULL, NULL);
	free(scratch);
	return failed;
}
