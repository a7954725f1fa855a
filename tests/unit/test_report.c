/* The report lifecycle: transitions, roles, versions, notifications,
 * creation and pages. */
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
#include "dutydesk/outbox.h"
#include "dutydesk/report.h"

#define KSK_PHONE "77010000001"

struct fx {
	dd_db *db;
	dd_actor disp, sup, obs;
	int64_t b1, b2, b3; /* officer ids */
};

static int setup(void **state)
{
	struct fx *f = dd_xcalloc(1, sizeof *f);
	f->db = dd_test_db();
	dd_test_city(f->db);
	f->disp = dd_test_actor(f->db, DD_ROLE_DISPATCHER);
	f->sup = dd_test_actor(f->db, DD_ROLE_SUPERVISOR);
	f->obs = dd_test_actor(f->db, DD_ROLE_OBSERVER);
	f->b1 = dd_test_int(f->db, "SELECT id FROM officers WHERE badge = 'B1'");
	f->b2 = dd_test_int(f->db, "SELECT id FROM officers WHERE badge = 'B2'");
	f->b3 = dd_test_int(f->db, "SELECT id FROM officers WHERE badge = 'B3'");
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

/* A desk report in D1 (smoking, priority 3); phone NULL: no reporter. */
static int64_t new_report(struct fx *f, const char *phone)
{
	dd_report_in in = {.channel = "desk", .district = "D1", .category = "smoking",
			   .text = "В подъезде курят", .reporter_phone = phone};
	int64_t id = 0;
	dd_err err = {0};
	if (dd_report_create(f->db, &f->disp, &in, &id, &err))
		fail_msg("create: %s", err.msg);
	return id;
}

static dd_status apply(struct fx *f, const dd_actor *a, dd_change c, dd_err *err)
{
	memset(err, 0, sizeof *err);
	return dd_report_apply(f->db, a, &c, NULL, err);
}

static void ok(struct fx *f, const dd_actor *a, dd_change c)
{
	dd_err err;
	if (apply(f, a, c, &err))
		fail_msg("%s on #%lld: %s", dd_action_code(c.action), (long long)c.report, err.msg);
}

/* What an action may change; compared before and after a refusal. */
struct snap {
	int64_t version, events, outbox, notes, all_events;
	char *status;
};

static struct snap snap_of(struct fx *f, int64_t id)
{
	struct snap s = {
		.version = dd_test_int(f->db, "SELECT version FROM reports WHERE id = %lld",
				       (long long)id),
		.events = dd_test_int(f->db, "SELECT count(*) FROM events WHERE report_id = %lld",
				      (long long)id),
		.outbox = dd_test_int(f->db, "SELECT count(*) FROM outbox"),
		.notes = dd_test_int(f->db, "SELECT count(*) FROM notes"),
		.all_events = dd_test_int(f->db, "SELECT count(*) FROM events"),
		.status = dd_test_text(f->db, "SELECT status FROM reports WHERE id = %lld",
				       (long long)id),
	};
	return s;
}

static void assert_unchanged(struct fx *f, int64_t id, struct snap before)
{
	struct snap now = snap_of(f, id);
	assert_int_equal(now.version, before.version);
	assert_int_equal(now.events, before.events);
	assert_int_equal(now.all_events, before.all_events);
	assert_int_equal(now.outbox, before.outbox);
	assert_int_equal(now.notes, before.notes);
	assert_string_equal(now.status, before.status);
	free(now.status);
	free(before.status);
}

static char *status_of(struct fx *f, int64_t id)
{
	return dd_test_text(f->db, "SELECT status FROM reports WHERE id = %lld", (long long)id);
}

static void assert_status(struct fx *f, int64_t id, const char *want)
{
	char *s = status_of(f, id);
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static char *last_event_action(struct fx *f, int64_t id)
{
	return dd_test_text(f->db, "SELECT action FROM events WHERE report_id = %lld "
				   "ORDER BY id DESC LIMIT 1", (long long)id);
}

/* A fresh report (with the KSK reporter) brought to status s by real actions. */
static int64_t reach(struct fx *f, dd_report_status s)
{
	int64_t id = new_report(f, KSK_PHONE);
	const dd_actor *a = &f->sup;
	switch (s) {
	case DD_RS_NEW:
		break;
	case DD_RS_REJECTED:
		ok(f, a, (dd_change){.action = DD_ACT_REJECT, .report = id, .text = "not ours"});
		break;
	case DD_RS_DUPLICATE: {
		int64_t root = new_report(f, NULL);
		ok(f, a, (dd_change){.action = DD_ACT_DUPLICATE, .report = id, .duplicate_of = root});
		break;
	}
	default: {
		static const dd_action path[] = {DD_ACT_ASSIGN, DD_ACT_ACKNOWLEDGE, DD_ACT_ON_SITE,
						 DD_ACT_RESOLVE, DD_ACT_CLOSE};
		static const dd_report_status after[] = {DD_RS_ASSIGNED, DD_RS_ACKNOWLEDGED,
							 DD_RS_ON_SITE, DD_RS_RESOLVED, DD_RS_CLOSED};
		for (size_t i = 0; i < 5; i++) {
			ok(f, a, (dd_change){.action = path[i], .report = id, .officer = "B1"});
			if (after[i] == s)
				break;
		}
	}
	}
	assert_status(f, id, dd_rs_code(s));
	return id;
}

/* The lifecycle as CLI.md and the console describe it, written out here
 * independently of report.c: from which statuses each action is allowed. */
#define B(s) (1u << (s))
#define OPEN (B(DD_RS_NEW) | B(DD_RS_ASSIGNED) | B(DD_RS_ACKNOWLEDGED) | B(DD_RS_ON_SITE))
#define ALL ((1u << DD_RS_COUNT) - 1)
static const unsigned expected_from[DD_ACT_COUNT] = {
	[DD_ACT_ASSIGN] = OPEN,
	[DD_ACT_ACKNOWLEDGE] = B(DD_RS_ASSIGNED),
	[DD_ACT_ON_SITE] = B(DD_RS_ASSIGNED) | B(DD_RS_ACKNOWLEDGED),
	[DD_ACT_RESOLVE] = B(DD_RS_ASSIGNED) | B(DD_RS_ACKNOWLEDGED) | B(DD_RS_ON_SITE),
	[DD_ACT_CLOSE] = B(DD_RS_RESOLVED),
	[DD_ACT_REJECT] = OPEN,
	[DD_ACT_DUPLICATE] = OPEN,
	[DD_ACT_REOPEN] = B(DD_RS_RESOLVED) | B(DD_RS_CLOSED) | B(DD_RS_REJECTED),
	[DD_ACT_PRIORITY] = ALL,
	[DD_ACT_CATEGORY] = ALL,
	[DD_ACT_DISTRICT] = ALL,
	[DD_ACT_NOTE] = ALL,
};

/* Valid arguments for action a on report id (made by reach()). */
static dd_change valid_change(dd_action a, int64_t id, int64_t root)
{
	dd_change c = {.action = a, .report = id};
	switch (a) {
	case DD_ACT_ASSIGN: c.officer = "B2"; break;
	case DD_ACT_REJECT: c.text = "не наш участок"; break;
	case DD_ACT_DUPLICATE: c.duplicate_of = root; break;
	case DD_ACT_PRIORITY: c.priority = 1; break;
	case DD_ACT_CATEGORY: c.category = "noise"; break;
	case DD_ACT_DISTRICT: c.district = "D2"; break;
	case DD_ACT_NOTE: c.text = "позвонили заявителю"; break;
	default: break;
	}
	return c;
}

static void test_action_allowed_matches_lifecycle_table(void **state)
{
	for (int a = 0; a < DD_ACT_COUNT; a++)
		for (int s = 0; s < DD_RS_COUNT; s++) {
			bool want = expected_from[a] & B(s);
			if (dd_action_allowed((dd_action)a, (dd_report_status)s) != want)
				fail_msg("dd_action_allowed(%s, %s) should be %d",
					 dd_action_code((dd_action)a), dd_rs_code((dd_report_status)s),
					 want);
		}
	assert_false(dd_action_allowed(DD_ACT_COUNT, DD_RS_NEW));
	assert_int_equal(dd_action_target(DD_ACT_REOPEN, DD_RS_CLOSED, true), DD_RS_ASSIGNED);
	assert_int_equal(dd_action_target(DD_ACT_REOPEN, DD_RS_REJECTED, false), DD_RS_NEW);
	assert_int_equal(dd_action_target(DD_ACT_NOTE, DD_RS_ON_SITE, true), DD_RS_ON_SITE);
}

static void test_status_and_action_codes_round_trip(void **state)
{
	for (int s = 0; s < DD_RS_COUNT; s++)
		assert_int_equal(dd_rs_parse(dd_rs_code((dd_report_status)s)), s);
	for (int a = 0; a < DD_ACT_COUNT; a++)
		assert_int_equal(dd_action_parse(dd_action_code((dd_action)a)), a);
	assert_int_equal(dd_rs_parse("open"), -1);
	assert_int_equal(dd_action_parse("delete"), -1);
	assert_true(dd_rs_is_open(DD_RS_ON_SITE));
	assert_false(dd_rs_is_open(DD_RS_RESOLVED));
	assert_false(dd_rs_is_open(DD_RS_DUPLICATE));
}

/* Every (action, status) pair, on a real report in that status: allowed ones
 * write the status, version + 1 and an event; refused ones write nothing. */
static void test_every_transition_allowed_or_refused_as_in_table(void **state)
{
	struct fx *f = *state;
	int64_t root = new_report(f, NULL);
	for (int s = 0; s < DD_RS_COUNT; s++) {
		for (int a = 0; a < DD_ACT_COUNT; a++) {
			int64_t id = reach(f, (dd_report_status)s);
			bool has_officer = dd_test_int(f->db, "SELECT officer_id IS NOT NULL FROM "
							      "reports WHERE id = %lld", (long long)id);
			struct snap before = snap_of(f, id);
			dd_change c = valid_change((dd_action)a, id, root);
			dd_err err;
			int64_t version = -1;
			memset(&err, 0, sizeof err);
			dd_status st = dd_report_apply(f->db, &f->sup, &c, &version, &err);
			if (expected_from[a] & B(s)) {
				if (st != DD_OK)
					fail_msg("%s from %s refused: %s", dd_action_code((dd_action)a),
						 dd_rs_code((dd_report_status)s), err.msg);
				dd_report_status want = dd_action_target((dd_action)a,
									 (dd_report_status)s,
									 has_officer);
				/* The target, checked against the table of CLI.md too. */
				if (a == DD_ACT_REOPEN)
					assert_int_equal(want, has_officer ? DD_RS_ASSIGNED : DD_RS_NEW);
				else if (a >= DD_ACT_PRIORITY)
					assert_int_equal(want, s);
				assert_status(f, id, dd_rs_code(want));
				assert_int_equal(version, before.version + 1);
				assert_int_equal(dd_test_int(f->db, "SELECT version FROM reports WHERE id = %lld",
							     (long long)id),
						 before.version + 1);
				assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM events WHERE "
								    "report_id = %lld", (long long)id),
						 before.events + 1);
				char *last = last_event_action(f, id);
				assert_string_equal(last, dd_action_code((dd_action)a));
				free(last);
				char *by = dd_test_text(f->db, "SELECT updated_by FROM reports WHERE id = %lld",
							(long long)id);
				assert_string_equal(by, "user:t_supervisor");
				free(by);
				free(before.status);
			} else {
				if (st != DD_ESTATE)
					fail_msg("%s from %s: want DD_ESTATE, got %s (%s)",
						 dd_action_code((dd_action)a),
						 dd_rs_code((dd_report_status)s), dd_status_name(st), err.msg);
				char want[256];
				snprintf(want, sizeof want, "cannot %s report #%lld: it is %s",
					 dd_action_label((dd_action)a), (long long)id,
					 dd_rs_label((dd_report_status)s));
				assert_string_equal(err.msg, want);
				assert_int_equal(version, -1);
				assert_unchanged(f, id, before);
			}
		}
	}
}

static void test_apply_to_missing_report_is_not_found(void **state)
{
	struct fx *f = *state;
	dd_err err;
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_NOTE, .report = 999,
							  .text = "x"}, &err),
			 DD_ENOTFOUND);
	assert_string_equal(err.msg, "no report #999");
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM notes"), 0);
}

static void test_observer_is_refused_every_action_and_nothing_is_written(void **state)
{
	struct fx *f = *state;
	int64_t root = new_report(f, NULL);
	int64_t id = reach(f, DD_RS_ASSIGNED);
	int64_t resolved = reach(f, DD_RS_RESOLVED);
	for (int a = 0; a < DD_ACT_COUNT; a++) {
		int64_t target = a == DD_ACT_REOPEN ? resolved : id;
		struct snap before = snap_of(f, target);
		dd_err err;
		assert_int_equal(apply(f, &f->obs, valid_change((dd_action)a, target, root), &err),
				 DD_EPERM);
		char want[200];
		snprintf(want, sizeof want, "%s: needs the role %s; 't_observer' is observer",
			 dd_action_label((dd_action)a),
			 a == DD_ACT_REOPEN ? "supervisor" : "dispatcher");
		assert_string_equal(err.msg, want);
		assert_unchanged(f, target, before);
	}
}

static void test_dispatcher_may_not_reopen_but_supervisor_may(void **state)
{
	struct fx *f = *state;
	int64_t id = reach(f, DD_RS_RESOLVED);
	struct snap before = snap_of(f, id);
	dd_err err;
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_REOPEN, .report = id}, &err),
			 DD_EPERM);
	assert_non_null(strstr(err.msg, "needs the role supervisor"));
	assert_non_null(strstr(err.msg, "'t_dispatcher' is dispatcher"));
	assert_unchanged(f, id, before);

	ok(f, &f->sup, (dd_change){.action = DD_ACT_REOPEN, .report = id});
	assert_status(f, id, "assigned");
	assert_int_equal(dd_test_int(f->db, "SELECT resolved_at IS NULL FROM reports WHERE id = %lld",
				     (long long)id),
			 1);
}

static void test_unknown_login_is_told_how_to_be_added(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, NULL);
	dd_actor stranger;
	dd_err err = {0};
	assert_int_equal(dd_actor_for_login(f->db, "stranger", &stranger, &err), DD_OK);
	assert_int_equal(stranger.role, DD_ROLE_NONE);
	struct snap before = snap_of(f, id);
	assert_int_equal(apply(f, &stranger,
			       (dd_change){.action = DD_ACT_ASSIGN, .report = id, .officer = "B1"}, &err),
			 DD_EPERM);
	assert_non_null(strstr(err.msg, "'stranger' is not a dutydesk user"));
	assert_non_null(strstr(err.msg, "dutydesk user add stranger"));
	assert_unchanged(f, id, before);

	dd_report_in in = {.district = "D1", .text = "x"};
	int64_t nid = 0;
	memset(&err, 0, sizeof err);
	assert_int_equal(dd_report_create(f->db, &stranger, &in, &nid, &err), DD_EPERM);
	assert_non_null(strstr(err.msg, "dutydesk user add stranger"));
	memset(&err, 0, sizeof err);
	assert_int_equal(dd_report_create(f->db, &f->obs, &in, &nid, &err), DD_EPERM);
	assert_non_null(strstr(err.msg, "needs the role dispatcher"));
	assert_int_equal(nid, 0);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM reports"), 1);
}

static dd_actor officer_actor(int64_t id, const char *badge)
{
	dd_actor a = {.kind = DD_ACTOR_OFFICER, .id = id, .role = DD_ROLE_NONE};
	snprintf(a.login, sizeof a.login, "%s", badge);
	snprintf(a.name, sizeof a.name, "%s", badge);
	return a;
}

static void test_officer_works_own_report_through_to_resolved(void **state)
{
	struct fx *f = *state;
	int64_t id = reach(f, DD_RS_ASSIGNED); /* to B1 */
	dd_actor b1 = officer_actor(f->b1, "B1");
	ok(f, &b1, (dd_change){.action = DD_ACT_ACKNOWLEDGE, .report = id});
	assert_status(f, id, "acknowledged");
	ok(f, &b1, (dd_change){.action = DD_ACT_ON_SITE, .report = id});
	assert_status(f, id, "on_site");
	ok(f, &b1, (dd_change){.action = DD_ACT_RESOLVE, .report = id, .text = "провели беседу"});
	assert_status(f, id, "resolved");
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM events WHERE report_id = %lld "
					    "AND actor = 'officer:B1'", (long long)id),
			 3);
	char *by = dd_test_text(f->db, "SELECT updated_by FROM reports WHERE id = %lld", (long long)id);
	assert_string_equal(by, "officer:B1");
	free(by);
	char *note = dd_test_text(f->db, "SELECT author || '|' || text FROM notes WHERE report_id = %lld",
				  (long long)id);
	assert_string_equal(note, "officer:B1|провели беседу");
	free(note);
}

static void test_officer_refused_on_others_report_and_for_dispatch_actions(void **state)
{
	struct fx *f = *state;
	int64_t mine = reach(f, DD_RS_ASSIGNED); /* to B1 */
	int64_t theirs = new_report(f, NULL);
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = theirs, .officer = "B2"});
	int64_t unassigned = new_report(f, NULL);
	dd_actor b1 = officer_actor(f->b1, "B1");
	dd_err err;

	const int64_t others[] = {theirs, unassigned};
	for (size_t i = 0; i < 2; i++) {
		struct snap before = snap_of(f, others[i]);
		assert_int_equal(apply(f, &b1, (dd_change){.action = DD_ACT_ACKNOWLEDGE,
							    .report = others[i]}, &err),
				 DD_EPERM);
		char want[100];
		snprintf(want, sizeof want, "report #%lld is not assigned to officer B1",
			 (long long)others[i]);
		assert_string_equal(err.msg, want);
		assert_unchanged(f, others[i], before);
	}

	const dd_action dispatch[] = {DD_ACT_ASSIGN, DD_ACT_REJECT, DD_ACT_CLOSE, DD_ACT_PRIORITY,
				      DD_ACT_DISTRICT, DD_ACT_DUPLICATE};
	for (size_t i = 0; i < sizeof dispatch / sizeof *dispatch; i++) {
		struct snap before = snap_of(f, mine);
		dd_change c = valid_change(dispatch[i], mine, unassigned);
		c.officer = "B1";
		assert_int_equal(apply(f, &b1, c, &err), DD_EPERM);
		assert_non_null(strstr(err.msg, "an officer may only acknowledge"));
		assert_unchanged(f, mine, before);
	}
}

static void test_stale_version_is_refused_naming_the_last_change(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, NULL);
	int64_t v = 0;
	dd_err err = {0};
	dd_change c = {.action = DD_ACT_ASSIGN, .report = id, .officer = "B1", .expect_version = 1};
	assert_int_equal(dd_report_apply(f->db, &f->disp, &c, &v, &err), DD_OK);
	assert_int_equal(v, 2);

	/* The supervisor read version 1 and acts on it. */
	struct snap before = snap_of(f, id);
	assert_int_equal(apply(f, &f->sup, (dd_change){.action = DD_ACT_REJECT, .report = id,
							 .text = "x", .expect_version = 1}, &err),
			 DD_ESTALE);
	assert_non_null(strstr(err.msg, "user:t_dispatcher did 'assign'"));
	assert_non_null(strstr(err.msg, "your version 1, now 2"));
	assert_non_null(strstr(err.msg, "it is now assigned"));
	assert_non_null(strstr(err.msg, "nothing was changed"));
	assert_unchanged(f, id, before);

	/* With the current version it goes through. */
	c = (dd_change){.action = DD_ACT_ACKNOWLEDGE, .report = id, .expect_version = 2};
	assert_int_equal(dd_report_apply(f->db, &f->sup, &c, &v, &err), DD_OK);
	assert_int_equal(v, 3);
}

struct nrow {
	char *recipient, *channel, *address, *kind, *state, *error, *body;
	int64_t event;
};

static struct nrow outbox_row(struct fx *f, int64_t report, int nth)
{
	const char *cols[] = {"recipient", "channel", "address", "kind", "state", "error", "body"};
	char *v[7];
	for (int i = 0; i < 7; i++)
		v[i] = dd_test_text(f->db, "SELECT %s FROM outbox WHERE report_id = %lld ORDER BY id "
					   "LIMIT 1 OFFSET %d", cols[i], (long long)report, nth);
	struct nrow r = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], 0};
	r.event = dd_test_int(f->db, "SELECT event_id FROM outbox WHERE report_id = %lld ORDER BY id "
				     "LIMIT 1 OFFSET %d", (long long)report, nth);
	return r;
}

static void nrow_free(struct nrow *r)
{
	char **s[] = {&r->recipient, &r->channel, &r->address, &r->kind, &r->state, &r->error,
		      &r->body};
	for (size_t i = 0; i < 7; i++)
		free(*s[i]);
}

static int64_t outbox_count(struct fx *f, int64_t report, const char *recipient)
{
	return dd_test_int(f->db, "SELECT count(*) FROM outbox WHERE report_id = %lld AND "
				  "recipient = %Q", (long long)report, recipient);
}

static void test_assign_queues_officer_on_telegram_and_reporter_once(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, KSK_PHONE);
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = id, .officer = "B1"});
	int64_t ev = dd_test_int(f->db, "SELECT id FROM events WHERE report_id = %lld AND action = "
					"'assign'", (long long)id);

	dd_notification *list;
	size_t n;
	dd_err err = {0};
	assert_int_equal(dd_outbox_for_report(f->db, id, &list, &n, &err), DD_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].recipient, "officer");
	assert_string_equal(list[0].to, "B1");
	assert_string_equal(list[0].channel, "telegram");
	assert_string_equal(list[0].address, "5001");
	assert_string_equal(list[0].kind, "assigned");
	assert_string_equal(list[0].state, "queued");
	assert_null(list[0].error);
	char head[64];
	snprintf(head, sizeof head, "Report #%lld (smoking), priority 3\n", (long long)id);
	assert_true(strncmp(list[0].body, head, strlen(head)) == 0);
	assert_non_null(strstr(list[0].body, "В подъезде курят"));
	assert_non_null(strstr(list[0].body, "КСК Жулдыз Петров Пётр " KSK_PHONE));
	assert_string_equal(list[1].recipient, "reporter");
	assert_string_equal(list[1].to, "Петров Пётр");
	assert_string_equal(list[1].channel, "whatsapp"); /* a desk report: by phone */
	assert_string_equal(list[1].address, KSK_PHONE);
	assert_string_equal(list[1].kind, "assigned");
	assert_string_equal(list[1].state, "queued");
	dd_notification_list_free(&list, n);
	/* Both rows belong to the assign event. */
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM outbox WHERE event_id = %lld",
				     (long long)ev),
			 2);

	/* Reassigning tells the new officer only. */
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = id, .officer = "B2"});
	assert_int_equal(outbox_count(f, id, "officer"), 2);
	assert_int_equal(outbox_count(f, id, "reporter"), 1);
	struct nrow r = outbox_row(f, id, 2);
	assert_string_equal(r.recipient, "officer");
	assert_string_equal(r.channel, "whatsapp"); /* B2 has no Telegram */
	assert_string_equal(r.address, "77011110002");
	assert_string_equal(r.state, "queued");
	nrow_free(&r);
}

static void test_assign_to_officer_without_contact_stores_failed_row(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, NULL);
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = id, .officer = "B3"});
	assert_status(f, id, "assigned"); /* the desk still knows who has it */
	assert_int_equal(outbox_count(f, id, "officer"), 1);
	assert_int_equal(outbox_count(f, id, "reporter"), 0); /* no reporter */
	struct nrow r = outbox_row(f, id, 0);
	assert_string_equal(r.channel, "none");
	assert_string_equal(r.address, "");
	assert_string_equal(r.state, "failed");
	assert_non_null(r.error);
	assert_string_equal(r.error, "the officer has no phone number or Telegram id");
	nrow_free(&r);
	dd_report rep;
	dd_err err = {0};
	assert_int_equal(dd_report_get(f->db, id, &rep, &err), DD_OK);
	assert_string_equal(rep.notify_state, "failed");
	assert_string_equal(rep.officer_badge, "B3");
	dd_report_clear(&rep);
}

static void test_resolve_tells_the_reporter(void **state)
{
	struct fx *f = *state;
	int64_t id = reach(f, DD_RS_ON_SITE);
	assert_int_equal(outbox_count(f, id, "reporter"), 1);
	ok(f, &f->disp, (dd_change){.action = DD_ACT_RESOLVE, .report = id});
	assert_int_equal(outbox_count(f, id, "reporter"), 2);
	struct nrow r = outbox_row(f, id, 2);
	assert_string_equal(r.recipient, "reporter");
	assert_string_equal(r.kind, "resolved");
	assert_string_equal(r.channel, "whatsapp");
	assert_string_equal(r.address, KSK_PHONE);
	char want[100];
	snprintf(want, sizeof want, "Your report #%lld has been dealt with. Thank you.", (long long)id);
	assert_string_equal(r.body, want);
	assert_int_equal(r.event, dd_test_int(f->db, "SELECT max(id) FROM events"));
	nrow_free(&r);
	/* Acknowledge and on site told nobody. */
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM outbox WHERE report_id = %lld",
				     (long long)id),
			 3);
}

static void test_report_without_reporter_gets_no_reporter_row(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, NULL);
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = id, .officer = "B1"});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_RESOLVE, .report = id});
	assert_int_equal(outbox_count(f, id, "reporter"), 0);
	assert_int_equal(outbox_count(f, id, "officer"), 1);
}

static void test_messenger_reports_are_answered_on_their_channel(void **state)
{
	struct fx *f = *state;
	dd_err err = {0};
	/* An unknown WhatsApp sender and a Telegram sender: no reporter row in
	 * the registry, answered where they wrote from. */
	dd_report_in wa = {.channel = "whatsapp", .external_id = "wamid.1", .district = "D1",
			   .text = "шум", .reporter_phone = "77059998877", .sender = "77059998877"};
	dd_report_in tg = {.channel = "telegram", .external_id = "42", .district = "D1",
			   .text = "шум", .reporter_telegram = 9001, .sender = "9001"};
	int64_t w = 0, t = 0;
	assert_int_equal(dd_report_create(f->db, &f->disp, &wa, &w, &err), DD_OK);
	assert_int_equal(dd_report_create(f->db, &f->disp, &tg, &t, &err), DD_OK);
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = w, .officer = "B1"});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = t, .officer = "B1"});
	struct nrow r = outbox_row(f, w, 1);
	assert_string_equal(r.recipient, "reporter");
	assert_string_equal(r.channel, "whatsapp");
	assert_string_equal(r.address, "77059998877");
	nrow_free(&r);
	r = outbox_row(f, t, 1);
	assert_string_equal(r.recipient, "reporter");
	assert_string_equal(r.channel, "telegram");
	assert_string_equal(r.address, "9001");
	nrow_free(&r);
}

static void test_failed_notification_rolls_back_the_whole_change(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, KSK_PHONE);
	dd_test_exec(f->db, "CREATE TRIGGER boom BEFORE INSERT ON outbox "
			    "BEGIN SELECT RAISE(ABORT, 'boom'); END;");
	struct snap before = snap_of(f, id);
	dd_err err;
	int64_t v = -1;
	dd_change c = {.action = DD_ACT_ASSIGN, .report = id, .officer = "B1", .text = "срочно"};
	memset(&err, 0, sizeof err);
	assert_int_not_equal(dd_report_apply(f->db, &f->disp, &c, &v, &err), DD_OK);
	assert_non_null(strstr(err.msg, "boom"));
	assert_int_equal(v, -1);
	/* The status, the note and the event went with it. */
	assert_unchanged(f, id, before);
	assert_int_equal(dd_test_int(f->db, "SELECT officer_id IS NULL AND assigned_at IS NULL FROM "
					    "reports WHERE id = %lld", (long long)id),
			 1);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM report_counts WHERE status = "
					    "'assigned' AND n > 0"),
			 0);
	/* And the connection is usable again. */
	dd_test_exec(f->db, "DROP TRIGGER boom");
	ok(f, &f->disp, c);
	assert_status(f, id, "assigned");
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM outbox WHERE report_id = %lld",
				     (long long)id),
			 2);
}

static void test_assign_needs_an_active_officer_other_than_the_current(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, NULL);
	dd_err err;
	struct snap before = snap_of(f, id);
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = id}, &err),
			 DD_EINVAL);
	assert_string_equal(err.msg, "assign: which officer?");
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = id,
							 .officer = "B9"}, &err),
			 DD_ENOTFOUND);
	assert_string_equal(err.msg, "no officer with badge or id 'B9'");
	dd_test_exec(f->db, "UPDATE officers SET active = 0 WHERE badge = 'B2'");
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = id,
							 .officer = "B2"}, &err),
			 DD_EINVAL);
	assert_string_equal(err.msg, "officer B2 (Жумабаев Ерлан) is not active");
	assert_unchanged(f, id, before);

	/* "#id" names the officer by id. */
	char key[32];
	snprintf(key, sizeof key, "#%lld", (long long)f->b1);
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = id, .officer = key});
	assert_int_equal(dd_test_int(f->db, "SELECT officer_id FROM reports WHERE id = %lld",
				     (long long)id),
			 f->b1);
	before = snap_of(f, id);
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = id,
							 .officer = "B1"}, &err),
			 DD_EINVAL);
	char want[100];
	snprintf(want, sizeof want, "report #%lld is already assigned to B1", (long long)id);
	assert_string_equal(err.msg, want);
	assert_unchanged(f, id, before);
}

static void test_reject_needs_a_reason_and_stores_it(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, NULL);
	struct snap before = snap_of(f, id);
	dd_err err;
	const char *blanks[] = {NULL, "", " \t\n"};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_REJECT, .report = id,
								 .text = blanks[i]}, &err),
				 DD_EINVAL);
		assert_string_equal(err.msg, "reject: a reason is required");
	}
	assert_unchanged(f, id, before);
	ok(f, &f->disp, (dd_change){.action = DD_ACT_REJECT, .report = id, .text = "спам"});
	dd_report r;
	assert_int_equal(dd_report_get(f->db, id, &r, &err), DD_OK);
	assert_int_equal(r.status, DD_RS_REJECTED);
	assert_string_equal(r.reason, "спам");
	dd_report_clear(&r);
	/* The reason is the event's, not a note. */
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM notes"), 0);
}

/* A rejected report keeps its reason when it is only edited afterwards. */
static void test_reject_reason_survives_later_edits(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, NULL);
	ok(f, &f->disp, (dd_change){.action = DD_ACT_REJECT, .report = id, .text = "спам"});
	const dd_change edits[] = {
		{.action = DD_ACT_NOTE, .report = id, .text = "проверено"},
		{.action = DD_ACT_PRIORITY, .report = id, .priority = 4},
		{.action = DD_ACT_CATEGORY, .report = id, .category = "noise"},
		{.action = DD_ACT_DISTRICT, .report = id, .district = "D2"},
	};
	for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
		ok(f, &f->disp, edits[i]);
		char *reason = dd_test_text(f->db, "SELECT reason FROM reports WHERE id = %lld",
					    (long long)id);
		if (!reason)
			fail_msg("the reject reason was erased by '%s'", dd_action_code(edits[i].action));
		assert_string_equal(reason, "спам");
		free(reason);
	}
	assert_status(f, id, "rejected");
}

static void test_reopen_clears_reason_and_returns_to_new_or_assigned(void **state)
{
	struct fx *f = *state;
	/* Rejected straight from new: no officer, back to new. */
	int64_t a = reach(f, DD_RS_REJECTED);
	ok(f, &f->sup, (dd_change){.action = DD_ACT_REOPEN, .report = a});
	assert_status(f, a, "new");
	assert_int_equal(dd_test_int(f->db, "SELECT reason IS NULL FROM reports WHERE id = %lld",
				     (long long)a),
			 1);
	/* Rejected after assignment: back to its officer. */
	int64_t b = reach(f, DD_RS_ASSIGNED);
	ok(f, &f->sup, (dd_change){.action = DD_ACT_REJECT, .report = b, .text = "ошибка"});
	ok(f, &f->sup, (dd_change){.action = DD_ACT_REOPEN, .report = b});
	assert_status(f, b, "assigned");
	char *badge = dd_test_text(f->db, "SELECT o.badge FROM reports r JOIN officers o ON "
					  "o.id = r.officer_id WHERE r.id = %lld", (long long)b);
	assert_string_equal(badge, "B1");
	free(badge);
	/* Closed: back to assigned, resolved_at cleared. */
	int64_t c = reach(f, DD_RS_CLOSED);
	ok(f, &f->sup, (dd_change){.action = DD_ACT_REOPEN, .report = c});
	assert_status(f, c, "assigned");
	assert_int_equal(dd_test_int(f->db, "SELECT resolved_at IS NULL FROM reports WHERE id = %lld",
				     (long long)c),
			 1);
	/* Reopening is not a first assignment: the reporter hears nothing new. */
	assert_int_equal(outbox_count(f, c, "reporter"), 2); /* assigned, resolved */
}

static void test_duplicate_points_to_the_root_and_never_to_itself(void **state)
{
	struct fx *f = *state;
	int64_t a = new_report(f, NULL), b = new_report(f, NULL), c = new_report(f, NULL);
	dd_err err;

	struct snap before = snap_of(f, a);
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_DUPLICATE, .report = a,
							 .duplicate_of = a}, &err),
			 DD_EINVAL);
	char want[100];
	snprintf(want, sizeof want, "report #%lld cannot be a duplicate of itself", (long long)a);
	assert_string_equal(err.msg, want);
	assert_unchanged(f, a, before);
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_DUPLICATE, .report = a}, &err),
			 DD_EINVAL);
	assert_string_equal(err.msg, "duplicate: of which report?");
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_DUPLICATE, .report = a,
							 .duplicate_of = 999}, &err),
			 DD_ENOTFOUND);
	assert_string_equal(err.msg, "no report #999");

	ok(f, &f->disp, (dd_change){.action = DD_ACT_DUPLICATE, .report = b, .duplicate_of = a});
	/* c is a duplicate of b, which is a duplicate of a: c points to a. */
	ok(f, &f->disp, (dd_change){.action = DD_ACT_DUPLICATE, .report = c, .duplicate_of = b});
	assert_int_equal(dd_test_int(f->db, "SELECT duplicate_of FROM reports WHERE id = %lld",
				     (long long)c),
			 a);
	char *after = dd_test_text(f->db, "SELECT after FROM events WHERE report_id = %lld ORDER BY id "
					  "DESC LIMIT 1", (long long)c);
	snprintf(want, sizeof want, "\"duplicate_of\":%lld", (long long)a);
	assert_non_null(strstr(after, want));
	free(after);
	/* a as a duplicate of b would be a duplicate of itself. */
	before = snap_of(f, a);
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_DUPLICATE, .report = a,
							 .duplicate_of = b}, &err),
			 DD_EINVAL);
	assert_non_null(strstr(err.msg, "cannot be a duplicate of itself"));
	assert_unchanged(f, a, before);
}

static void test_priority_must_be_1_to_4_and_differ(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, NULL);
	struct snap before = snap_of(f, id);
	dd_err err;
	const int bad[] = {0, 5, -1};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_PRIORITY, .report = id,
								 .priority = bad[i]}, &err),
				 DD_EINVAL);
		assert_string_equal(err.msg,
				    "priority must be 1 (urgent), 2 (high), 3 (normal) or 4 (low)");
	}
	char want[100];
	snprintf(want, sizeof want, "report #%lld already has priority 3", (long long)id);
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_PRIORITY, .report = id,
							 .priority = 3}, &err),
			 DD_EINVAL);
	assert_string_equal(err.msg, want);
	assert_unchanged(f, id, before);
	ok(f, &f->disp, (dd_change){.action = DD_ACT_PRIORITY, .report = id, .priority = 1});
	assert_int_equal(dd_test_int(f->db, "SELECT priority FROM reports WHERE id = %lld", (long long)id),
			 1);
	char *ev = dd_test_text(f->db, "SELECT before || ' ' || after FROM events WHERE report_id = "
				       "%lld ORDER BY id DESC LIMIT 1", (long long)id);
	assert_string_equal(ev, "{\"priority\":3} {\"priority\":1,\"version\":2}");
	free(ev);
}

static void test_category_must_be_known(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, NULL);
	struct snap before = snap_of(f, id);
	dd_err err;
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_CATEGORY, .report = id,
							 .category = "arson"}, &err),
			 DD_EINVAL);
	assert_string_equal(err.msg, "unknown category 'arson'");
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_CATEGORY, .report = id}, &err),
			 DD_EINVAL);
	assert_unchanged(f, id, before);
	ok(f, &f->disp, (dd_change){.action = DD_ACT_CATEGORY, .report = id, .category = "noise"});
	char *cat = dd_test_text(f->db, "SELECT category FROM reports WHERE id = %lld", (long long)id);
	assert_string_equal(cat, "noise");
	free(cat);
}

/* The maintained count for (district code or NULL, status). */
static int64_t counted(struct fx *f, const char *district, dd_report_status s)
{
	dd_report_count *c;
	size_t n;
	dd_err err = {0};
	if (dd_report_counts(f->db, &c, &n, &err))
		fail_msg("%s", err.msg);
	int64_t v = 0;
	for (size_t i = 0; i < n; i++)
		if ((!district && !c[i].district) ||
		    (district && c[i].district && strcmp(district, c[i].district) == 0))
			v = c[i].n[s];
	dd_report_counts_free(&c, n);
	return v;
}

static void test_district_move_and_unrouted_keep_counts_right(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, NULL);
	new_report(f, NULL);
	assert_int_equal(counted(f, "D1", DD_RS_NEW), 2);
	assert_int_equal(counted(f, "D2", DD_RS_NEW), 0);

	ok(f, &f->disp, (dd_change){.action = DD_ACT_DISTRICT, .report = id, .district = "D2"});
	assert_int_equal(counted(f, "D1", DD_RS_NEW), 1);
	assert_int_equal(counted(f, "D2", DD_RS_NEW), 1);
	char *ev = dd_test_text(f->db, "SELECT before || ' ' || after FROM events WHERE report_id = "
				       "%lld ORDER BY id DESC LIMIT 1", (long long)id);
	assert_string_equal(ev, "{\"district\":\"D1\"} {\"district\":\"D2\",\"version\":2}");
	free(ev);

	ok(f, &f->disp, (dd_change){.action = DD_ACT_DISTRICT, .report = id, .district = NULL});
	assert_int_equal(dd_test_int(f->db, "SELECT district_id IS NULL FROM reports WHERE id = %lld",
				     (long long)id),
			 1);
	assert_int_equal(counted(f, "D2", DD_RS_NEW), 0);
	assert_int_equal(counted(f, NULL, DD_RS_NEW), 1);

	/* A status change of an unrouted report moves its count too. */
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = id, .officer = "B3"});
	assert_int_equal(counted(f, NULL, DD_RS_NEW), 0);
	assert_int_equal(counted(f, NULL, DD_RS_ASSIGNED), 1);

	dd_err err;
	struct snap before = snap_of(f, id);
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_DISTRICT, .report = id,
							 .district = ""}, &err),
			 DD_EINVAL);
	assert_non_null(strstr(err.msg, "already there"));
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_DISTRICT, .report = id,
							 .district = "D9"}, &err),
			 DD_ENOTFOUND);
	assert_string_equal(err.msg, "district 'D9' does not exist");
	assert_unchanged(f, id, before);
}

static void test_note_needs_text_and_records_its_author(void **state)
{
	struct fx *f = *state;
	int64_t id = new_report(f, NULL);
	struct snap before = snap_of(f, id);
	dd_err err;
	assert_int_equal(apply(f, &f->disp, (dd_change){.action = DD_ACT_NOTE, .report = id,
							 .text = " \r\n\t "}, &err),
			 DD_EINVAL);
	assert_string_equal(err.msg, "note: the text is empty");
	assert_unchanged(f, id, before);

	ok(f, &f->disp, (dd_change){.action = DD_ACT_NOTE, .report = id, .text = "Позвонили, ждут"});
	dd_note *notes;
	size_t n;
	assert_int_equal(dd_report_notes(f->db, id, &notes, &n, &err), DD_OK);
	assert_int_equal(n, 1);
	assert_string_equal(notes[0].author, "user:t_dispatcher");
	assert_string_equal(notes[0].text, "Позвонили, ждут");
	assert_true(notes[0].at > 0);
	dd_note_list_free(&notes, n);
	assert_status(f, id, "new");
	assert_int_equal(dd_test_int(f->db, "SELECT version FROM reports WHERE id = %lld", (long long)id),
			 2);
}

static void test_create_routes_by_reporter_phone(void **state)
{
	struct fx *f = *state;
	dd_report_in in = {.channel = "whatsapp", .external_id = "wamid.A", .reporter_phone = KSK_PHONE,
			   .sender = KSK_PHONE, .sender_name = "Пётр", .text = "Мусор у подъезда",
			   .received_at = 1700000000000};
	int64_t id = 0;
	dd_err err = {0};
	assert_int_equal(dd_report_create(f->db, &f->disp, &in, &id, &err), DD_OK);
	assert_true(id > 0);
	dd_report r;
	assert_int_equal(dd_report_get(f->db, id, &r, &err), DD_OK);
	assert_int_equal(r.status, DD_RS_NEW);
	assert_string_equal(r.district, "D1"); /* from the KSK */
	assert_string_equal(r.reporter_phone, KSK_PHONE);
	assert_string_equal(r.reporter_name, "Петров Пётр");
	assert_string_equal(r.org_name, "КСК Жулдыз");
	assert_int_equal(r.reporter_id, dd_test_int(f->db, "SELECT id FROM reporters WHERE phone = %Q",
						    KSK_PHONE));
	assert_string_equal(r.category, "other");
	assert_int_equal(r.priority, 3);
	assert_int_equal(r.version, 1);
	assert_int_equal(r.received_at, 1700000000000);
	assert_string_equal(r.channel, "whatsapp");
	assert_string_equal(r.external_id, "wamid.A");
	assert_string_equal(r.updated_by, "user:t_dispatcher");
	dd_report_clear(&r);
	assert_int_equal(dd_test_int(f->db, "SELECT org_id FROM reports WHERE id = %lld", (long long)id),
			 dd_test_int(f->db, "SELECT id FROM organisations WHERE name = 'КСК Жулдыз'"));
	char *ev = dd_test_text(f->db, "SELECT actor || ' ' || action FROM events WHERE report_id = %lld",
				(long long)id);
	assert_string_equal(ev, "user:t_dispatcher create");
	free(ev);

	/* A district given by the desk wins over the routing. */
	dd_report_in in2 = {.district = "D2", .reporter_phone = KSK_PHONE, .text = "x"};
	assert_int_equal(dd_report_create(f->db, &f->disp, &in2, &id, &err), DD_OK);
	char *d = dd_test_text(f->db, "SELECT d.code FROM reports r JOIN districts d ON d.id = "
				      "r.district_id WHERE r.id = %lld", (long long)id);
	assert_string_equal(d, "D2");
	free(d);
}

static void expect_create_fails(struct fx *f, const dd_report_in *in, dd_status want,
				const char *msg)
{
	int64_t n0 = dd_test_int(f->db, "SELECT count(*) FROM reports");
	int64_t e0 = dd_test_int(f->db, "SELECT count(*) FROM events");
	int64_t id = -1;
	dd_err err = {0};
	assert_int_equal(dd_report_create(f->db, &f->disp, in, &id, &err), want);
	if (!strstr(err.msg, msg))
		fail_msg("message '%s' does not contain '%s'", err.msg, msg);
	if (want != DD_EEXIST)
		assert_int_equal(id, -1);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM reports"), n0);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM events"), e0);
}

static void test_create_refuses_bad_input_and_writes_nothing(void **state)
{
	struct fx *f = *state;
	expect_create_fails(f, &(dd_report_in){.reporter_phone = "77000000000", .text = "x"},
			    DD_ENOTFOUND, "no reporter with phone 77000000000");
	expect_create_fails(f, &(dd_report_in){.district = "D1", .category = "arson", .text = "x"},
			    DD_EINVAL, "unknown category 'arson'");
	expect_create_fails(f, &(dd_report_in){.district = "D9", .text = "x"}, DD_ENOTFOUND,
			    "district 'D9' does not exist");
	expect_create_fails(f, &(dd_report_in){.district = "D1", .priority = 5, .text = "x"},
			    DD_EINVAL, "priority must be 1 (urgent)");
	expect_create_fails(f, &(dd_report_in){.district = "D1", .priority = -1, .text = "x"},
			    DD_EINVAL, "priority must be 1 (urgent)");
	expect_create_fails(f, &(dd_report_in){.channel = "sms", .text = "x"}, DD_EINVAL,
			    "unknown channel 'sms'");
}

static void test_create_refuses_same_message_twice(void **state)
{
	struct fx *f = *state;
	dd_report_in in = {.channel = "whatsapp", .external_id = "wamid.DUP", .sender = "77059998877",
			   .text = "первый"};
	int64_t id = 0;
	dd_err err = {0};
	assert_int_equal(dd_report_create(f->db, &f->disp, &in, &id, &err), DD_OK);
	int64_t first = id;
	in.text = "повтор";
	expect_create_fails(f, &in, DD_EEXIST, "wamid.DUP");
	int64_t again = 0;
	assert_int_equal(dd_report_create(f->db, &f->disp, &in, &again, &err), DD_EEXIST);
	assert_int_equal(again, first); /* the gateway answers 200 for the report it has */
	assert_non_null(strstr(err.msg, "already report #"));
	char *text = dd_test_text(f->db, "SELECT text FROM reports WHERE external_id = 'wamid.DUP'");
	assert_string_equal(text, "первый");
	free(text);
	/* The same id on another channel is another message. */
	in.channel = "telegram";
	assert_int_equal(dd_report_create(f->db, &f->disp, &in, &id, &err), DD_OK);
}

static void test_create_inside_callers_transaction_goes_with_it(void **state)
{
	struct fx *f = *state;
	dd_err err = {0};
	int64_t id = 0;
	assert_int_equal(dd_db_begin(f->db, &err), DD_OK);
	assert_int_equal(dd_report_create(f->db, &f->disp, &(dd_report_in){.district = "D1", .text = "x"},
					  &id, &err),
			 DD_OK);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM reports"), 1);
	dd_db_rollback(f->db);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM reports"), 0);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM events"), 0);
}

/* ---- pages ---------------------------------------------------------------- */

static int64_t add_at(struct fx *f, const char *district, const char *category, int prio,
		      int64_t at)
{
	dd_report_in in = {.district = district, .category = category, .priority = prio,
			   .text = "текст", .received_at = at};
	int64_t id = 0;
	dd_err err = {0};
	if (dd_report_create(f->db, &f->disp, &in, &id, &err))
		fail_msg("%s", err.msg);
	return id;
}

/* The ids a filter gives, as "1 2 3". */
static char *page_ids(struct fx *f, dd_report_filter flt, int64_t offset, int limit)
{
	dd_report *list;
	size_t n;
	dd_err err = {0};
	if (dd_report_page(f->db, &flt, offset, limit, &list, &n, &err))
		fail_msg("page: %s", err.msg);
	dd_buf b = {0};
	dd_buf_adds(&b, "");
	for (size_t i = 0; i < n; i++)
		dd_buf_printf(&b, "%s%lld", i ? " " : "", (long long)list[i].id);
	dd_report_list_free(&list, n);
	return dd_buf_take(&b);
}

static void expect_page(struct fx *f, dd_report_filter flt, int64_t offset, int limit,
			const char *want)
{
	char *got = page_ids(f, flt, offset, limit);
	char copy[200];
	snprintf(copy, sizeof copy, "%s", got);
	free(got);
	if (strcmp(copy, want) != 0)
		fail_msg("page: want '%s', got '%s'", want, copy);
}

/* r1..r6 with known districts, categories, priorities, times and statuses. */
static void six_reports(struct fx *f)
{
	assert_int_equal(add_at(f, "D1", "smoking", 3, 1000), 1);
	assert_int_equal(add_at(f, "D1", "noise", 1, 2000), 2);
	assert_int_equal(add_at(f, "D2", "smoking", 2, 3000), 3);
	assert_int_equal(add_at(f, NULL, "other", 3, 4000), 4);
	assert_int_equal(add_at(f, "D1", "smoking", 1, 5000), 5);
	assert_int_equal(add_at(f, "D2", "noise", 4, 6000), 6);
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = 1, .officer = "B1"});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_REJECT, .report = 3, .text = "не наше"});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_ASSIGN, .report = 6, .officer = "B3"});
	ok(f, &f->disp, (dd_change){.action = DD_ACT_RESOLVE, .report = 6});
}

static void test_page_filters(void **state)
{
	struct fx *f = *state;
	six_reports(f);
	expect_page(f, (dd_report_filter){.order = DD_ORDER_OLDEST}, 0, 100, "1 2 3 4 5 6");
	expect_page(f, (dd_report_filter){.district = "D1", .order = DD_ORDER_OLDEST}, 0, 100, "1 2 5");
	expect_page(f, (dd_report_filter){.district = "D2", .order = DD_ORDER_OLDEST}, 0, 100, "3 6");
	expect_page(f, (dd_report_filter){.unrouted = true}, 0, 100, "4");
	expect_page(f, (dd_report_filter){.status_mask = B(DD_RS_NEW), .order = DD_ORDER_OLDEST}, 0,
		    100, "2 4 5");
	expect_page(f, (dd_report_filter){.status_mask = B(DD_RS_NEW) | B(DD_RS_RESOLVED),
					  .order = DD_ORDER_OLDEST},
		    0, 100, "2 4 5 6");
	expect_page(f, (dd_report_filter){.open_only = true, .order = DD_ORDER_OLDEST}, 0, 100,
		    "1 2 4 5");
	expect_page(f, (dd_report_filter){.category = "smoking", .order = DD_ORDER_OLDEST}, 0, 100,
		    "1 3 5");
	expect_page(f, (dd_report_filter){.district = "D1", .open_only = true, .category = "smoking",
					  .order = DD_ORDER_OLDEST},
		    0, 100, "1 5");
	expect_page(f, (dd_report_filter){.district = "D2", .status_mask = B(DD_RS_CLOSED)}, 0, 100,
		    "");

	dd_report *list;
	size_t n;
	dd_err err = {0};
	assert_int_equal(dd_report_page(f->db, &(dd_report_filter){.district = "D9"}, 0, 10, &list,
					&n, &err),
			 DD_ENOTFOUND);
	assert_string_equal(err.msg, "district 'D9' does not exist");
	assert_int_equal(n, 0);
	assert_int_equal(dd_report_page(f->db, &(dd_report_filter){.category = "arson"}, 0, 10, &list,
					&n, &err),
			 DD_EINVAL);
	assert_string_equal(err.msg, "unknown category 'arson'");

	/* The rows carry what views show. */
	assert_int_equal(dd_report_page(f->db, &(dd_report_filter){.district = "D2",
								    .order = DD_ORDER_NEWEST},
					0, 10, &list, &n, &err),
			 DD_OK);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, 6);
	assert_int_equal(list[0].status, DD_RS_RESOLVED);
	assert_string_equal(list[0].officer_badge, "B3");
	assert_string_equal(list[0].district_name, "Усольский");
	assert_string_equal(list[1].reason, "не наше");
	assert_null(list[1].officer_badge);
	dd_report_list_free(&list, n);
}

static void test_page_orders(void **state)
{
	struct fx *f = *state;
	six_reports(f);
	/* Queue: most urgent first, then the oldest. */
	expect_page(f, (dd_report_filter){.order = DD_ORDER_QUEUE}, 0, 100, "2 5 3 1 4 6");
	expect_page(f, (dd_report_filter){.order = DD_ORDER_NEWEST}, 0, 100, "6 5 4 3 2 1");
	expect_page(f, (dd_report_filter){.order = DD_ORDER_OLDEST}, 0, 100, "1 2 3 4 5 6");
	/* Same time: the later id counts as newer. */
	add_at(f, "D1", "other", 3, 6000);
	expect_page(f, (dd_report_filter){.order = DD_ORDER_NEWEST}, 0, 3, "7 6 5");
}

static void test_page_offsets_give_disjoint_consecutive_pages(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 10; i++)
		add_at(f, i % 2 ? "D1" : "D2", "other", 1 + i % 4, 1000 + 100 * (i % 3) + i);
	const dd_report_order orders[] = {DD_ORDER_QUEUE, DD_ORDER_NEWEST, DD_ORDER_OLDEST};
	for (size_t o = 0; o < 3; o++) {
		dd_report_filter flt = {.order = orders[o]};
		char *all = page_ids(f, flt, 0, 100);
		dd_buf joined = {0};
		dd_buf_adds(&joined, "");
		for (int64_t off = 0; off < 12; off += 4) {
			char *page = page_ids(f, flt, off, 4);
			if (*page)
				dd_buf_printf(&joined, "%s%s", joined.len ? " " : "", page);
			free(page);
		}
		assert_string_equal(joined.data, all); /* disjoint, consecutive, complete */
		char *past = page_ids(f, flt, 10, 4);
		assert_string_equal(past, "");
		free(past);
		dd_buf_free(&joined);
		free(all);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_action_allowed_matches_lifecycle_table),
		cmocka_unit_test(test_status_and_action_codes_round_trip),
		T(test_every_transition_allowed_or_refused_as_in_table),
		T(test_apply_to_missing_report_is_not_found),
		T(test_observer_is_refused_every_action_and_nothing_is_written),
		T(test_dispatcher_may_not_reopen_but_supervisor_may),
		T(test_unknown_login_is_told_how_to_be_added),
		T(test_officer_works_own_report_through_to_resolved),
		T(test_officer_refused_on_others_report_and_for_dispatch_actions),
		T(test_stale_version_is_refused_naming_the_last_change),
		T(test_assign_queues_officer_on_telegram_and_reporter_once),
		T(test_assign_to_officer_without_contact_stores_failed_row),
		T(test_resolve_tells_the_reporter),
		T(test_report_without_reporter_gets_no_reporter_row),
		T(test_messenger_reports_are_answered_on_their_channel),
		T(test_failed_notification_rolls_back_the_whole_change),
		T(test_assign_needs_an_active_officer_other_than_the_current),
		T(test_reject_needs_a_reason_and_stores_it),
		T(test_reject_reason_survives_later_edits),
		T(test_reopen_clears_reason_and_returns_to_new_or_assigned),
		T(test_duplicate_points_to_the_root_and_never_to_itself),
		T(test_priority_must_be_1_to_4_and_differ),
		T(test_category_must_be_known),
		T(test_district_move_and_unrouted_keep_counts_right),
		T(test_note_needs_text_and_records_its_author),
		T(test_create_routes_by_reporter_phone),
		T(test_create_refuses_bad_input_and_writes_nothing),
		T(test_create_refuses_same_message_twice),
		T(test_create_inside_callers_transaction_goes_with_it),
		T(test_page_filters),
		T(test_page_orders),
		T(test_page_offsets_give_disjoint_consecutive_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
