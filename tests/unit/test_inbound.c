/* The inbound path: routing, idempotency, the join window, officers'
 * replies, edits, delivery statuses, linking senders, the gateway's state. */
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
#include "dutydesk/gateway_state.h"
#include "dutydesk/inbound.h"
#include "dutydesk/outbox.h"
#include "dutydesk/report.h"

#define KSK_PHONE "77010000001"
#define T0 INT64_C(1764321000000) /* 2025-11-28 09:10 UTC */
#define WINDOW 180

struct fx {
	dd_db *db;
	dd_actor disp;
	int64_t b1, b2;
};

static int setup(void **state)
{
	struct fx *f = dd_xcalloc(1, sizeof *f);
	unsetenv("DUTYDESK_NOW");
	f->db = dd_test_db();
	dd_test_city(f->db);
	f->disp = dd_test_actor(f->db, DD_ROLE_DISPATCHER);
	f->b1 = dd_test_int(f->db, "SELECT id FROM officers WHERE badge = 'B1'");
	f->b2 = dd_test_int(f->db, "SELECT id FROM officers WHERE badge = 'B2'");
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

static dd_inbound wa(const char *id, const char *from, const char *text, int64_t at)
{
	return (dd_inbound){.channel = "whatsapp", .external_id = id, .sender = from,
			    .sender_name = "Профиль", .kind = DD_IN_TEXT, .text = text, .at = at,
			    .raw = "{\"raw\":\"body\"}"};
}

static dd_inbound_result store(struct fx *f, const dd_inbound *in)
{
	dd_inbound_result r;
	dd_err err = {0};
	if (dd_inbound_store(f->db, in, WINDOW, &r, &err))
		fail_msg("store %s: %s", in->external_id, err.msg);
	return r;
}

static void routed_to_the_reporters_district(void **state)
{
	struct fx *f = *state;
	dd_inbound in = wa("wamid.1", KSK_PHONE, "В подъезде курят", T0);
	dd_inbound_result r = store(f, &in);
	assert_int_equal(r.outcome, DD_INR_NEW);
	assert_true(r.report > 0);
	char want[64];
	snprintf(want, sizeof want, "stored report #%lld (new)", (long long)r.report);
	assert_string_equal(r.summary, want);
	char *d = dd_test_text(f->db, "SELECT d.code FROM reports r JOIN districts d "
				      "ON d.id = r.district_id WHERE r.id = %lld", (long long)r.report);
	assert_string_equal(d, "D1");
	free(d);
	assert_int_equal(dd_test_int(f->db, "SELECT reporter_id IS NOT NULL AND org_id IS NOT NULL "
					    "AND channel = 'whatsapp' AND external_id = 'wamid.1' "
					    "AND received_at = %lld AND raw = '{\"raw\":\"body\"}' "
					    "FROM reports WHERE id = %lld", (long long)T0, (long long)r.report), 1);
	/* the reporter hears it was received, with the number */
	char *body = dd_test_text(f->db, "SELECT body FROM outbox WHERE report_id = %lld AND "
					 "recipient = 'reporter' AND kind = 'received' AND state = 'queued' "
					 "AND address = '" KSK_PHONE "'", (long long)r.report);
	assert_non_null(body);
	snprintf(want, sizeof want, "#%lld", (long long)r.report);
	assert_non_null(strstr(body, want));
	free(body);
	/* the message is kept, and the contact's window opened */
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM inbound WHERE external_id = "
					    "'wamid.1' AND report_id = %lld AND kind = 'text' AND raw = "
					    "'{\"raw\":\"body\"}'", (long long)r.report), 1);
	assert_int_equal(dd_test_int(f->db, "SELECT last_inbound_at FROM contacts WHERE channel = "
					    "'whatsapp' AND address = '" KSK_PHONE "'"), T0);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM events WHERE report_id = %lld "
					    "AND action = 'create'", (long long)r.report), 1);
}

static void unknown_sender_lands_unrouted(void **state)
{
	struct fx *f = *state;
	dd_inbound in = wa("wamid.2", "77059990000", "Шумят соседи", T0);
	in.sender_name = "Незнакомец";
	dd_inbound_result r = store(f, &in);
	assert_int_equal(r.outcome, DD_INR_NEW);
	assert_int_equal(dd_test_int(f->db, "SELECT district_id IS NULL AND reporter_id IS NULL AND "
					    "sender = '77059990000' AND sender_name = 'Незнакомец' FROM "
					    "reports WHERE id = %lld", (long long)r.report), 1);
	/* answered at the number it came from */
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM outbox WHERE report_id = %lld AND "
					    "kind = 'received' AND address = '77059990000'",
				     (long long)r.report), 1);
}

static void same_message_twice_is_one_report(void **state)
{
	struct fx *f = *state;
	dd_inbound in = wa("wamid.3", KSK_PHONE, "Мусор во дворе", T0);
	dd_inbound_result a = store(f, &in);
	dd_inbound_result b = store(f, &in);
	assert_int_equal(b.outcome, DD_INR_DUPLICATE);
	assert_int_equal(b.report, a.report);
	char want[80];
	snprintf(want, sizeof want, "duplicate message wamid.3 (report #%lld)", (long long)a.report);
	assert_string_equal(b.summary, want);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM reports"), 1);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM inbound"), 1);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM outbox"), 1);
}

static void text_photo_location_join_one_report(void **state)
{
	struct fx *f = *state;
	dd_inbound t = wa("j1", KSK_PHONE, "Разбили окно в подъезде", T0);
	dd_inbound_result r1 = store(f, &t);
	dd_inbound p = wa("j2", KSK_PHONE, "вот фото", T0 + 60000);
	p.kind = DD_IN_IMAGE;
	p.media_id = "MEDIA1";
	p.media_mime = "image/jpeg";
	p.media_sha256 = "abc=";
	dd_inbound_result r2 = store(f, &p);
	dd_inbound l = wa("j3", KSK_PHONE, NULL, T0 + 170000);
	l.kind = DD_IN_LOCATION;
	l.has_location = true;
	l.lat = 52.28;
	l.lon = 76.95;
	l.loc_name = "Двор";
	l.loc_address = "ул. Естая 143";
	dd_inbound_result r3 = store(f, &l);
	assert_int_equal(r2.outcome, DD_INR_JOINED);
	assert_int_equal(r3.outcome, DD_INR_JOINED);
	assert_int_equal(r2.report, r1.report);
	assert_int_equal(r3.report, r1.report);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM reports"), 1);
	char *text = dd_test_text(f->db, "SELECT text FROM reports WHERE id = %lld",
				  (long long)r1.report);
	assert_string_equal(text, "Разбили окно в подъезде\nвот фото");
	free(text);
	assert_int_equal(dd_test_int(f->db, "SELECT lat = 52.28 AND lon = 76.95 AND address = "
					    "'ул. Естая 143' AND version = 3 FROM reports WHERE id = %lld",
				     (long long)r1.report), 1);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM attachments WHERE report_id = %lld "
					    "AND kind = 'image' AND state = 'pending' AND media_id = "
					    "'MEDIA1' AND mime = 'image/jpeg' AND sha256 = 'abc=' AND "
					    "caption = 'вот фото'", (long long)r1.report), 1);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM events WHERE report_id = %lld "
					    "AND action = 'append'", (long long)r1.report), 2);
	/* one "received", not three */
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM outbox"), 1);

	/* after the window (from the last message), a new report */
	dd_inbound late = wa("j4", KSK_PHONE, "Ещё одно", T0 + 170000 + (WINDOW + 1) * 1000);
	dd_inbound_result r4 = store(f, &late);
	assert_int_equal(r4.outcome, DD_INR_NEW);
	assert_true(r4.report != r1.report);
	/* another sender never joins */
	dd_inbound other = wa("j5", "77050000000", "Другое", T0 + 10000);
	assert_int_equal(store(f, &other).outcome, DD_INR_NEW);
	/* a closed report is not joined */
	dd_test_exec(f->db, "UPDATE reports SET status = 'rejected'");
	dd_inbound again = wa("j6", KSK_PHONE, "снова", T0 + 170000 + (WINDOW + 2) * 1000);
	assert_int_equal(store(f, &again).outcome, DD_INR_NEW);
}

/* A desk report in D1 assigned to officer B1; the officer's notification
 * sent as external id "wamid.OUT". */
static int64_t assigned_report(struct fx *f)
{
	dd_report_in in = {.channel = "desk", .district = "D1", .category = "smoking",
			   .text = "Курят в подъезде", .reporter_phone = KSK_PHONE};
	int64_t id = 0;
	dd_err err = {0};
	if (dd_report_create(f->db, &f->disp, &in, &id, &err))
		fail_msg("%s", err.msg);
	dd_change c = {.action = DD_ACT_ASSIGN, .report = id, .officer = "B1"};
	if (dd_report_apply(f->db, &f->disp, &c, NULL, &err))
		fail_msg("%s", err.msg);
	char sql[300];
	snprintf(sql, sizeof sql, "UPDATE outbox SET state = 'sent', external_id = 'wamid.OUT', "
				  "channel = 'whatsapp', address = '77011110001' WHERE report_id = %lld AND recipient = 'officer'", (long long)id);
	dd_test_exec(f->db, sql);
	return id;
}

static char *status_of(struct fx *f, int64_t id)
{
	return dd_test_text(f->db, "SELECT status FROM reports WHERE id = %lld", (long long)id);
}

static void officer_replies_move_the_report(void **state)
{
	struct fx *f = *state;
	int64_t id = assigned_report(f);
	/* "1" answering our notification (context) */
	dd_inbound a = wa("o1", "77011110001", "1", T0);
	a.context_id = "wamid.OUT";
	dd_inbound_result r = store(f, &a);
	assert_int_equal(r.outcome, DD_INR_OFFICER);
	assert_int_equal(r.report, id);
	char want[80];
	snprintf(want, sizeof want, "officer B1: report #%lld acknowledged", (long long)id);
	assert_string_equal(r.summary, want);
	char *s = status_of(f, id);
	assert_string_equal(s, "acknowledged");
	free(s);
	char *actor = dd_test_text(f->db, "SELECT actor || '|' || action FROM events WHERE "
					  "report_id = %lld ORDER BY id DESC LIMIT 1", (long long)id);
	assert_string_equal(actor, "officer:B1|acknowledge");
	free(actor);
	/* no report was made of it */
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM reports"), 1);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM inbound WHERE officer_id = %lld "
					    "AND report_id = %lld", (long long)f->b1, (long long)id), 1);

	/* "2" with a note, no context: the latest open assignment */
	dd_inbound b = wa("o2", "+77011110001", "2 на месте, жду участкового", T0 + 1000);
	r = store(f, &b);
	assert_int_equal(r.outcome, DD_INR_OFFICER);
	s = status_of(f, id);
	assert_string_equal(s, "on_site");
	free(s);
	char *note = dd_test_text(f->db, "SELECT author || '|' || text FROM notes WHERE report_id = %lld",
				  (long long)id);
	assert_string_equal(note, "officer:B1|на месте, жду участкового");
	free(note);

	/* a Telegram button "done:ID" from the same officer */
	dd_inbound c = {.channel = "telegram", .external_id = "cb:1", .sender = "5001",
			.kind = DD_IN_BUTTON, .raw = "{}"};
	char payload[32];
	snprintf(payload, sizeof payload, "done:%lld", (long long)id);
	c.payload = payload;
	r = store(f, &c);
	assert_int_equal(r.outcome, DD_INR_OFFICER);
	s = status_of(f, id);
	assert_string_equal(s, "resolved");
	free(s);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM events WHERE report_id = %lld AND "
					    "actor = 'officer:B1'", (long long)id), 3);
	/* resolving tells the reporter */
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM outbox WHERE report_id = %lld AND "
					    "recipient = 'reporter' AND kind = 'resolved'", (long long)id), 1);
}

static void unclear_or_refused_replies_get_help(void **state)
{
	struct fx *f = *state;
	int64_t id = assigned_report(f);
	int64_t before = dd_test_int(f->db, "SELECT version FROM reports WHERE id = %lld",
				     (long long)id);
	dd_inbound a = wa("h1", "77011110001", "что делать?", T0);
	dd_inbound_result r = store(f, &a);
	assert_int_equal(r.outcome, DD_INR_HELP);
	assert_string_equal(r.summary, "officer B1: unclear reply; help sent");
	char *body = dd_test_text(f->db, "SELECT body FROM outbox WHERE officer_id = %lld AND "
					 "kind = 'help' AND state = 'queued'", (long long)f->b1);
	assert_non_null(body);
	assert_non_null(strstr(body, "Reply 1 to accept"));
	free(body);
	/* "12" is not "1" */
	dd_inbound twelve = wa("h2", "77011110001", "12", T0);
	assert_int_equal(store(f, &twelve).outcome, DD_INR_HELP);
	/* B2 tries to acknowledge B1's report: refused, answered, nothing moves */
	dd_inbound b = wa("h3", "77011110002", NULL, T0);
	b.kind = DD_IN_INTERACTIVE;
	char payload[32];
	snprintf(payload, sizeof payload, "ack:%lld", (long long)id);
	b.payload = payload;
	r = store(f, &b);
	assert_int_equal(r.outcome, DD_INR_HELP);
	assert_non_null(strstr(r.summary, "not assigned to officer B2"));
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM outbox WHERE officer_id = %lld AND "
					    "kind = 'help' AND body LIKE '%%not assigned%%'",
				     (long long)f->b2), 1);
	assert_int_equal(dd_test_int(f->db, "SELECT version FROM reports WHERE id = %lld",
				     (long long)id), before);
	char *s = status_of(f, id);
	assert_string_equal(s, "assigned");
	free(s);
	/* "3" from an officer with nothing open */
	dd_test_exec(f->db, "UPDATE reports SET status = 'closed'");
	dd_inbound c = wa("h4", "77011110002", "3", T0);
	r = store(f, &c);
	assert_int_equal(r.outcome, DD_INR_HELP);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM outbox WHERE officer_id = %lld AND "
					    "body LIKE 'You have no open report.%%'", (long long)f->b2), 1);
}

static void edited_message_updates_the_text(void **state)
{
	struct fx *f = *state;
	dd_inbound m = {.channel = "telegram", .external_id = "42:7", .sender = "42",
			.sender_name = "Дина", .kind = DD_IN_TEXT, .text = "Шумят во дворе", .at = T0,
			.raw = "{\"update_id\":1}"};
	dd_inbound_result r = store(f, &m);
	dd_inbound e = m;
	e.kind = DD_IN_EDITED;
	e.external_id = "42:7:edit:100";
	e.edit_of = "42:7";
	e.text = "Шумят во дворе, подъезд 2";
	e.raw = "{\"update_id\":2}";
	dd_inbound_result r2 = store(f, &e);
	assert_int_equal(r2.outcome, DD_INR_EDITED);
	assert_int_equal(r2.report, r.report);
	char *text = dd_test_text(f->db, "SELECT text || '|' || version FROM reports WHERE id = %lld",
				  (long long)r.report);
	assert_string_equal(text, "Шумят во дворе, подъезд 2|2");
	free(text);
	char *ev = dd_test_text(f->db, "SELECT before || ' -> ' || after FROM events WHERE "
				       "report_id = %lld AND action = 'edit'", (long long)r.report);
	assert_non_null(ev);
	assert_non_null(strstr(ev, "\"text\""));
	free(ev);
	/* a second edit replaces the first edit's text; the same edit again is a duplicate */
	e.external_id = "42:7:edit:200";
	e.text = "Шумят во дворе, подъезд 3";
	store(f, &e);
	assert_int_equal(store(f, &e).outcome, DD_INR_DUPLICATE);
	text = dd_test_text(f->db, "SELECT text FROM reports WHERE id = %lld", (long long)r.report);
	assert_string_equal(text, "Шумят во дворе, подъезд 3");
	free(text);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM events WHERE report_id = %lld AND "
					    "action = 'edit'", (long long)r.report), 2);
}

static void unsupported_is_kept_visible(void **state)
{
	struct fx *f = *state;
	dd_inbound m = wa("u1", KSK_PHONE, NULL, T0);
	m.kind = DD_IN_UNSUPPORTED;
	m.unsupported_type = "sticker";
	m.raw = "{\"type\":\"sticker\"}";
	dd_inbound_result r = store(f, &m);
	assert_int_equal(r.outcome, DD_INR_NEW);
	char *text = dd_test_text(f->db, "SELECT text FROM reports WHERE id = %lld", (long long)r.report);
	assert_string_equal(text, "[unsupported message type: sticker]");
	free(text);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM inbound WHERE kind = 'unsupported' "
					    "AND raw = '{\"type\":\"sticker\"}'"), 1);
	/* a button press from someone who is no officer makes no report */
	dd_inbound b = wa("u2", "77050000009", NULL, T0);
	b.kind = DD_IN_BUTTON;
	b.payload = "ack:1";
	assert_int_equal(store(f, &b).outcome, DD_INR_IGNORED);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM reports"), 1);
}

static void bad_messages_are_refused(void **state)
{
	struct fx *f = *state;
	dd_inbound_result r;
	dd_err err = {0};
	dd_inbound m = wa(NULL, KSK_PHONE, "x", T0);
	assert_int_equal(dd_inbound_store(f->db, &m, WINDOW, &r, &err), DD_EINVAL);
	assert_non_null(strstr(err.msg, "no message id"));
	m = wa("x1", "", "x", T0);
	assert_int_equal(dd_inbound_store(f->db, &m, WINDOW, &r, &err), DD_EINVAL);
	m = wa("x1", KSK_PHONE, "x", T0);
	m.channel = "sms";
	assert_int_equal(dd_inbound_store(f->db, &m, WINDOW, &r, &err), DD_EINVAL);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM inbound"), 0);
}

static char *outbox_state(struct fx *f, int64_t id)
{
	return dd_test_text(f->db, "SELECT state || '|' || template || '|' || coalesce(error_code, '') "
				   "FROM outbox WHERE id = %lld", (long long)id);
}

static void statuses_move_forward_only(void **state)
{
	struct fx *f = *state;
	int64_t report = assigned_report(f);
	int64_t id = dd_test_int(f->db, "SELECT id FROM outbox WHERE report_id = %lld AND "
					"recipient = 'officer'", (long long)report);
	dd_delivery d = {.channel = "whatsapp", .external_id = "wamid.OUT", .state = "delivered"};
	dd_inbound_result r;
	dd_err err = {0};
	assert_int_equal(dd_inbound_status(f->db, &d, &r, &err), DD_OK);
	assert_int_equal(r.outcome, DD_INR_STATUS);
	char want[80];
	snprintf(want, sizeof want, "status delivered for notification #%lld", (long long)id);
	assert_string_equal(r.summary, want);
	char *s = outbox_state(f, id);
	assert_string_equal(s, "delivered|0|");
	free(s);
	d.state = "sent"; /* late: ignored */
	assert_int_equal(dd_inbound_status(f->db, &d, &r, &err), DD_OK);
	assert_int_equal(r.outcome, DD_INR_IGNORED);
	d.state = "read";
	dd_inbound_status(f->db, &d, &r, &err);
	d.state = "delivered";
	dd_inbound_status(f->db, &d, &r, &err);
	s = outbox_state(f, id);
	assert_string_equal(s, "read|0|");
	free(s);
	d.state = "failed";
	d.error_code = 131026;
	d.error = "Message undeliverable";
	dd_inbound_status(f->db, &d, &r, &err);
	s = outbox_state(f, id);
	assert_string_equal(s, "failed|0|131026");
	free(s);
	char *e = dd_test_text(f->db, "SELECT error FROM outbox WHERE id = %lld", (long long)id);
	assert_string_equal(e, "131026: Message undeliverable");
	free(e);
	/* unknown ids are ignored, unknown states refused */
	d.external_id = "wamid.NOPE";
	assert_int_equal(dd_inbound_status(f->db, &d, &r, &err), DD_OK);
	assert_int_equal(r.outcome, DD_INR_IGNORED);
	assert_int_equal(dd_outbox_mark_by_external(f->db, "whatsapp", "wamid.NOPE", "read", 0, NULL,
						    &err), DD_ENOTFOUND);
	assert_int_equal(dd_outbox_mark_by_external(f->db, "whatsapp", "wamid.OUT", "exploded", 0,
						    NULL, &err), DD_EINVAL);
}

static void failed_131047_is_requeued_as_template(void **state)
{
	struct fx *f = *state;
	int64_t report = assigned_report(f);
	int64_t id = dd_test_int(f->db, "SELECT id FROM outbox WHERE report_id = %lld AND "
					"recipient = 'officer'", (long long)report);
	dd_err err = {0};
	assert_int_equal(dd_outbox_mark_by_external(f->db, "whatsapp", "wamid.OUT", "failed", 131047,
						    "Re-engagement message", &err), DD_OK);
	char *s = outbox_state(f, id);
	assert_string_equal(s, "queued|1|131047");
	free(s);
	/* the template failing too is final */
	dd_test_exec(f->db, "UPDATE outbox SET state = 'sent' WHERE external_id = 'wamid.OUT'");
	dd_outbox_mark_by_external(f->db, "whatsapp", "wamid.OUT", "failed", 131047, "again", &err);
	s = outbox_state(f, id);
	assert_string_equal(s, "failed|1|131047");
	free(s);
}

static void link_a_sender_to_a_reporter(void **state)
{
	struct fx *f = *state;
	dd_inbound m = wa("l1", "77017770000", "Пишет председатель с нового номера", T0);
	int64_t rep = store(f, &m).report;
	dd_inbound m2 = wa("l2", "77017770000", "ещё", T0 + 3600000);
	int64_t rep2 = store(f, &m2).report;
	assert_true(rep2 != rep);
	/* a reporter known by Telegram only, in the KSK of D1 */
	dd_err err = {0};
	dd_test_exec(f->db, "INSERT INTO reporters(name, telegram_id, org_id, created_at) "
			    "SELECT 'Сидоров', 777, id, 0 FROM organisations LIMIT 1");
	int64_t rid = dd_test_int(f->db, "SELECT id FROM reporters WHERE telegram_id = 777");
	char key[24];
	snprintf(key, sizeof key, "#%lld", (long long)rid);
	dd_actor obs = dd_test_actor(f->db, DD_ROLE_OBSERVER);
	assert_int_equal(dd_reporter_link(f->db, &obs, "77017770000", key, NULL, &err), DD_EPERM);
	int64_t moved = 0;
	if (dd_reporter_link(f->db, &f->disp, "+77017770000", key, &moved, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(moved, 2);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM reports r JOIN districts d ON "
					    "d.id = r.district_id WHERE d.code = 'D1' AND r.reporter_id = %lld",
				     (long long)rid), 2);
	char *phone = dd_test_text(f->db, "SELECT phone FROM reporters WHERE id = %lld", (long long)rid);
	assert_string_equal(phone, "77017770000");
	free(phone);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM events WHERE action = 'link' AND "
					    "actor = 'user:t_dispatcher'"), 2);
	/* from now on the sender is routed */
	dd_inbound m3 = wa("l3", "77017770000", "третье", T0 + 7200000);
	int64_t rep3 = store(f, &m3).report;
	assert_int_equal(dd_test_int(f->db, "SELECT reporter_id FROM reports WHERE id = %lld",
				     (long long)rep3), rid);
	/* a reporter with another phone is not silently changed */
	assert_int_equal(dd_reporter_link(f->db, &f->disp, "77017770000", KSK_PHONE, NULL, &err),
			 DD_EINVAL);
	assert_non_null(strstr(err.msg, "already has phone"));
	assert_int_equal(dd_reporter_link(f->db, &f->disp, "77000000000", key, NULL, &err),
			 DD_ENOTFOUND);
	assert_int_equal(dd_reporter_link(f->db, &f->disp, "77017770000", "#999", NULL, &err),
			 DD_ENOTFOUND);
}

static void gateway_state(void **state)
{
	struct fx *f = *state;
	dd_gw_status st;
	dd_err err = {0};
	assert_int_equal(dd_gateway_status(f->db, &st, &err), DD_OK);
	assert_int_equal(st.state, DD_GWS_NEVER);
	setenv("DUTYDESK_NOW", "2026-12-01T09:00:00Z", 1);
	assert_int_equal(dd_gateway_heartbeat(f->db, &err), DD_OK);
	dd_gateway_status(f->db, &st, &err);
	assert_int_equal(st.state, DD_GWS_ALIVE);
	assert_string_equal(st.text, "gateway alive");
	dd_gateway_set_state(f->db, "whatsapp", "paused", "rate limited", &err);
	setenv("DUTYDESK_NOW", "2026-12-01T09:00:05Z", 1);
	dd_gateway_set_state(f->db, "telegram", "token_expired", "401", &err);
	dd_gateway_status(f->db, &st, &err);
	assert_int_equal(st.state, DD_GWS_TOKEN_EXPIRED);
	assert_string_equal(st.channel, "telegram");
	assert_non_null(strstr(st.text, "telegram token expired since"));
	assert_int_equal(dd_gateway_set_state(f->db, "telegram", "sleepy", NULL, &err), DD_EINVAL);
	/* a minute without a heartbeat: down since the last one */
	setenv("DUTYDESK_NOW", "2026-12-01T09:01:00Z", 1);
	dd_gateway_status(f->db, &st, &err);
	assert_int_equal(st.state, DD_GWS_DOWN);
	assert_non_null(strstr(st.text, "gateway down since"));
	dd_gateway_heartbeat(f->db, &err);
	dd_gateway_stopped(f->db, &err);
	dd_gateway_status(f->db, &st, &err);
	assert_int_equal(st.state, DD_GWS_DOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(routed_to_the_reporters_district),
		T(unknown_sender_lands_unrouted),
		T(same_message_twice_is_one_report),
		T(text_photo_location_join_one_report),
		T(officer_replies_move_the_report),
		T(unclear_or_refused_replies_get_help),
		T(edited_message_updates_the_text),
		T(unsupported_is_kept_visible),
		T(bad_messages_are_refused),
		T(statuses_move_forward_only),
		T(failed_131047_is_requeued_as_template),
		T(link_a_sender_to_a_reporter),
		T(gateway_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
