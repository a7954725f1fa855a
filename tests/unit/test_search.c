/* Full-text search over reports (text, reporter, organisation) and the
 * maintained counts. */
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
#include "dutydesk/registry.h"
#include "dutydesk/report.h"

struct fx {
	dd_db *db;
	dd_actor disp, sup;
};

static int64_t add(struct fx *f, const char *district, const char *phone, const char *text)
{
	dd_report_in in = {.district = district, .reporter_phone = phone, .text = text};
	int64_t id = 0;
	dd_err err = {0};
	if (dd_report_create(f->db, &f->disp, &in, &id, &err))
		fail_msg("create: %s", err.msg);
	return id;
}

/* Reports 1..4: a KSK's (reporter and organisation known), two in Kazakh,
 * and one from an unknown sender with a name and an address. */
static int setup(void **state)
{
	struct fx *f = dd_xcalloc(1, sizeof *f);
	f->db = dd_test_db();
	dd_test_city(f->db);
	f->disp = dd_test_actor(f->db, DD_ROLE_DISPATCHER);
	f->sup = dd_test_actor(f->db, DD_ROLE_SUPERVISOR);
	assert_int_equal(add(f, NULL, "77010000001", "В подъезде курят, окурки на лестнице"), 1);
	assert_int_equal(add(f, "D1", NULL, "Қоқыс шығарылмаған, әже шағымданды"), 2);
	assert_int_equal(add(f, "D2", NULL, "Үй ішінде шу, көршілер ұйықтай алмайды"), 3);
	dd_report_in in = {.channel = "whatsapp", .external_id = "wamid.4", .sender = "77059998877",
			   .sender_name = "Алия", .address = "ул. Ленина, 5",
			   .text = "Собака лает всю ночь"};
	dd_err err = {0};
	if (dd_report_create(f->db, &f->disp, &in, NULL, &err))
		fail_msg("%s", err.msg);
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

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The ids a search finds (with an optional district), ascending, as "1 3";
 * the status of the call in *st. */
static char *found_in(struct fx *f, const char *district, const char *q, dd_status *st,
		      dd_err *err)
{
	dd_report_filter flt = {.search = q, .district = district};
	dd_report *list;
	size_t n;
	memset(err, 0, sizeof *err);
	*st = dd_report_page(f->db, &flt, 0, 100, &list, &n, err);
	int64_t ids[100];
	for (size_t i = 0; i < n && i < 100; i++)
		ids[i] = list[i].id;
	qsort(ids, n, sizeof *ids, cmp_id);
	dd_buf b = {0};
	dd_buf_adds(&b, "");
	for (size_t i = 0; i < n; i++)
		dd_buf_printf(&b, "%s%lld", i ? " " : "", (long long)ids[i]);
	dd_report_list_free(&list, n);
	return dd_buf_take(&b);
}

static void expect_found(struct fx *f, const char *q, const char *want)
{
	dd_status st;
	dd_err err;
	char *got = found_in(f, NULL, q, &st, &err);
	char copy[200];
	snprintf(copy, sizeof copy, "%s", got);
	free(got); /* before failing: a failed test must not leak */
	if (st != DD_OK)
		fail_msg("search '%s' failed: %s", q, err.msg);
	if (strcmp(copy, want) != 0)
		fail_msg("search '%s': want '%s', got '%s'", q, want, copy);
}

static void test_russian_search_ignores_case(void **state)
{
	struct fx *f = *state;
	expect_found(f, "курят", "1");
	expect_found(f, "КУРЯТ", "1");
	expect_found(f, "Курят", "1");
	expect_found(f, "ЛЕСТНИЦЕ", "1");
	expect_found(f, "собака", "4");
}

static void test_kazakh_search_ignores_case(void **state)
{
	struct fx *f = *state;
	expect_found(f, "қоқыс", "2");
	expect_found(f, "ҚОҚЫС", "2");
	expect_found(f, "ӘЖЕ", "2");
	expect_found(f, "әже", "2");
	expect_found(f, "Үй", "3");
	expect_found(f, "үй", "3");
	expect_found(f, "ІШІНДЕ", "3");
	expect_found(f, "ішінде", "3");
	expect_found(f, "ҰЙЫҚТАЙ", "3");
	expect_found(f, "КӨРШІЛЕР", "3");
}

static void test_words_match_as_prefixes(void **state)
{
	struct fx *f = *state;
	expect_found(f, "подъезд", "1");
	expect_found(f, "под", "1");
	expect_found(f, "окурк", "1");
	expect_found(f, "подъездом", ""); /* longer than the word: no match */
	expect_found(f, "шығар", "2");
}

static void test_reporter_org_sender_and_address_are_searched(void **state)
{
	struct fx *f = *state;
	expect_found(f, "Жулдыз", "1");
	expect_found(f, "ЖУЛДЫЗ", "1");
	expect_found(f, "КСК", "1");
	expect_found(f, "Петров", "1");
	expect_found(f, "77010000001", "1");
	expect_found(f, "Алия", "4");
	expect_found(f, "Ленина", "4");
	/* A new report from the same KSK is found by it too. */
	add(f, NULL, "77010000001", "Шум в подвале");
	expect_found(f, "Жулдыз", "1 5");
}

static void test_all_words_must_match(void **state)
{
	struct fx *f = *state;
	expect_found(f, "курят подъезде", "1");
	expect_found(f, "  курят\tподъезде  ", "1");
	expect_found(f, "курят собака", "");
	expect_found(f, "Жулдыз окурки", "1"); /* one word in who, one in the text */
	expect_found(f, "Жулдыз собака", "");
	expect_found(f, "", "1 2 3 4"); /* nothing typed: no search */
}

static void test_search_combines_with_district_filter(void **state)
{
	struct fx *f = *state;
	dd_status st;
	dd_err err;
	char *got = found_in(f, "D2", "шу", &st, &err);
	assert_int_equal(st, DD_OK);
	assert_string_equal(got, "3");
	free(got);
	got = found_in(f, "D1", "шу", &st, &err);
	assert_int_equal(st, DD_OK);
	assert_string_equal(got, "");
	free(got);
}

static void test_fts_syntax_in_query_is_harmless(void **state)
{
	struct fx *f = *state;
	const char *queries[] = {
		"\"", "\"\"", "\"курят", "курят\"", "'", "*", "**", "курят*", "(", ")", "(курят)",
		"NEAR(курят подъезде)", "NEAR", "AND", "OR", "NOT", "курят AND собака",
		"курят OR собака", "курят NOT подъезде", "-курят", "+", "^курят", "text:курят",
		"who:Петров", "{text who}:курят", ":", "курят:", "\\", "%", "_", ";", "--", "/*",
		"' OR 1=1 --", "\x01", "курят \"подъезде\"",
	};
	for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
		dd_status st;
		dd_err err;
		free(found_in(f, NULL, queries[i], &st, &err));
		if (st != DD_OK)
			fail_msg("search '%s' failed: %s", queries[i], err.msg);
	}
	/* Operators are words to look for, not operators. */
	expect_found(f, "курят OR собака", "");
	expect_found(f, "курят AND подъезде", "");
	expect_found(f, "(курят)", "1");
	expect_found(f, "\"курят\"", "1");
	expect_found(f, "курят*", "1");
}

static void test_text_edit_updates_the_index(void **state)
{
	struct fx *f = *state;
	dd_test_exec(f->db, "UPDATE reports SET text = 'Машина во дворе' WHERE id = 1");
	expect_found(f, "курят", "");
	expect_found(f, "машина", "1");
	expect_found(f, "Жулдыз", "1"); /* who it came from is still indexed */
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM reports_fts"),
			 dd_test_int(f->db, "SELECT count(*) FROM reports"));

	/* Linking the report to another reporter re-indexes who sent it. */
	dd_test_exec(f->db, "UPDATE reports SET reporter_id = NULL, org_id = NULL WHERE id = 1");
	expect_found(f, "Жулдыз", "");
	expect_found(f, "Петров", "");
	dd_test_exec(f->db, "UPDATE reports SET reporter_id = 1 WHERE id = 4");
	expect_found(f, "Петров", "4");
	expect_found(f, "Алия", "4");

	/* Lifecycle changes leave the index alone. */
	dd_change c = {.action = DD_ACT_ASSIGN, .report = 2, .officer = "B1"};
	dd_err err = {0};
	assert_int_equal(dd_report_apply(f->db, &f->disp, &c, NULL, &err), DD_OK);
	expect_found(f, "қоқыс", "2");
}

static void test_search_pages_are_disjoint_and_complete(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 7; i++)
		add(f, "D1", NULL, "Опять курят у лифта");
	dd_report_filter flt = {.search = "курят"};
	int64_t seen[16];
	size_t nseen = 0;
	dd_err err = {0};
	for (int64_t off = 0; off < 12; off += 3) {
		dd_report *list;
		size_t n;
		assert_int_equal(dd_report_page(f->db, &flt, off, 3, &list, &n, &err), DD_OK);
		assert_true(n <= 3);
		for (size_t i = 0; i < n; i++) {
			for (size_t j = 0; j < nseen; j++)
				assert_int_not_equal(seen[j], list[i].id);
			assert_non_null(strstr(list[i].text, "курят"));
			seen[nseen++] = list[i].id;
		}
		dd_report_list_free(&list, n);
	}
	assert_int_equal(nseen, 8); /* report 1 and the seven new ones */
}

/* The index follows a reporter's name when the registry corrects it. */
static void test_renamed_reporter_is_found_by_new_name(void **state)
{
	struct fx *f = *state;
	dd_err err = {0};
	dd_reporter r = {.name = "Сидоров Пётр", .phone = "77010000001", .org = "КСК Жулдыз",
			 .verified = true};
	assert_int_equal(dd_db_begin(f->db, &err), DD_OK);
	assert_int_equal(dd_reporter_put(f->db, &r, -1, NULL, &err), DD_OK);
	assert_int_equal(dd_db_commit(f->db, &err), DD_OK);
	dd_report rep;
	assert_int_equal(dd_report_get(f->db, 1, &rep, &err), DD_OK);
	assert_string_equal(rep.reporter_name, "Сидоров Пётр");
	dd_report_clear(&rep);
	expect_found(f, "Сидоров", "1");
	expect_found(f, "Петров", "");
}

/* Counts from dd_report_counts for (district code or NULL, status). */
static int64_t counted(const dd_report_count *c, size_t n, const char *district,
		       dd_report_status s)
{
	for (size_t i = 0; i < n; i++)
		if ((!district && !c[i].district) ||
		    (district && c[i].district && strcmp(c[i].district, district) == 0))
			return c[i].n[s];
	return 0;
}

static void expect_counts_match_reports(struct fx *f)
{
	dd_report_count *c;
	size_t n;
	dd_err err = {0};
	assert_int_equal(dd_report_counts(f->db, &c, &n, &err), DD_OK);
	const char *districts[] = {"D1", "D2", NULL};
	int64_t total = 0;
	for (size_t d = 0; d < 3; d++)
		for (int s = 0; s < DD_RS_COUNT; s++) {
			int64_t want = dd_test_int(
				f->db,
				"SELECT count(*) FROM reports WHERE status = %Q AND district_id IS "
				"(SELECT id FROM districts WHERE code = %Q)",
				dd_rs_code((dd_report_status)s), districts[d]);
			int64_t got = counted(c, n, districts[d], (dd_report_status)s);
			if (got != want)
				fail_msg("%s/%s: counted %lld, reports hold %lld",
					 districts[d] ? districts[d] : "unrouted",
					 dd_rs_code((dd_report_status)s), (long long)got,
					 (long long)want);
			total += got;
		}
	assert_int_equal(total, dd_test_int(f->db, "SELECT count(*) FROM reports"));
	/* Groups come out once each, and only with something in them. */
	for (size_t i = 0; i < n; i++) {
		int64_t sum = 0;
		for (int s = 0; s < DD_RS_COUNT; s++)
			sum += c[i].n[s];
		assert_true(sum > 0);
		for (size_t j = i + 1; j < n; j++)
			assert_false((!c[i].district && !c[j].district) ||
				     (c[i].district && c[j].district &&
				      strcmp(c[i].district, c[j].district) == 0));
	}
	/* The same as a GROUP BY over the reports. */
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM (SELECT coalesce(district_id, 0), "
					    "status FROM reports GROUP BY 1, 2)"),
			 dd_test_int(f->db, "SELECT count(*) FROM report_counts WHERE n > 0"));
	dd_report_counts_free(&c, n);
}

static void ok(struct fx *f, const dd_actor *a, dd_change c)
{
	dd_err err = {0};
	if (dd_report_apply(f->db, a, &c, NULL, &err))
		fail_msg("%s on #%lld: %s", dd_action_code(c.action), (long long)c.report, err.msg);
}

static void test_counts_match_the_reports_through_creates_and_transitions(void **state)
{
	struct fx *f = *state;
	expect_counts_match_reports(f);
	for (int i = 0; i < 6; i++)
		add(f, i % 3 == 0 ? "D1" : i % 3 == 1 ? "D2" : NULL, NULL, "ещё");
	expect_counts_match_reports(f);
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = 2, .officer = "B1"});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = 3, .officer = "B3"});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_RESOLVE, .report = 3});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_CLOSE, .report = 3});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_REJECT, .report = 5, .text = "спам"});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_DUPLICATE, .report = 6, .duplicate_of = 5});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_DISTRICT, .report = 4, .district = "D2"});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_DISTRICT, .report = 2, .district = NULL});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_PRIORITY, .report = 7, .priority = 1});
	ok(f, &f->sup, (dd_change){.action = DD_ACT_REOPEN, .report = 3});
	ok(f, &f->sup, (dd_change){.action = DD_ACT_REOPEN, .report = 5});
	expect_counts_match_reports(f);

	/* A refused change changes no count. */
	dd_change c = {.action = DD_ACT_CLOSE, .report = 1};
	dd_err err = {0};
	assert_int_equal(dd_report_apply(f->db, &f->disp, &c, NULL, &err), DD_ESTATE);
	expect_counts_match_reports(f);

	/* Spot checks of the figures themselves. */
	dd_report_count *cs;
	size_t n;
	assert_int_equal(dd_report_counts(f->db, &cs, &n, &err), DD_OK);
	assert_int_equal(counted(cs, n, NULL, DD_RS_ASSIGNED), 1); /* #2, moved out of D1 */
	assert_int_equal(counted(cs, n, "D2", DD_RS_ASSIGNED), 1); /* #3, reopened */
	assert_int_equal(counted(cs, n, "D2", DD_RS_CLOSED), 0);
	dd_report_counts_free(&cs, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_russian_search_ignores_case),
		T(test_kazakh_search_ignores_case),
		T(test_words_match_as_prefixes),
		T(test_reporter_org_sender_and_address_are_searched),
		T(test_all_words_must_match),
		T(test_search_combines_with_district_filter),
		T(test_fts_syntax_in_query_is_harmless),
		T(test_search_pages_are_disjoint_and_complete),
		T(test_text_edit_updates_the_index),
		T(test_renamed_reporter_is_found_by_new_name),
		T(test_counts_match_the_reports_through_creates_and_transitions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
