/*
 * libFuzzer target: a whole CSV import (import.h) into a scratch database.
 * The first byte picks the kind (districts, officers, ...), the rest is the
 * file. Each input starts from the same small city (a template copied back
 * before every run), so a crash reproduces from its input alone. Checks:
 *   - a refused import changed nothing (row counts of every registry and of
 *     events are as before), says why, and each problem line names the file;
 *   - an accepted one wrote at least one row and one "import" event;
 *   - the database passes dd_db_check either way.
 */
#include <config.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/core/db_internal.h"
#include "dutydesk/import.h"
#include "dutydesk/registry.h"
#include "dutydesk/user.h"

#define FUZZ_NAME "fuzz_import"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
static char dir[64], dbpath[96], wal[100], shm[100], csvpath[96];
static char *tmpl;
static size_t tmpl_len;

static const char *const tables[] = {"districts", "officers", "organisations", "reporters",
				     "users", "shifts", "stolen_items", "events"};
#define NTABLES (sizeof tables / sizeof *tables)

static void cleanup(void)
{
	unlink(csvpath);
	unlink(dbpath);
	unlink(wal);
	unlink(shm);
	rmdir(dir);
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "fuzz_import: %s: %s\n", what, msg);
	exit(2);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		die(path, strerror(errno));
}

static int64_t count(dd_db *db, const char *table)
{
	char sql[80];
	sqlite3_stmt *st;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		die(sql, sqlite3_errmsg(db->h));
	int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return n;
}

static dd_db *open_db(unsigned flags)
{
	dd_db *db = NULL;
	dd_err err = {0};
	if (dd_db_open(&db, dbpath, flags, &err))
		die("open", err.msg);
	return db;
}

/* Two districts, two officers, a KSK and its reporter, an admin "fuzz". */
static void make_city(void)
{
	dd_db *db = open_db(DD_DB_CREATE);
	dd_err err = {0};
	bool added;
	if (dd_user_bootstrap(db, "fuzz", &added, &err))
		die("bootstrap", err.msg);
	if (dd_db_begin(db, &err))
		die("begin", err.msg);
	dd_officer o1 = {.badge = "1101", .name = "Иванов", .phone = "77011110001",
			 .telegram_id = 5001, .district = "PVL-01", .active = true};
	dd_officer o2 = {.badge = "1102", .name = "Жумабаев", .district = "PVL-02", .active = true};
	dd_org org = {.kind = DD_ORG_KSK, .name = "КСК Жулдыз", .district = "PVL-01"};
	dd_reporter r = {.name = "Петров", .phone = "77010000001", .org = "КСК Жулдыз"};
	if (dd_district_put(db, "PVL-01", "Центр", NULL, NULL, &err) ||
	    dd_district_put(db, "PVL-02", "Усольский", NULL, NULL, &err) ||
	    dd_officer_put(db, &o1, NULL, &err) || dd_officer_put(db, &o2, NULL, &err) ||
	    dd_org_put(db, &org, NULL, &err) || dd_reporter_put(db, &r, -1, NULL, &err) ||
	    dd_db_commit(db, &err))
		die("city", err.msg);
	dd_db_close(&db); /* the last connection checkpoints the WAL into the file */
	FILE *f = fopen(dbpath, "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0)
		die(dbpath, strerror(errno));
	tmpl_len = (size_t)ftell(f);
	rewind(f);
	tmpl = dd_xmalloc(tmpl_len);
	if (fread(tmpl, 1, tmpl_len, f) != tmpl_len)
		die(dbpath, "short read");
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/ddfuzz.XXXXXX", base && strlen(base) < 40 ? base : "/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp", strerror(errno));
	snprintf(dbpath, sizeof dbpath, "%s/fuzz.db", dir);
	snprintf(wal, sizeof wal, "%s-wal", dbpath);
	snprintf(shm, sizeof shm, "%s-shm", dbpath);
	snprintf(csvpath, sizeof csvpath, "%s/fuzz.csv", dir);
	atexit(cleanup);
	make_city();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 16384)
		return -1;
	dd_import_kind kind = (dd_import_kind)(data[0] % DD_IMPORT_COUNT);
	write_file(csvpath, data + 1, size - 1);
	unlink(wal);
	unlink(shm);
	write_file(dbpath, tmpl, tmpl_len);

	dd_db *db = open_db(0);
	dd_err err = {0};
	dd_actor admin;
	if (dd_actor_for_login(db, "fuzz", &admin, &err))
		die("actor", err.msg);
	int64_t before[NTABLES];
	for (size_t i = 0; i < NTABLES; i++)
		before[i] = count(db, tables[i]);

	size_t rows = 12345;
	dd_buf problems = {0};
	dd_status s = dd_import_csv(db, &admin, kind, csvpath, &rows, &problems, &err);
	if (s == DD_OK) {
		CHECK(rows >= 1, "%s: success with %zu rows", dd_import_kind_name(kind), rows);
		CHECK(count(db, "events") == before[NTABLES - 1] + 1,
		      "%s: not exactly one import event", dd_import_kind_name(kind));
	} else {
		CHECK(rows == 0, "%s: refused (%s) but rows = %zu", dd_import_kind_name(kind), err.msg,
		      rows);
		CHECK(err.msg[0] != '\0', "%s: refused without a message", dd_import_kind_name(kind));
		CHECK(s != DD_EDB && s != DD_EBUSY && s != DD_EIO, "%s: %s: %s",
		      dd_import_kind_name(kind), dd_status_name(s), err.msg);
		for (size_t i = 0; i < NTABLES; i++)
			CHECK(count(db, tables[i]) == before[i], "%s: refused (%s) but %s changed",
			      dd_import_kind_name(kind), err.msg, tables[i]);
		/* every problem line names the file (or is the "... and N more" tail) */
		const char *line = problems.data ? problems.data : "";
		while (*line) {
			const char *nl = strchr(line, '\n');
			size_t len = nl ? (size_t)(nl - line) : strlen(line);
			CHECK(strncmp(line, csvpath, strlen(csvpath)) == 0 || strncmp(line, "...", 3) == 0,
			      "problem line '%.*s'", (int)len, line);
			line += len + (nl != NULL);
		}
	}
	dd_buf report = {0};
	dd_err cerr = {0};
	CHECK(dd_db_check(db, &report, &cerr) == DD_OK, "check after %s: %s",
	      dd_import_kind_name(kind), report.data ? report.data : cerr.msg);
	dd_buf_free(&report);
	dd_buf_free(&problems);
	dd_db_close(&db);
	return 0;
}
