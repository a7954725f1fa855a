/* Limit patterns: the parser, its errors, the normalised text, the fold,
 * and what each term selects through dd_report_page. */
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
#include "../../src/core/pattern_sql.h"
#include "dutydesk/clock.h"
#include "dutydesk/pattern.h"
#include "dutydesk/report.h"

/* ---- parsing ------------------------------------------------------------ */

/* Parses text, which must be good, and returns its normalised text; the
 * normalised text must parse to the same pattern. */
static char *normalised(const char *text)
{
	dd_pattern *p = NULL;
	dd_err err = {0};
	size_t pos = 99;
	if (dd_pattern_parse(text, &p, &pos, &err))
		fail_msg("'%s' should parse: %s", text, err.msg);
	char *norm = dd_pattern_text(p);
	dd_pattern_free(&p);
	assert_null(p);
	if (dd_pattern_parse(norm, &p, &pos, &err))
		fail_msg("the normalised '%s' (of '%s') should parse: %s", norm, text, err.msg);
	char *again = dd_pattern_text(p);
	dd_pattern_free(&p);
	if (strcmp(again, norm) != 0)
		fail_msg("'%s' normalised to '%s', which reads back as '%s'", text, norm, again);
	free(again);
	return norm;
}

static void expect_norm(const char *text, const char *want)
{
	char *got = normalised(text);
	char copy[400];
	snprintf(copy, sizeof copy, "%s", got);
	free(got);
	if (strcmp(copy, want) != 0)
		fail_msg("'%s': want '%s', got '%s'", text, want, copy);
}

static void test_each_term_parses(void **state)
{
	(void)state;
	expect_norm("~s new", "~s new");
	expect_norm("~s  NEW", "~s new");
	expect_norm("~snew", "~s new");
	expect_norm("~s on_site", "~s on_site");
	expect_norm("~s open", "~s open");
	expect_norm("~d D1", "~d D1");
	expect_norm("~d d1", "~d d1");
	expect_norm("~d NONE", "~d none");
	expect_norm("~c smoking", "~c smoking");
	expect_norm("~p 2", "~p 2");
	expect_norm("~p <3", "~p <3");
	expect_norm("~p >1", "~p >1");
	expect_norm("~p 2-3", "~p 2-3");
	expect_norm("~p 4-4", "~p 4-4");
	expect_norm("~o B1", "~o B1");
	expect_norm("~o иванов", "~o иванов");
	expect_norm("~r Жулдыз", "~r Жулдыз");
	expect_norm("~a >30m", "~a >30m");
	expect_norm("~a <2h", "~a <2h");
	expect_norm("~a >007d", "~a >7d");
	expect_norm("~a <1w", "~a <1w");
	expect_norm("~u", "~u");
	expect_norm("~t", "~t");
	expect_norm("курят", "курят");
	expect_norm("ул.Ленина,5", "ул.Ленина,5");
	expect_norm("\"курят подростки\"", "\"курят подростки\"");
	expect_norm("\"курят\"", "\"курят\"");
}

static void test_values_are_quoted_where_needed(void **state)
{
	(void)state;
	expect_norm("~r \"КСК Жулдыз\"", "~r \"КСК Жулдыз\"");
	expect_norm("~r \"Жулдыз\"", "~r Жулдыз");
	expect_norm("~o \"~x\"", "~o \"~x\"");
	expect_norm("~o \"!x\"", "~o \"!x\"");
	expect_norm("~r \"a(b)|c\"", "~r \"a(b)|c\"");
	expect_norm("~r \"say \\\"hi\\\"\"", "~r \"say \\\"hi\\\"\"");
	expect_norm("~r \"back\\\\slash\"", "~r back\\slash");
	expect_norm("~r back\\slash", "~r back\\slash"); /* bare: the backslash is itself */
	expect_norm("\"он сказал \\\"стой\\\"\"", "\"он сказал \\\"стой\\\"\"");
	expect_norm("a!b c~d", "a!b c~d"); /* '!' and '~' only lead a token */
}

static void test_precedence_and_nesting(void **state)
{
	(void)state;
	/* AND binds tighter than |: the same tree with or without parentheses */
	expect_norm("a | b c", "a | b c");
	expect_norm("a | (b c)", "a | b c");
	expect_norm("(a | b) c", "(a | b) c");
	expect_norm("a (b | c)", "a (b | c)");
	/* groups of the same kind merge */
	expect_norm("(a b) c", "a b c");
	expect_norm("a (b (c d))", "a b c d");
	expect_norm("a | (b | c)", "a | b | c");
	expect_norm("((~s new))", "~s new");
	/* ! takes one operand */
	expect_norm("!a b", "!a b");
	expect_norm("!(a b)", "!(a b)");
	expect_norm("!(a | b) c", "!(a | b) c");
	expect_norm("!!~u", "!!~u");
	expect_norm("! ~u", "!~u");
	/* no spaces needed around operators */
	expect_norm("~s new|~s closed", "~s new | ~s closed");
	expect_norm("~u(~s new|~s assigned)!~t", "~u (~s new | ~s assigned) !~t");
	expect_norm("  ~d D1\t~p 1  ", "~d D1 ~p 1");
	expect_norm("~r Петров | ~o Иванов !\"ёлка\"", "~r Петров | ~o Иванов !\"ёлка\"");
}

static void test_uses_tags(void **state)
{
	(void)state;
	dd_pattern *p;
	dd_err err;
	assert_int_equal(dd_pattern_parse("~s new (a | !~t)", &p, NULL, &err), DD_OK);
	assert_true(dd_pattern_uses_tags(p));
	dd_pattern_free(&p);
	assert_int_equal(dd_pattern_parse("~s new (a | !~u)", &p, NULL, &err), DD_OK);
	assert_false(dd_pattern_uses_tags(p));
	dd_pattern_free(&p);
	assert_false(dd_pattern_uses_tags(NULL));
}

/* text must fail with exactly msg, at byte offset pos. */
static void expect_bad(const char *text, const char *msg, size_t pos)
{
	dd_pattern *p = (dd_pattern *)1;
	dd_err err = {0};
	size_t at = 9999;
	dd_status st = dd_pattern_parse(text, &p, &at, &err);
	if (st != DD_EINVAL)
		fail_msg("'%s' should fail, got status %d", text, (int)st);
	assert_null(p);
	if (strcmp(err.msg, msg) != 0)
		fail_msg("'%s':\n want '%s'\n got  '%s'", text, msg, err.msg);
	if (at != pos)
		fail_msg("'%s': want byte offset %zu, got %zu", text, pos, at);
	assert_int_equal(err.status, DD_EINVAL);
}

#define TERM_LIST "~s ~d ~c ~p ~o ~r ~a ~u ~t"
#define STATUS_LIST "new, assigned, acknowledged, on_site, resolved, closed, rejected, duplicate, open"
#define PRIORITY_WANTS "~p wants N, <N, >N or N-M, from 1 (urgent) to 4 (low)"
#define AGE_WANTS "~a wants >30m or <2h (units s, m, h, d, w)"

static void test_bad_patterns(void **state)
{
	(void)state;
	expect_bad("~x", "column 1: unknown term '~x' (" TERM_LIST ")", 0);
	expect_bad("~S new", "column 1: unknown term '~S' (" TERM_LIST ")", 0);
	expect_bad("a ~", "column 3: '~' wants a letter: " TERM_LIST, 2);
	expect_bad("~s nw", "column 4: unknown status 'nw' (" STATUS_LIST ")", 3);
	expect_bad("~s", "column 3: ~s wants a status", 2);
	expect_bad("~s )", "column 4: ~s wants a status", 3);
	expect_bad("~s ~u", "column 4: ~s wants a status", 3);
	expect_bad("~s \"\"", "column 4: ~s wants a status", 3);
	expect_bad("~d", "column 3: ~d wants a district code or none", 2);
	expect_bad("~c |", "column 4: ~c wants a category code", 3);
	expect_bad("~o", "column 3: ~o wants an officer's badge or part of the name", 2);
	expect_bad("~r (x)", "column 4: ~r wants part of a reporter's name, phone or organisation", 3);
	expect_bad("~p", "column 3: ~p wants a priority: N, <N, >N or N-M, from 1 to 4", 2);
	expect_bad("~p 5", "column 4: bad priority '5': " PRIORITY_WANTS, 3);
	expect_bad("~p 0", "column 4: bad priority '0': " PRIORITY_WANTS, 3);
	expect_bad("~p <1", "column 4: bad priority '<1': " PRIORITY_WANTS, 3);
	expect_bad("~p >4", "column 4: bad priority '>4': " PRIORITY_WANTS, 3);
	expect_bad("~p 3-2", "column 4: bad priority '3-2': " PRIORITY_WANTS, 3);
	expect_bad("~p high", "column 4: bad priority 'high': " PRIORITY_WANTS, 3);
	expect_bad("~a", "column 3: ~a wants >30m or <2h", 2);
	expect_bad("~a 30m", "column 4: bad age '30m': " AGE_WANTS, 3);
	expect_bad("~a >30y", "column 4: bad age '>30y': " AGE_WANTS, 3);
	expect_bad("~a >m", "column 4: bad age '>m': " AGE_WANTS, 3);
	expect_bad("~a >1234567h", "column 4: bad age '>1234567h': " AGE_WANTS, 3);
	expect_bad("~u5", "column 3: ~u takes no value", 2);
	expect_bad("курят \"подростки", "column 7: unclosed quote", 11);
	expect_bad("~r \"КСК", "column 4: unclosed quote", 3);
	expect_bad("a )", "column 3: ')' without '('", 2);
	expect_bad(")", "column 1: ')' without '('", 0);
	expect_bad("(a", "column 1: '(' is never closed", 0);
	expect_bad("a (b (c)", "column 3: '(' is never closed", 2);
	expect_bad("()", "column 1: empty parentheses", 0);
	expect_bad("a |", "column 3: nothing after '|'", 2);
	expect_bad("a | | b", "column 3: nothing after '|'", 2);
	expect_bad("| a", "column 1: nothing before '|'", 0);
	expect_bad("(| a)", "column 2: nothing before '|'", 1);
	expect_bad("a !", "column 3: nothing after '!'", 2);
	expect_bad("(!)", "column 2: nothing after '!'", 1);
	expect_bad("", "column 1: empty pattern", 0);
	expect_bad(" \t ", "column 1: empty pattern", 0);
	expect_bad("\"\"", "column 1: empty quotes", 0);
	expect_bad("a ...", "column 3: nothing to search for in '...'", 2);
	expect_bad("\" - \"", "column 1: nothing to search for in ' - '", 0);
	/* columns count characters: "Петров " is 7 characters, 13 bytes */
	expect_bad("Петров ~p 9", "column 11: bad priority '9': " PRIORITY_WANTS, 16);
	expect_bad("Иванов ~ы new",
		   "column 8: unknown term '~ы' (is the keyboard in Russian? ~s is on that key)", 13);
	expect_bad("ёлка ~q", "column 6: unknown term '~q' (" TERM_LIST ")", 9);
	expect_bad("~r Жулдыз ~s закрыт", "column 14: unknown status 'закрыт' (" STATUS_LIST ")", 19);

	/* bounded depth and size: nothing typed can exhaust the stack */
	char deep[200] = "";
	for (int i = 0; i < 40; i++)
		strcat(deep, "(");
	strcat(deep, "a");
	expect_bad(deep, "column 33: nested too deeply (at most 32 levels)", 32);
	char many[2000] = "";
	for (int i = 0; i < 201; i++)
		strcat(many, "ab ");
	expect_bad(many, "column 601: too many terms (at most 200)", 600);
	expect_bad("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!a",
		   "column 33: nested too deeply (at most 32 levels)", 32);
}

static void test_fold(void **state)
{
	(void)state;
	char *s = dd_fold("ИВАНОВ Ёж ёж ҚАЗАҚ ӘӨҰҮҺІҒҢ ЇЄЎ Abc-Z 77010");
	assert_string_equal(s, "иванов еж еж қазақ әөұүһіғң їєў abc-z 77010");
	free(s);
	/* lengths are kept, other bytes pass as they are */
	s = dd_fold("\xD0\xF0\x80x\xD0");
	assert_string_equal(s, "\xD0\xF0\x80x\xD0");
	free(s);
	dd_db *db = dd_test_db();
	char *t = dd_test_text(db, "SELECT dd_fold('Жумабаев ЕРЛАН Әлия')");
	assert_string_equal(t, "жумабаев ерлан әлия");
	free(t);
	assert_int_equal(dd_test_int(db, "SELECT dd_fold(NULL) IS NULL"), 1);
	dd_db_close(&db);
}

/* ---- what patterns select ----------------------------------------------- */

#define NOW "2026-03-01T12:00:00Z"
#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

struct fx {
	dd_db *db;
	dd_actor disp;
	int64_t now;
};

static void act(struct fx *f, dd_change c)
{
	dd_err err = {0};
	if (dd_report_apply(f->db, &f->disp, &c, NULL, &err))
		fail_msg("%s on #%lld: %s", dd_action_code(c.action), (long long)c.report, err.msg);
}

static int64_t add(struct fx *f, dd_report_in in)
{
	int64_t id = 0;
	dd_err err = {0};
	if (!in.channel)
		in.channel = "desk";
	if (dd_report_create(f->db, &f->disp, &in, &id, &err))
		fail_msg("create: %s", err.msg);
	return id;
}

/*
 * 1  D1 smoking p3, the KSK's reporter, 3h old, assigned to B1
 * 2  D2 noise p1, 10m old, new
 * 3  unrouted other p4, a WhatsApp sender, 2d old, new
 * 4  D1 hooliganism p2, 1h old, B2, resolved
 * 5  D2 improvement p3, in Kazakh, 5d old, B3, acknowledged
 */
static int setup(void **state)
{
	setenv("DUTYDESK_NOW", NOW, 1);
	struct fx *f = dd_xcalloc(1, sizeof *f);
	f->db = dd_test_db();
	dd_test_city(f->db);
	f->disp = dd_test_actor(f->db, DD_ROLE_DISPATCHER);
	f->now = dd_now_ms();
	assert_int_equal(add(f, (dd_report_in){.district = "D1", .category = "smoking",
					       .reporter_phone = "77010000001",
					       .text = "В подъезде курят подростки",
					       .received_at = f->now - 3 * HOUR}), 1);
	assert_int_equal(add(f, (dd_report_in){.district = "D2", .category = "noise", .priority = 1,
					       .text = "Шумят соседи ночью у ёлки",
					       .received_at = f->now - 10 * MIN}), 2);
	assert_int_equal(add(f, (dd_report_in){.channel = "whatsapp", .external_id = "wamid.3",
					       .priority = 4, .sender = "77059998877",
					       .sender_name = "Алия Сейтқали",
					       .text = "Собака лает всю ночь",
					       .received_at = f->now - 2 * DAY}), 3);
	assert_int_equal(add(f, (dd_report_in){.district = "D1", .category = "hooliganism",
					       .priority = 2, .text = "Подростки курят и шумят",
					       .received_at = f->now - HOUR}), 4);
	assert_int_equal(add(f, (dd_report_in){.district = "D2", .category = "improvement",
					       .text = "Қоқыс шығарылмаған",
					       .received_at = f->now - 5 * DAY}), 5);
	act(f, (dd_change){.action = DD_ACT_ASSIGN, .report = 1, .officer = "B1"});
	act(f, (dd_change){.action = DD_ACT_ASSIGN, .report = 4, .officer = "B2"});
	act(f, (dd_change){.action = DD_ACT_RESOLVE, .report = 4});
	act(f, (dd_change){.action = DD_ACT_ASSIGN, .report = 5, .officer = "B3"});
	act(f, (dd_change){.action = DD_ACT_ACKNOWLEDGE, .report = 5});
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	dd_db_close(&f->db);
	free(f);
	unsetenv("DUTYDESK_NOW");
	return 0;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The ids that base (may be NULL) with the pattern selects, ascending, as
 * "1 3"; or the error as "error: MSG". */
static char *select_ids(struct fx *f, const dd_report_filter *base, const char *pattern)
{
	dd_report_filter flt = base ? *base : (dd_report_filter){0};
	dd_pattern *p = NULL;
	dd_err err = {0};
	if (dd_pattern_parse(pattern, &p, NULL, &err))
		return dd_xasprintf("parse error: %s", err.msg);
	flt.pattern = p;
	dd_report *list;
	size_t n;
	dd_status st = dd_report_page(f->db, &flt, 0, 100, &list, &n, &err);
	dd_pattern_free(&p);
	if (st)
		return dd_xasprintf("error: %s", err.msg);
	int64_t ids[100];
	for (size_t i = 0; i < n && i < 100; i++)
		ids[i] = list[i].id;
	qsort(ids, n, sizeof *ids, cmp_id);
	dd_buf b = {0};
	for (size_t i = 0; i < n; i++)
		dd_buf_printf(&b, "%s%lld", i ? " " : "", (long long)ids[i]);
	dd_report_list_free(&list, n);
	return dd_buf_take(&b);
}

static void expect_in(struct fx *f, const dd_report_filter *base, const char *pattern,
		      const char *want)
{
	char *got = select_ids(f, base, pattern);
	char copy[600];
	snprintf(copy, sizeof copy, "%s", got);
	free(got); /* before failing: a failed test must not leak */
	if (strcmp(copy, want) != 0)
		fail_msg("'%s': want '%s', got '%s'", pattern, want, copy);
}

static void expect(struct fx *f, const char *pattern, const char *want)
{
	expect_in(f, NULL, pattern, want);
}

static void test_status(void **state)
{
	struct fx *f = *state;
	expect(f, "~s new", "2 3");
	expect(f, "~s assigned", "1");
	expect(f, "~s ACKNOWLEDGED", "5");
	expect(f, "~s resolved", "4");
	expect(f, "~s closed", "");
	expect(f, "~s open", "1 2 3 5");
}

static void test_district_and_category(void **state)
{
	struct fx *f = *state;
	expect(f, "~d D1", "1 4");
	expect(f, "~d d2", "2 5");
	expect(f, "~d none", "3");
	expect(f, "~c smoking", "1");
	expect(f, "~c NOISE", "2");
	expect(f, "~c other", "3");
	/* a typo is reported, not silently matching nothing */
	expect(f, "~s new | ~d D9", "error: unknown district 'D9'");
	expect(f, "~c parking", "error: unknown category 'parking'");
}

static void test_priority(void **state)
{
	struct fx *f = *state;
	expect(f, "~p 1", "2");
	expect(f, "~p <3", "2 4");
	expect(f, "~p >2", "1 3 5");
	expect(f, "~p 2-3", "1 4 5");
	expect(f, "~p 4", "3");
}

static void test_officer(void **state)
{
	struct fx *f = *state;
	expect(f, "~o B1", "1");
	expect(f, "~o b1", "");  /* the badge is exact */
	expect(f, "~o иванов", "1");
	expect(f, "~o ЖУМАБАЕВ", "4");
	expect(f, "~o \"Айгерим\"", "5");
	expect(f, "~o ерлан", "4");
	expect(f, "~o Петров", "");
}

static void test_reporter(void **state)
{
	struct fx *f = *state;
	expect(f, "~r жулдыз", "1");       /* the organisation */
	expect(f, "~r \"ксК жУлдыз\"", "1");
	expect(f, "~r петров", "1");       /* the reporter's name */
	expect(f, "~r \"ров пётр\"", "1"); /* ё is е */
	expect(f, "~r 7701000", "1");      /* part of the phone */
	expect(f, "~r +77010000001", "1");
	expect(f, "~r алия", "3");         /* the sender's profile name */
	expect(f, "~r СЕЙТҚАЛИ", "3");
	expect(f, "~r 59998877", "3");     /* the sender */
	expect(f, "~r иванов", "");
}

static void test_age(void **state)
{
	struct fx *f = *state;
	expect(f, "~a >1d", "3 5");
	expect(f, "~a <2h", "2 4");
	expect(f, "~a >30m", "1 3 4 5");
	expect(f, "~a <600s", "");
	expect(f, "~a <601s", "2");
	expect(f, "~a >1w", "");
	expect(f, "~a <1w ~a >1d", "3 5");
}

static void test_unassigned_and_tagged(void **state)
{
	struct fx *f = *state;
	expect(f, "~u", "2 3");
	int64_t tags[] = {2, 5, 99};
	dd_report_filter flt = {.tagged = tags, .ntagged = 3};
	expect_in(f, &flt, "~t", "2 5");
	expect_in(f, &flt, "!~t", "1 3 4");
	expect_in(f, &flt, "~t ~u", "2");
	expect(f, "~t", ""); /* no tag set */
}

static void test_words(void **state)
{
	struct fx *f = *state;
	expect(f, "курят", "1 4");
	expect(f, "КУРЯТ", "1 4");
	expect(f, "подрост", "1 4");             /* a prefix */
	expect(f, "\"курят подростки\"", "1");   /* a phrase: in this order */
	expect(f, "\"подрост\"", "");            /* a phrase is not a prefix */
	expect(f, "курят шумят", "4");
	expect(f, "курят | собака", "1 3 4");
	expect(f, "ёлки", "2");
	expect(f, "елки", "2");
	expect(f, "ЖУЛДЫЗ", "1");                /* the organisation is indexed too */
	expect(f, "қоқыс", "5");
	expect(f, "ҚОҚЫС", "5");
	/* nothing typed is FTS syntax */
	expect(f, "курят OR собака", "");
	expect(f, "x* AND y:z", "");
	expect(f, "\"курят\\\" OR \\\"собака\"", "");
}

static void test_combinations(void **state)
{
	struct fx *f = *state;
	expect(f, "~s new | ~s resolved", "2 3 4");
	expect(f, "~d D1 | ~u ~p 1", "1 2 4");
	expect(f, "(~d D1 | ~u) ~p 1", "2");
	expect(f, "(~d D2 | ~d none) ~p >2", "3 5");
	expect(f, "!~u", "1 4 5");
	/* a NULL column is no match, and its negation a match */
	expect(f, "!~d D1", "2 3 5");
	expect(f, "!~o B1", "2 3 4 5");
	expect(f, "!~r жулдыз", "2 3 4 5");
	expect(f, "!~c smoking", "2 3 4 5");
	expect(f, "!(~s new | ~d D1)", "5");
	expect(f, "!!~u", "2 3");
	expect(f, "!курят", "2 3 5");
	expect(f, "~d D1 !курят", "");
	expect(f, "~s open !(~o иванов | ~u)", "5");
	expect(f, "курят ~s resolved | собака", "3 4");
}

static void test_with_the_filter(void **state)
{
	struct fx *f = *state;
	dd_report_filter d1 = {.district = "D1"};
	expect_in(f, &d1, "~p <4", "1 4");
	expect_in(f, &d1, "~u", "");
	dd_report_filter resolved = {.status_mask = 1u << DD_RS_RESOLVED};
	expect_in(f, &resolved, "курят", "4");
	dd_report_filter open = {.open_only = true, .order = DD_ORDER_QUEUE};
	expect_in(f, &open, "~d D1 | ~d none", "1 3");
	dd_report_filter unrouted = {.unrouted = true};
	expect_in(f, &unrouted, "~s new", "3");
	dd_report_filter search = {.search = "шумят"};
	expect_in(f, &search, "~d D2", "2");
	expect_in(f, &search, "курят", "4");
	dd_report_filter cat = {.category = "noise", .order = DD_ORDER_OLDEST};
	expect_in(f, &cat, "~a <1h", "2");
}

/* Values reach SQLite only as bound parameters. */
static void test_values_are_bound(void **state)
{
	struct fx *f = *state;
	const char *evil = "~r \"x') OR 1=1 --\" | ~o \"'; DROP TABLE reports; --\" | \"x\\\" OR 1=1\"";
	dd_pattern *p;
	dd_err err = {0};
	assert_int_equal(dd_pattern_parse(evil, &p, NULL, &err), DD_OK);
	dd_buf sql = {0};
	struct dd_pattern_binds binds = {0};
	assert_int_equal(dd_pattern_where(f->db, p, NULL, 0, &sql, &binds, &err), DD_OK);
	assert_null(strstr(sql.data, "1=1"));
	assert_null(strstr(sql.data, "DROP"));
	assert_null(strchr(sql.data, '\''));
	assert_int_equal(binds.n, 4);
	assert_string_equal(binds.v[0].name, ":p1");
	dd_buf_free(&sql);
	dd_pattern_binds_free(&binds);
	dd_pattern_free(&p);
	expect(f, evil, "");
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM reports"), 5);
}

/* The common single terms are served by an index, not a scan of reports. */
static void test_plans_use_indexes(void **state)
{
	struct fx *f = *state;
	static const char *const pats[] = {"~s new", "~s open", "~d D1", "~d none", "~u", "~o B1"};
	for (size_t i = 0; i < sizeof pats / sizeof *pats; i++) {
		dd_pattern *p;
		dd_err err = {0};
		assert_int_equal(dd_pattern_parse(pats[i], &p, NULL, &err), DD_OK);
		dd_buf sql = {0};
		struct dd_pattern_binds binds = {0};
		dd_buf_adds(&sql, "EXPLAIN QUERY PLAN SELECT r.id FROM reports r WHERE 1 AND (");
		assert_int_equal(dd_pattern_where(f->db, p, NULL, 0, &sql, &binds, &err), DD_OK);
		dd_buf_adds(&sql, ") ORDER BY r.priority, r.received_at, r.id LIMIT 50");
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(f->db->h, sql.data, -1, &st, NULL), SQLITE_OK);
		dd_pattern_bind(st, &binds);
		dd_buf plan = {0};
		while (sqlite3_step(st) == SQLITE_ROW)
			dd_buf_printf(&plan, "%s; ", (const char *)sqlite3_column_text(st, 3));
		sqlite3_finalize(st);
		bool indexed = strstr(plan.data, "SEARCH r USING") != NULL;
		char copy[400];
		snprintf(copy, sizeof copy, "%s", plan.data);
		dd_buf_free(&plan);
		dd_buf_free(&sql);
		dd_pattern_binds_free(&binds);
		dd_pattern_free(&p);
		if (!indexed)
			fail_msg("'%s' scans: %s", pats[i], copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_term_parses),
		cmocka_unit_test(test_values_are_quoted_where_needed),
		cmocka_unit_test(test_precedence_and_nesting),
		cmocka_unit_test(test_uses_tags),
		cmocka_unit_test(test_bad_patterns),
		cmocka_unit_test(test_fold),
		T(test_status),
		T(test_district_and_category),
		T(test_priority),
		T(test_officer),
		T(test_reporter),
		T(test_age),
		T(test_unassigned_and_tagged),
		T(test_words),
		T(test_combinations),
		T(test_with_the_filter),
		T(test_values_are_bound),
		T(test_plans_use_indexes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
