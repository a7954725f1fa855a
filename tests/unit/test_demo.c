/* The demo city: the same seed makes the same database, and the city looks
 * like the one the brief describes. */
#include <config.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"
#include "../../src/core/db_internal.h"
#include "dutydesk/audit.h"
#include "dutydesk/clock.h"
#include "dutydesk/demo.h"
#include "dutydesk/registry.h"
#include "dutydesk/report.h"

#define NOW "2026-03-10T14:30:00+05:00"
#define NREPORTS 10001 /* the city most tests look at: built once */
#define NSMALL 2000    /* cities built twice to compare */

struct progress {
	int calls;
	int64_t last_done, last_total;
};

static void on_progress(int64_t done, int64_t total, void *arg)
{
	struct progress *p = arg;
	p->calls++;
	p->last_done = done;
	p->last_total = total;
}

/* A fresh database holding the demo city of seed with n reports. */
static dd_db *demo_db(uint64_t seed, int64_t n, dd_demo_stats *stats)
{
	dd_db *db = dd_test_db();
	dd_err err = {0};
	dd_demo_stats st = {0};
	if (dd_demo_build(db, seed, n, NULL, NULL, &st, &err))
		fail_msg("demo: %s", err.msg);
	if (stats)
		*stats = st;
	return db;
}

/* The city most tests read, built once, with what its progress said. */
struct shared {
	dd_db *db;
	dd_demo_stats stats;
	struct progress progress;
	int64_t now;
};

static int group_setup(void **state)
{
	struct shared *sh = dd_xcalloc(1, sizeof *sh);
	dd_err err = {0};
	sh->db = dd_test_db();
	if (dd_demo_build(sh->db, 1, NREPORTS, on_progress, &sh->progress, &sh->stats, &err)) {
		fprintf(stderr, "demo: %s\n", err.msg);
		return -1;
	}
	if (dd_time_parse(NOW, &sh->now))
		return -1;
	*state = sh;
	return 0;
}

static int group_teardown(void **state)
{
	struct shared *sh = *state;
	dd_db_close(&sh->db);
	free(sh);
	return 0;
}

/* Every row of every table (full-text shadow tables included), in order. */
static char *dump(dd_db *db, const char *only)
{
	dd_buf b = {0};
	sqlite3_stmt *tables;
	assert_int_equal(sqlite3_prepare_v2(db->h,
					    "SELECT name FROM sqlite_master WHERE type = 'table' "
					    "AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name",
					    -1, &tables, NULL),
			 SQLITE_OK);
	while (sqlite3_step(tables) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(tables, 0);
		if (only && strcmp(name, only) != 0)
			continue;
		char *sql = dd_xasprintf("SELECT * FROM \"%s\"", name);
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(db->h, sql, -1, &st, NULL), SQLITE_OK);
		free(sql);
		/* rowid order where there is one; WITHOUT ROWID tables scan in key order */
		dd_buf_printf(&b, "== %s\n", name);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int i = 0; i < sqlite3_column_count(st); i++) {
				int type = sqlite3_column_type(st, i);
				const void *p = sqlite3_column_blob(st, i);
				int n = sqlite3_column_bytes(st, i);
				dd_buf_printf(&b, "%d:%d:", type, n);
				if (p)
					dd_buf_add(&b, p, (size_t)n);
				dd_buf_addc(&b, '\x1f');
			}
			dd_buf_addc(&b, '\n');
		}
		sqlite3_finalize(st);
	}
	sqlite3_finalize(tables);
	return dd_buf_take(&b);
}

/* Says where two dumps part, to make a failure readable. */
static void assert_same(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return;
	size_t i = 0;
	while (a[i] && a[i] == b[i])
		i++;
	const char *table = a;
	for (const char *p = a; p < a + i; p++)
		if (strncmp(p, "== ", 3) == 0)
			table = p;
	fail_msg("the databases differ in %.40s at byte %zu: '%.60s' vs '%.60s'", table, i, a + i,
		 b + i);
}

static void test_seed_makes_the_database(void **state)
{
	(void)state;
	dd_demo_stats s1, s2;
	dd_db *a = demo_db(42, NSMALL, &s1);
	dd_db *b = demo_db(42, NSMALL, &s2);
	dd_db *c = demo_db(43, NSMALL, NULL);
	char *da = dump(a, NULL), *db = dump(b, NULL);
	assert_true(strlen(da) > 100000);
	assert_same(da, db);
	assert_memory_equal(&s1, &s2, sizeof s1);
	free(da);
	free(db);

	/* another seed, another city (with the same names of places) */
	const char *tables[] = {"officers", "organisations", "reporters", "reports", "events"};
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		char *x = dump(a, tables[i]), *y = dump(c, tables[i]);
		if (strcmp(x, y) == 0)
			fail_msg("seeds 42 and 43 gave the same %s", tables[i]);
		free(x);
		free(y);
	}
	char *x = dump(a, "districts"), *y = dump(c, "districts");
	assert_true(strstr(x, "Химгородок") && strstr(y, "Химгородок"));
	free(x);
	free(y);
	dd_db_close(&a);
	dd_db_close(&b);
	dd_db_close(&c);
}

static void test_city_does_not_depend_on_reports(void **state)
{
	(void)state;
	dd_db *a = demo_db(7, 0, NULL);
	dd_db *b = demo_db(7, 300, NULL);
	const char *tables[] = {"districts", "officers", "shifts", "organisations"};
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		char *da = dump(a, tables[i]), *db = dump(b, tables[i]);
		assert_same(da, db);
		free(da);
		free(db);
	}
	assert_int_equal(dd_test_int(a, "SELECT count(*) FROM reports"), 0);
	assert_int_equal(dd_test_int(b, "SELECT count(*) FROM reports"), 300);
	dd_db_close(&a);
	dd_db_close(&b);
}

static void test_the_city(void **state)
{
	struct shared *sh = *state;
	dd_db *db = sh->db;
	dd_demo_stats st = sh->stats;
	assert_int_equal(st.districts, 25);
	assert_int_equal(st.officers, 122);
	assert_int_equal(st.supervisors, 25);
	assert_int_equal(st.orgs, 160);
	assert_int_equal(st.reporters, 95);
	assert_int_equal(st.reports, NREPORTS);

	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM districts"), 25);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM districts "
					 "WHERE code GLOB 'PVL-[0-2][0-9]'"), 25);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM officers WHERE NOT is_supervisor"),
			 122);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM officers WHERE is_supervisor"), 25);
	/* 4 to 6 officers a district, and its supervisor is one of its own */
	assert_int_equal(dd_test_int(db, "SELECT min(n) >= 4 AND max(n) <= 6 FROM (SELECT count(*) n "
					 "FROM officers WHERE NOT is_supervisor GROUP BY district_id)"),
			 1);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM districts d JOIN officers s "
					 "ON s.id = d.supervisor_id WHERE s.is_supervisor "
					 "AND s.district_id = d.id"),
			 25);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM officers WHERE is_supervisor "
					 "AND rank NOT IN ('майор полиции', 'подполковник полиции')"),
			 0);
	int64_t inactive = dd_test_int(db, "SELECT count(*) FROM officers WHERE NOT active");
	assert_true(inactive >= 1 && inactive <= 10);
	int64_t tg = dd_test_int(db, "SELECT count(*) FROM officers WHERE NOT is_supervisor "
				     "AND telegram_id IS NOT NULL");
	assert_true(tg > 122 * 45 / 100 && tg < 122 * 75 / 100);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM officers WHERE phone NOT GLOB "
					 "'7[047][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'"),
			 0);
	/* Russian and Kazakh names: surname, name, patronymic */
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM officers "
					 "WHERE length(name) - length(replace(name, ' ', '')) <> 2"),
			 0);
	assert_true(dd_test_int(db, "SELECT count(*) FROM officers WHERE name GLOB '* Сергей *' "
				    "OR name GLOB '* Александр *' OR name GLOB '* Дмитрий *' "
				    "OR name GLOB '* Андрей *' OR name GLOB '* Алексей *'") > 0);
	assert_true(dd_test_int(db, "SELECT count(*) FROM officers WHERE name GLOB '* Ерлан *' "
				    "OR name GLOB '* Нурлан *' OR name GLOB '* Серик *' "
				    "OR name GLOB '* Асхат *' OR name GLOB '* Данияр *'") > 0);
	assert_true(dd_test_int(db, "SELECT count(*) FROM officers WHERE name GLOB '*ович'") > 100);

	/* most are on duty now, with shifts laid around now */
	dd_officer *list;
	size_t n;
	dd_err err = {0};
	assert_int_equal(dd_officer_list(db, NULL, &list, &n, &err), DD_OK);
	assert_int_equal(n, 147);
	size_t on = 0;
	for (size_t i = 0; i < n; i++)
		on += list[i].on_duty;
	assert_true(on > n / 2 && on < n);
	dd_officer_list_free(&list, n);

	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM organisations WHERE kind = 'ksk'"),
			 130);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM organisations "
					 "WHERE kind = 'pawnshop'"),
			 20);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM organisations "
					 "WHERE kind = 'bookmaker'"),
			 10);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM organisations "
					 "WHERE kind = 'ksk' AND name NOT GLOB 'КСК \"*\"'"),
			 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM organisations "
					 "WHERE district_id IS NULL OR address = ''"),
			 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reporters"), 95);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reporters p JOIN organisations o "
					 "ON o.id = p.org_id WHERE o.kind = 'ksk'"),
			 65);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reporters p JOIN organisations o "
					 "ON o.id = p.org_id WHERE o.kind <> 'ksk'"),
			 30);
	int64_t verified = dd_test_int(db, "SELECT count(*) FROM reporters WHERE verified");
	assert_true(verified > 95 * 3 / 4 && verified < 95);
	assert_true(dd_test_int(db, "SELECT count(*) FROM reporters WHERE telegram_id IS NOT NULL") > 0);
}

static void test_the_reports(void **state)
{
	struct shared *sh = *state;
	dd_db *db = sh->db;
	int64_t now = sh->now;

	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports"), NREPORTS);
	assert_int_equal(dd_test_int(db, "SELECT min(id) = 1 AND max(id) = %d FROM reports",
				     NREPORTS),
			 1);
	for (int s = 0; s < DD_RS_COUNT; s++)
		if (dd_test_int(db, "SELECT count(*) FROM reports WHERE status = %Q",
				dd_rs_code((dd_report_status)s)) <= 0)
			fail_msg("no %s report", dd_rs_code((dd_report_status)s));
	assert_int_equal(dd_test_int(db, "SELECT count(DISTINCT category) FROM reports"), 7);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM categories c WHERE NOT EXISTS "
					 "(SELECT 1 FROM reports r WHERE r.category = c.code)"),
			 0);
	/* shops write about their own business */
	assert_true(dd_test_int(db, "SELECT 100 * sum(r.category = 'stolen_goods') / count(*) "
				    "FROM reports r JOIN organisations o ON o.id = r.org_id "
				    "WHERE o.kind = 'pawnshop'") >= 70);
	assert_true(dd_test_int(db, "SELECT 100 * sum(r.category = 'gambling') / count(*) "
				    "FROM reports r JOIN organisations o ON o.id = r.org_id "
				    "WHERE o.kind = 'bookmaker'") >= 65);
	assert_true(dd_test_int(db, "SELECT 100 * sum(priority = 3) / count(*) FROM reports") >= 55);
	for (int p = 1; p <= 4; p++)
		assert_true(dd_test_int(db, "SELECT count(*) FROM reports WHERE priority = %d", p) > 0);
	assert_true(dd_test_int(db, "SELECT 100 * sum(channel = 'whatsapp') / count(*) "
				    "FROM reports") >= 50);
	assert_true(dd_test_int(db, "SELECT count(*) FROM reports WHERE channel = 'telegram'") > 0);
	assert_true(dd_test_int(db, "SELECT count(*) FROM reports WHERE channel = 'desk'") > 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports WHERE channel = 'whatsapp' "
					 "AND external_id NOT GLOB 'wamid.DEMO*'"),
			 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports WHERE channel = 'desk' "
					 "AND external_id IS NOT NULL"),
			 0);

	/* times: the last 90 days, ids in time order, the newest within the hour */
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports WHERE received_at > %lld "
					 "OR received_at < %lld",
				     (long long)now, (long long)(now - 91LL * 86400000)),
			 0);
	assert_true(now - dd_test_int(db, "SELECT max(received_at) FROM reports") < 3600000);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports a JOIN reports b "
					 "ON b.id = a.id + 1 WHERE b.received_at < a.received_at"),
			 0);
	int64_t last_day = dd_test_int(db, "SELECT count(*) FROM reports WHERE received_at > %lld",
				       (long long)(now - 86400000));
	assert_true(last_day > NREPORTS / 50 && last_day < NREPORTS / 5);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports WHERE updated_at > %lld "
					 "OR updated_at < received_at OR assigned_at < received_at "
					 "OR resolved_at < assigned_at",
				     (long long)now),
			 0);

	/* open recent, closed old */
	assert_true(dd_test_int(db, "SELECT avg(received_at) FROM reports WHERE is_open") >
		    dd_test_int(db, "SELECT avg(received_at) FROM reports WHERE status = 'closed'"));
	/* officers of the report's district for the work */
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports WHERE status IN ('assigned', "
					 "'acknowledged', 'on_site', 'resolved', 'closed') "
					 "AND (officer_id IS NULL OR assigned_at IS NULL)"),
			 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports r JOIN officers o "
					 "ON o.id = r.officer_id WHERE o.district_id IS NOT r.district_id "
					 "OR o.is_supervisor"),
			 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports WHERE status = 'new' "
					 "AND officer_id IS NOT NULL"),
			 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports WHERE "
					 "(status = 'rejected') <> (reason IS NOT NULL)"),
			 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports WHERE "
					 "(status = 'duplicate') <> (duplicate_of IS NOT NULL)"),
			 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports r JOIN reports o "
					 "ON o.id = r.duplicate_of WHERE o.id >= r.id "
					 "OR o.category <> r.category OR o.status = 'duplicate'"),
			 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports WHERE status IN "
					 "('resolved', 'closed') AND resolved_at IS NULL"),
			 0);
	/* a few from strangers nobody has routed yet */
	assert_true(dd_test_int(db, "SELECT count(*) FROM reports WHERE district_id IS NULL "
				    "AND reporter_id IS NULL AND sender IS NOT NULL "
				    "AND sender_name IS NOT NULL") > 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports WHERE district_id IS NULL "
					 "AND status NOT IN ('new', 'rejected', 'duplicate')"),
			 0);

	/* the texts: Russian, some Kazakh, a few emoji, no template left over */
	int64_t kz = dd_test_int(db, "SELECT count(*) FROM reports WHERE instr(text, 'қ') "
				     "OR instr(text, 'ү') OR instr(text, 'ә') OR instr(text, 'ө')");
	assert_true(kz > NREPORTS * 5 / 100 && kz < NREPORTS * 30 / 100);
	assert_true(dd_test_int(db, "SELECT count(*) FROM reports "
				    "WHERE instr(text, 'подъезд') OR instr(text, 'двор')") > NREPORTS / 5);
	assert_true(dd_test_int(db, "SELECT count(*) FROM reports WHERE instr(text, 'IMEI 35')") > 0);
	assert_true(dd_test_int(db, "SELECT count(*) FROM reports WHERE instr(text, '🙏') "
				    "OR instr(text, '😡') OR instr(text, '🚨') OR instr(text, '❗')") > 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports WHERE instr(text, '{') "
					 "OR instr(text, '}') OR length(text) < 20"),
			 0);
	/* found by full-text search */
	assert_true(dd_test_int(db, "SELECT count(*) FROM reports_fts "
				    "WHERE reports_fts MATCH 'подъезде'") > 0);
	assert_int_equal(dd_test_int(db, "SELECT sum(n) FROM report_counts"), NREPORTS);
}

static void test_events_and_notifications(void **state)
{
	struct shared *sh = *state;
	dd_db *db = sh->db;
	dd_err err = {0};
	int64_t now = sh->now;
	int64_t checked, bad;
	assert_int_equal(dd_audit_verify(db, &checked, &bad, &err), DD_OK);
	assert_true(checked > NREPORTS);
	/* every report was created; a recent one's last event led it where it is */
	assert_int_equal(dd_test_int(db, "SELECT count(DISTINCT report_id) FROM events "
					 "WHERE action = 'create'"),
			 NREPORTS);
	int64_t recent = dd_test_int(db, "SELECT count(*) FROM reports WHERE received_at >= %lld",
				     (long long)(now - 2 * 86400000LL));
	assert_true(recent > NREPORTS / 40);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports r WHERE received_at >= %lld "
					 "AND status <> 'new' AND (SELECT json_extract(after, '$.status') "
					 "FROM events e WHERE e.report_id = r.id ORDER BY id DESC LIMIT 1) "
					 "IS NOT r.status",
				     (long long)(now - 2 * 86400000LL)),
			 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports r WHERE received_at >= %lld "
					 "AND version <> coalesce((SELECT max(json_extract(after, "
					 "'$.version')) FROM events e WHERE e.report_id = r.id), 1)",
				     (long long)(now - 2 * 86400000LL)),
			 0);
	/* and an open one's, however old */
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports r WHERE is_open AND "
					 "version <> coalesce((SELECT max(json_extract(after, "
					 "'$.version')) FROM events e WHERE e.report_id = r.id), 1)"),
			 0);
	/* older closed ones keep their "create" only */
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM events e JOIN reports r "
					 "ON r.id = e.report_id WHERE r.received_at < %lld "
					 "AND NOT r.is_open AND e.action <> 'create'",
				     (long long)(now - 2 * 86400000LL - 3600000)),
			 0);
	/* a recent closed report tells its whole story */
	assert_true(dd_test_int(db, "SELECT count(*) FROM reports r WHERE status = 'closed' AND "
				    "(SELECT group_concat(action, ' ') FROM (SELECT action FROM events e "
				    "WHERE e.report_id = r.id ORDER BY id)) GLOB "
				    "'create assign acknowledge *resolve close'") > 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM events WHERE actor NOT GLOB "
					 "'system' AND actor NOT GLOB 'user:*' AND actor NOT GLOB "
					 "'officer:*'"),
			 0);
	assert_true(dd_test_int(db, "SELECT count(*) FROM notes") > 0);
	/* the latest assignments wait in the outbox */
	assert_true(dd_test_int(db, "SELECT count(*) FROM outbox WHERE recipient = 'officer' "
				    "AND state = 'queued' AND kind = 'assigned'") > 0);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM outbox x JOIN reports r "
					 "ON r.id = x.report_id WHERE x.recipient = 'officer' "
					 "AND x.officer_id IS NOT r.officer_id"),
			 0);
	/* references hold and the indexes agree */
	dd_buf report = {0};
	assert_int_equal(dd_db_check(db, &report, &err), DD_OK);
	dd_buf_free(&report);
	char *v = dd_setting_get(db, "demo_seed");
	assert_string_equal(v, "1");
	free(v);
}

static void test_refuses_a_city(void **state)
{
	(void)state;
	dd_err err = {0};
	/* a database with a district */
	dd_db *db = dd_test_db();
	dd_test_city(db);
	assert_int_equal(dd_demo_build(db, 1, 10, NULL, NULL, NULL, &err), DD_EINVAL);
	assert_string_equal(err.msg, "the database already holds a city; demo needs an empty one");
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM districts"), 2);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports"), 0);
	dd_db_close(&db);

	/* a demo twice */
	db = demo_db(1, 100, NULL);
	memset(&err, 0, sizeof err);
	assert_int_equal(dd_demo_build(db, 2, 100, NULL, NULL, NULL, &err), DD_EINVAL);
	assert_string_equal(err.msg, "the database already holds a city; demo needs an empty one");
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM reports"), 100);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM officers"), 147);
	/* still usable afterwards */
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM sqlite_temp_master"), 0);
	dd_db_close(&db);

	/* users alone are no city */
	db = dd_test_db();
	dd_test_admin(db);
	assert_int_equal(dd_demo_build(db, 1, 10, NULL, NULL, NULL, &err), DD_OK);
	dd_db_close(&db);

	db = dd_test_db();
	assert_int_equal(dd_demo_build(db, 1, -1, NULL, NULL, NULL, &err), DD_EINVAL);
	assert_int_equal(dd_test_int(db, "SELECT count(*) FROM districts"), 0);
	dd_db_close(&db);
}

static char *pragma(dd_db *db, const char *name)
{
	char *sql = dd_xasprintf("PRAGMA %s", name);
	char *v = dd_test_text(db, sql);
	free(sql);
	return v;
}

/* The demo leaves the connection as it found it, and works beside another
 * program that has the database open. */
static void test_connection_restored(void **state)
{
	(void)state;
	char *path = dd_test_db_path();
	dd_db *db = NULL;
	dd_err err = {0};
	assert_int_equal(dd_db_open(&db, path, DD_DB_CREATE, &err), DD_OK);
	char *before[3] = {pragma(db, "journal_mode"), pragma(db, "cache_size"),
			   pragma(db, "temp_store")};
	assert_string_equal(before[0], "wal");
	assert_int_equal(dd_demo_build(db, 3, 500, NULL, NULL, NULL, &err), DD_OK);
	const char *names[3] = {"journal_mode", "cache_size", "temp_store"};
	for (int i = 0; i < 3; i++) {
		char *v = pragma(db, names[i]);
		assert_string_equal(v, before[i]);
		free(v);
		free(before[i]);
	}
	dd_db_close(&db);

	char *other_path = dd_test_db_path();
	assert_int_equal(dd_db_open(&db, other_path, DD_DB_CREATE, &err), DD_OK);
	dd_db *other = NULL;
	assert_int_equal(dd_db_open(&other, other_path, 0, &err), DD_OK);
	assert_int_equal(dd_test_int(other, "SELECT count(*) FROM districts"), 0);
	assert_int_equal(dd_demo_build(db, 3, 500, NULL, NULL, NULL, &err), DD_OK);
	char *v = pragma(db, "journal_mode");
	assert_string_equal(v, "wal");
	free(v);
	assert_int_equal(dd_test_int(other, "SELECT count(*) FROM reports"), 500);
	dd_db_close(&other);
	dd_db_close(&db);
	free(path);
	free(other_path);
}

static void test_progress(void **state)
{
	struct shared *sh = *state;
	/* every 10,000 and after the last */
	assert_int_equal(sh->progress.calls, 2);
	assert_int_equal(sh->progress.last_done, NREPORTS);
	assert_int_equal(sh->progress.last_total, NREPORTS);
}

int main(void)
{
	setenv("DUTYDESK_NOW", NOW, 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_makes_the_database),
		cmocka_unit_test(test_city_does_not_depend_on_reports),
		cmocka_unit_test(test_the_city),
		cmocka_unit_test(test_the_reports),
		cmocka_unit_test(test_events_and_notifications),
		cmocka_unit_test(test_refuses_a_city),
		cmocka_unit_test(test_connection_restored),
		cmocka_unit_test(test_progress),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
