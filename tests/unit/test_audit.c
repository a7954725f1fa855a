/* The audit trail: append-only events chained by SHA-256. */
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
#include "dutydesk/report.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

struct fx {
	dd_db *db;
	dd_actor disp, sup;
};

static int setup(void **state)
{
	struct fx *f = dd_xcalloc(1, sizeof *f);
	f->db = dd_test_db();
	dd_test_city(f->db);
	f->disp = dd_test_actor(f->db, DD_ROLE_DISPATCHER);
	f->sup = dd_test_actor(f->db, DD_ROLE_SUPERVISOR);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	dd_db_close(&f->db);
	free(f);
	return 0;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static int64_t new_report(struct fx *f, const char *text)
{
	dd_report_in in = {.district = "D1", .category = "smoking", .text = text};
	int64_t id = 0;
	dd_err err = {0};
	if (dd_report_create(f->db, &f->disp, &in, &id, &err))
		fail_msg("create: %s", err.msg);
	return id;
}

static void ok(struct fx *f, const dd_actor *a, dd_change c)
{
	dd_err err = {0};
	if (dd_report_apply(f->db, a, &c, NULL, &err))
		fail_msg("%s: %s", dd_action_code(c.action), err.msg);
}

/* Three reports through a mix of actions and people; returns the number of
 * events written. */
static int64_t some_history(struct fx *f)
{
	int64_t a = new_report(f, "В подъезде курят");
	int64_t b = new_report(f, "Қоқыс шығарылмаған");
	int64_t c = new_report(f, "Шум ночью");
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = a, .officer = "B1"});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_NOTE, .report = b, .text = "Позвонили"});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ACKNOWLEDGE, .report = a});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_REJECT, .report = c, .text = "не наше"});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_PRIORITY, .report = b, .priority = 1});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_RESOLVE, .report = a});
	ok(f, &f->sup, (dd_change){.action = DD_ACT_REOPEN, .report = c});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_DISTRICT, .report = b, .district = "D2"});
	return 3 + 8;
}

static void expect_verified(struct fx *f, int64_t n)
{
	int64_t checked = -1, bad = -1;
	dd_err err = {0};
	dd_status s = dd_audit_verify(f->db, &checked, &bad, &err);
	if (s)
		fail_msg("verify: %s", err.msg);
	assert_int_equal(checked, n);
	assert_int_equal(bad, 0);
}

/* Verifying must fail at event id with a message containing what. */
static void expect_broken(struct fx *f, int64_t id, const char *what)
{
	int64_t checked = -1, bad = -1;
	dd_err err = {0};
	assert_int_equal(dd_audit_verify(f->db, &checked, &bad, &err), DD_EDB);
	assert_int_equal(err.status, DD_EDB);
	assert_int_equal(bad, id);
	char at[64];
	snprintf(at, sizeof at, "audit trail broken at event %lld", (long long)id);
	if (!strstr(err.msg, at) || !strstr(err.msg, what))
		fail_msg("message '%s' should name event %lld and say '%s'", err.msg, (long long)id,
			 what);
	assert_true(checked >= 1);
}

static int raw(struct fx *f, const char *sql, char **msg)
{
	*msg = NULL;
	return sqlite3_exec(f->db->h, sql, NULL, NULL, msg);
}

static void test_empty_trail_verifies(void **state)
{
	struct fx *f = *state;
	expect_verified(f, 0);
}

static void test_chain_of_actions_verifies_and_links_each_event(void **state)
{
	struct fx *f = *state;
	int64_t n = some_history(f);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM events"), n);
	expect_verified(f, n);
	/* Consecutive ids, the first links to the genesis, each to the one before. */
	assert_int_equal(dd_test_int(f->db, "SELECT max(id) - min(id) + 1 FROM events"), n);
	char *first = dd_test_text(f->db, "SELECT prev_hash FROM events ORDER BY id LIMIT 1");
	assert_string_equal(first, GENESIS);
	free(first);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM events e JOIN events p ON p.id = "
					    "e.id - 1 WHERE e.prev_hash = p.hash"),
			 n - 1);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM events WHERE length(hash) = 64 AND "
					    "hash NOT GLOB '*[^0-9a-f]*'"),
			 n);
	assert_int_equal(dd_test_int(f->db, "SELECT count(DISTINCT hash) FROM events"), n);
}

static void test_chain_continues_across_reopening(void **state)
{
	struct fx *f = *state;
	int64_t n = some_history(f);
	char *path = dd_xstrdup(dd_db_path(f->db));
	dd_db_close(&f->db);
	dd_err err = {0};
	assert_int_equal(dd_db_open(&f->db, path, 0, &err), DD_OK);
	free(path);
	ok(f, &f->disp, (dd_change){.action = DD_ACT_NOTE, .report = 1, .text = "после перезапуска"});
	expect_verified(f, n + 1);
}

static void test_events_refuse_update_and_delete(void **state)
{
	struct fx *f = *state;
	int64_t n = some_history(f);
	char *before = dd_test_text(f->db, "SELECT after FROM events WHERE id = 2");
	char *msg;
	assert_int_not_equal(raw(f, "UPDATE events SET after = '{}' WHERE id = 2", &msg), SQLITE_OK);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "append-only"));
	sqlite3_free(msg);
	assert_int_not_equal(raw(f, "DELETE FROM events WHERE id = 2", &msg), SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	sqlite3_free(msg);
	assert_int_not_equal(raw(f, "DELETE FROM events", &msg), SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	sqlite3_free(msg);

	char *now = dd_test_text(f->db, "SELECT after FROM events WHERE id = 2");
	assert_string_equal(now, before);
	free(now);
	free(before);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM events"), n);
	expect_verified(f, n);
}

static void test_altered_event_is_detected_where_it_was_altered(void **state)
{
	struct fx *f = *state;
	int64_t n = some_history(f);
	int64_t mid = n / 2;
	dd_test_exec(f->db, "DROP TRIGGER events_no_update");
	char sql[200];
	snprintf(sql, sizeof sql,
		 "UPDATE events SET after = replace(after, '\"version\":', '\"version\":1') WHERE id = %lld",
		 (long long)mid);
	dd_test_exec(f->db, sql);
	assert_int_equal(dd_test_int(f->db, "SELECT changes()"), 1);
	expect_broken(f, mid, "contents do not match");
	int64_t checked, bad;
	assert_int_equal(dd_audit_verify(f->db, &checked, &bad, NULL), DD_EDB);
	assert_int_equal(checked, mid); /* stopped at the altered one */
}

static void test_every_hashed_field_is_covered(void **state)
{
	const char *edits[] = {
		"actor = 'user:someone_else'",
		"action = 'close'",
		"at = at + 1",
		"report_id = 3 - report_id", /* event 8 is about report 2 */
		"before = coalesce(before, '') || ' '",
		"after = NULL",
	};
	for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
		struct fx *f = NULL;
		setup((void **)&f);
		int64_t n = some_history(f);
		int64_t id = n - 3;
		assert_int_equal(id, 8);
		dd_test_exec(f->db, "DROP TRIGGER events_no_update");
		char sql[200];
		snprintf(sql, sizeof sql, "UPDATE events SET %s WHERE id = %lld", edits[i], (long long)id);
		dd_test_exec(f->db, sql);
		assert_int_equal(dd_test_int(f->db, "SELECT changes()"), 1);
		expect_broken(f, id, "contents do not match");
		teardown((void **)&f);
	}
}

static void test_null_before_differs_from_empty_before(void **state)
{
	struct fx *f = *state;
	new_report(f, "x");
	dd_test_exec(f->db, "DROP TRIGGER events_no_update");
	assert_int_equal(dd_test_int(f->db, "SELECT before IS NULL FROM events WHERE id = 1"), 1);
	dd_test_exec(f->db, "UPDATE events SET before = '' WHERE id = 1");
	expect_broken(f, 1, "contents do not match");
}

static void test_removed_event_breaks_the_link_of_the_next(void **state)
{
	struct fx *f = *state;
	int64_t n = some_history(f);
	int64_t mid = n / 2;
	dd_test_exec(f->db, "DROP TRIGGER events_no_delete");
	char sql[100];
	snprintf(sql, sizeof sql, "DELETE FROM events WHERE id = %lld", (long long)mid);
	dd_test_exec(f->db, sql);
	expect_broken(f, mid + 1, "does not follow");
}

static void test_removed_first_event_is_detected(void **state)
{
	struct fx *f = *state;
	some_history(f);
	dd_test_exec(f->db, "DROP TRIGGER events_no_delete");
	dd_test_exec(f->db, "DELETE FROM events WHERE id = 1");
	expect_broken(f, 2, "does not follow");
}

static void test_forged_event_is_detected(void **state)
{
	struct fx *f = *state;
	int64_t n = some_history(f);
	/* Appended after the last one, linked right, but with a made-up hash. */
	char sql[600];
	snprintf(sql, sizeof sql,
		 "INSERT INTO events(id, at, report_id, actor, action, before, after, prev_hash, hash) "
		 "SELECT %lld, at + 1, 1, 'user:t_supervisor', 'close', NULL, '{}', hash, "
		 "'%s' FROM events WHERE id = %lld",
		 (long long)n + 1,
		 "deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef", (long long)n);
	dd_test_exec(f->db, sql);
	expect_broken(f, n + 1, "contents do not match");
}

static void test_forged_link_is_detected(void **state)
{
	struct fx *f = *state;
	int64_t n = some_history(f);
	char sql[600];
	snprintf(sql, sizeof sql,
		 "INSERT INTO events(id, at, report_id, actor, action, before, after, prev_hash, hash) "
		 "VALUES (%lld, 1, 1, 'system', 'close', NULL, NULL, '%s', '%s')",
		 (long long)n + 1, GENESIS, GENESIS);
	dd_test_exec(f->db, sql);
	expect_broken(f, n + 1, "does not follow");
}

static void test_events_record_actor_action_and_changed_fields(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, "В подъезде курят");
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = id, .officer = "B1"});
	dd_actor b1 = {.kind = DD_ACTOR_OFFICER, .role = DD_ROLE_NONE,
		       .id = dd_test_int(f->db, "SELECT id FROM officers WHERE badge = 'B1'")};
	snprintf(b1.login, sizeof b1.login, "B1");
	ok(f, &b1, (dd_change){.action = DD_ACT_ACKNOWLEDGE, .report = id});
	dd_actor sys = dd_actor_system();
	ok(f, &sys, (dd_change){.action = DD_ACT_NOTE, .report = id, .text = "Напоминание"});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_CATEGORY, .report = id, .category = "noise"});

	dd_event *ev;
	size_t n;
	dd_err err = {0};
	assert_int_equal(dd_report_events(f->db, id, &ev, &n, &err), DD_OK);
	assert_int_equal(n, 5);
	for (size_t i = 1; i < n; i++)
		assert_true(ev[i].id > ev[i - 1].id && ev[i].at >= ev[i - 1].at);

	assert_string_equal(ev[0].actor, "user:t_dispatcher");
	assert_string_equal(ev[0].action, "create");
	assert_null(ev[0].before);
	assert_string_equal(ev[0].after, "{\"category\":\"smoking\",\"channel\":\"desk\","
					 "\"district\":\"D1\",\"priority\":3,\"status\":\"new\"}");

	assert_string_equal(ev[1].actor, "user:t_dispatcher");
	assert_string_equal(ev[1].action, "assign");
	assert_string_equal(ev[1].before, "{\"officer\":null,\"status\":\"new\"}");
	assert_string_equal(ev[1].after,
			    "{\"officer\":\"B1\",\"status\":\"assigned\",\"version\":2}");

	assert_string_equal(ev[2].actor, "officer:B1");
	assert_string_equal(ev[2].action, "acknowledge");
	assert_string_equal(ev[2].before, "{\"status\":\"assigned\"}");
	assert_string_equal(ev[2].after, "{\"status\":\"acknowledged\",\"version\":3}");

	assert_string_equal(ev[3].actor, "system");
	assert_string_equal(ev[3].action, "note");
	assert_string_equal(ev[3].before, "{}");
	/* Non-ASCII is escaped, so the stored JSON is the same bytes everywhere. */
	assert_string_equal(ev[3].after, "{\"note\":\"\\u041D\\u0430\\u043F\\u043E\\u043C\\u0438"
					 "\\u043D\\u0430\\u043D\\u0438\\u0435\",\"version\":4}");

	assert_string_equal(ev[4].action, "category");
	assert_string_equal(ev[4].before, "{\"category\":\"smoking\"}");
	assert_string_equal(ev[4].after, "{\"category\":\"noise\",\"version\":5}");
	dd_event_list_free(&ev, n);
	expect_verified(f, 5);
}

static void test_refused_action_writes_no_event(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, "x");
	dd_change c = {.action = DD_ACT_CLOSE, .report = id};
	dd_err err = {0};
	assert_int_equal(dd_report_apply(f->db, &f->disp, &c, NULL, &err), DD_ESTATE);
	c = (dd_change){.action = DD_ACT_PRIORITY, .report = id, .priority = 9};
	assert_int_equal(dd_report_apply(f->db, &f->disp, &c, NULL, &err), DD_EINVAL);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM events"), 1);
	expect_verified(f, 1);
}

static void test_append_links_events_written_directly(void **state)
{
	struct fx *f = *state;
	dd_err err = {0};
	int64_t e1 = 0, e2 = 0;
	assert_int_equal(dd_db_begin(f->db, &err), DD_OK);
	assert_int_equal(dd_audit_append(f->db, &f->sup, 0, "import", NULL, NULL, &e1, &err), DD_OK);
	assert_int_equal(dd_audit_append(f->db, &f->sup, 0, "import", "{\"a\":1}", "{\"a\":2}", &e2,
					 &err),
			 DD_OK);
	assert_int_equal(dd_db_commit(f->db, &err), DD_OK);
	assert_int_equal(e1, 1);
	assert_int_equal(e2, 2);
	assert_int_equal(dd_test_int(f->db, "SELECT report_id IS NULL FROM events WHERE id = 1"), 1);
	assert_int_equal(dd_test_int(f->db, "SELECT (SELECT prev_hash FROM events WHERE id = 2) = "
					    "(SELECT hash FROM events WHERE id = 1)"),
			 1);
	char *actor = dd_test_text(f->db, "SELECT actor FROM events WHERE id = 2");
	assert_string_equal(actor, "user:t_supervisor");
	free(actor);
	expect_verified(f, 2);
	/* A rolled-back append leaves no trace and no gap. */
	assert_int_equal(dd_db_begin(f->db, &err), DD_OK);
	assert_int_equal(dd_audit_append(f->db, &f->sup, 0, "x", NULL, NULL, NULL, &err), DD_OK);
	dd_db_rollback(f->db);
	new_report(f, "y");
	assert_int_equal(dd_test_int(f->db, "SELECT max(id) FROM events"), 3);
	expect_verified(f, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_empty_trail_verifies),
		T(test_chain_of_actions_verifies_and_links_each_event),
		T(test_chain_continues_across_reopening),
		T(test_events_refuse_update_and_delete),
		T(test_altered_event_is_detected_where_it_was_altered),
		cmocka_unit_test(test_every_hashed_field_is_covered),
		T(test_null_before_differs_from_empty_before),
		T(test_removed_event_breaks_the_link_of_the_next),
		T(test_removed_first_event_is_detected),
		T(test_forged_event_is_detected),
		T(test_forged_link_is_detected),
		T(test_events_record_actor_action_and_changed_fields),
		T(test_refused_action_writes_no_event),
		T(test_append_links_events_written_directly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
