/* The outbox as the sender uses it: claiming (ordered, limited, atomic
 * between processes), sent / retry / failed, crash re-queue, give-up,
 * cancelling an event's rows, counts, the WhatsApp window; and the
 * attachments' download states. */
#include <config.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"
#include "dutydesk/attachment.h"
#include "dutydesk/clock.h"
#include "dutydesk/outbox.h"

#define NOW INT64_C(1800000000000)

struct fx {
	char *path;
	dd_db *db;
};

static int setup(void **state)
{
	struct fx *f = dd_xcalloc(1, sizeof *f);
	f->path = dd_test_db_path();
	dd_err err = {0};
	if (dd_db_open(&f->db, f->path, DD_DB_CREATE, &err))
		fail_msg("%s", err.msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	dd_db_close(&f->db);
	free(f->path);
	free(f);
	return 0;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* A row straight into the table; returns its id. */
static int64_t put(dd_db *db, const char *channel, const char *state, int64_t next_at,
		   int64_t created_at, int64_t event)
{
	char ev[24] = "NULL";
	if (event)
		snprintf(ev, sizeof ev, "%lld", (long long)event);
	char *sql = dd_xasprintf(
		"INSERT INTO outbox(recipient, channel, address, kind, body, state, next_at, "
		"created_at, updated_at, event_id) VALUES ('officer', '%s', '77011110001', "
		"'assigned', 'Report #1', '%s', %lld, %lld, %lld, %s)",
		channel, state, (long long)next_at, (long long)created_at, (long long)created_at, ev);
	dd_test_exec(db, sql);
	free(sql);
	return dd_test_int(db, "SELECT max(id) FROM outbox");
}

static char *col(dd_db *db, int64_t id, const char *expr)
{
	return dd_test_text(db, "SELECT %s FROM outbox WHERE id = %lld", expr, (long long)id);
}

static void assert_row(dd_db *db, int64_t id, const char *expr, const char *want)
{
	char *got = col(db, id, expr);
	if (!got || strcmp(got, want) != 0)
		fail_msg("row %lld: %s is '%s', expected '%s'", (long long)id, expr,
			 got ? got : "(null)", want);
	free(got);
}

static void claim(dd_db *db, const char *channel, int64_t now, size_t limit,
		  dd_outbox_job **jobs, size_t *n)
{
	dd_err err = {0};
	if (dd_outbox_claim_due(db, channel, now, limit, jobs, n, &err))
		fail_msg("claim: %s", err.msg);
}

static void claim_is_ordered_limited_and_marks_sending(void **state)
{
	struct fx *f = *state;
	int64_t late = put(f->db, "whatsapp", "queued", NOW - 100, NOW - 1000, 0);
	int64_t first = put(f->db, "whatsapp", "queued", NOW - 300, NOW - 1000, 0);
	int64_t second = put(f->db, "whatsapp", "queued", NOW - 200, NOW - 1000, 0);
	int64_t future = put(f->db, "whatsapp", "queued", NOW + 60000, NOW - 1000, 0);
	int64_t tg = put(f->db, "telegram", "queued", NOW - 500, NOW - 1000, 0);
	int64_t sent = put(f->db, "whatsapp", "sent", NOW - 900, NOW - 1000, 0);

	dd_outbox_job *jobs;
	size_t n;
	claim(f->db, "whatsapp", NOW, 2, &jobs, &n);
	assert_int_equal(n, 2);
	assert_int_equal(jobs[0].id, first);
	assert_int_equal(jobs[1].id, second);
	assert_int_equal(jobs[0].attempts, 1);
	assert_string_equal(jobs[0].channel, "whatsapp");
	assert_string_equal(jobs[0].address, "77011110001");
	assert_string_equal(jobs[0].body, "Report #1");
	assert_string_equal(jobs[0].recipient, "officer");
	assert_string_equal(jobs[0].kind, "assigned");
	assert_false(jobs[0].template);
	dd_outbox_job_list_free(&jobs, n);
	assert_null(jobs);
	assert_row(f->db, first, "state || attempts", "sending1");
	assert_row(f->db, second, "state || attempts", "sending1");
	assert_row(f->db, late, "state || attempts", "queued0");

	claim(f->db, "whatsapp", NOW, 10, &jobs, &n);
	assert_int_equal(n, 1);
	assert_int_equal(jobs[0].id, late);
	dd_outbox_job_list_free(&jobs, n);

	claim(f->db, "whatsapp", NOW, 10, &jobs, &n);
	assert_int_equal(n, 0);
	assert_null(jobs);
	assert_row(f->db, future, "state", "queued");
	assert_row(f->db, tg, "state", "queued");
	assert_row(f->db, sent, "state", "sent");

	claim(f->db, "telegram", NOW, 10, &jobs, &n);
	assert_int_equal(n, 1);
	assert_int_equal(jobs[0].id, tg);
	dd_outbox_job_list_free(&jobs, n);
}

/* Two processes claiming from the same file at once never get the same
 * row, and between them get every row. */
static void claim_is_atomic_between_processes(void **state)
{
	struct fx *f = *state;
	enum { ROWS = 200, KIDS = 3 };
	for (int i = 0; i < ROWS; i++)
		put(f->db, "whatsapp", "queued", NOW - ROWS + i, NOW - 1000, 0);
	int fds[KIDS][2];
	pid_t pids[KIDS];
	for (int k = 0; k < KIDS; k++) {
		if (pipe(fds[k]) != 0)
			fail_msg("pipe");
		pids[k] = fork();
		if (pids[k] == 0) {
			close(fds[k][0]);
			dd_db *db;
			dd_err err = {0};
			if (dd_db_open(&db, f->path, 0, &err))
				_exit(2);
			for (;;) {
				dd_outbox_job *jobs;
				size_t n;
				if (dd_outbox_claim_due(db, "whatsapp", NOW, 3, &jobs, &n, &err))
					_exit(3);
				if (n == 0)
					break;
				for (size_t i = 0; i < n; i++)
					if (write(fds[k][1], &jobs[i].id, sizeof jobs[i].id) !=
					    (ssize_t)sizeof jobs[i].id)
						_exit(4);
				dd_outbox_job_list_free(&jobs, n);
			}
			dd_db_close(&db);
			_exit(0);
		}
		close(fds[k][1]);
	}
	static int seen[ROWS + 1];
	int total = 0;
	int64_t base = dd_test_int(f->db, "SELECT min(id) FROM outbox") - 1;
	for (int k = 0; k < KIDS; k++) {
		int64_t id;
		while (read(fds[k][0], &id, sizeof id) == (ssize_t)sizeof id) {
			assert_in_range(id - base, 1, ROWS);
			seen[id - base]++;
			total++;
		}
		close(fds[k][0]);
		int st;
		waitpid(pids[k], &st, 0);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_int_equal(total, ROWS);
	for (int i = 1; i <= ROWS; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(dd_test_int(f->db, "SELECT count(*) FROM outbox WHERE state = 'sending' "
				     "AND attempts = 1"), ROWS);
}

static int64_t claim_one(dd_db *db, const char *channel, int64_t now)
{
	dd_outbox_job *jobs;
	size_t n;
	claim(db, channel, now, 1, &jobs, &n);
	assert_int_equal(n, 1);
	int64_t id = jobs[0].id;
	dd_outbox_job_list_free(&jobs, n);
	return id;
}

static void sent_retry_failed_transitions(void **state)
{
	struct fx *f = *state;
	dd_err err = {0};
	int64_t a = put(f->db, "whatsapp", "queued", NOW - 10, NOW - 1000, 0);
	claim_one(f->db, "whatsapp", NOW);

	/* retry: queued again at next_at with the error; not due before */
	assert_int_equal(dd_outbox_mark_retry(f->db, a, NOW + 5000, 130429, "rate limit", false,
					      &err), DD_OK);
	assert_row(f->db, a, "state || '|' || next_at || '|' || error_code || '|' || error",
		   "queued|1800000005000|130429|rate limit");
	dd_outbox_job *jobs;
	size_t n;
	claim(f->db, "whatsapp", NOW + 4999, 5, &jobs, &n);
	assert_int_equal(n, 0);

	/* retry as template: the flag sticks for the next claim */
	claim_one(f->db, "whatsapp", NOW + 5000);
	assert_int_equal(dd_outbox_mark_retry(f->db, a, NOW + 5000, 131047, "re-engagement", true,
					      &err), DD_OK);
	claim(f->db, "whatsapp", NOW + 5000, 5, &jobs, &n);
	assert_int_equal(n, 1);
	assert_true(jobs[0].template);
	assert_int_equal(jobs[0].attempts, 3);
	dd_outbox_job_list_free(&jobs, n);

	/* sent: external id, sent_at, the error cleared */
	assert_int_equal(dd_outbox_mark_sent(f->db, a, "wamid.X1", true, NOW + 6000, &err), DD_OK);
	assert_row(f->db, a,
		   "state || '|' || external_id || '|' || sent_at || '|' || template || '|' || "
		   "coalesce(error, '-') || '|' || coalesce(error_code, '-')",
		   "sent|wamid.X1|1800000006000|1|-|-");
	/* a row no longer sending is not moved back by a late answer */
	assert_int_equal(dd_outbox_mark_retry(f->db, a, NOW, 500, "late", false, &err), DD_OK);
	assert_int_equal(dd_outbox_mark_sent(f->db, a, "wamid.OTHER", false, NOW, &err), DD_OK);
	assert_row(f->db, a, "state || '|' || external_id", "sent|wamid.X1");

	/* failed: permanent, with the reason */
	int64_t b = put(f->db, "whatsapp", "queued", NOW - 10, NOW - 1000, 0);
	claim_one(f->db, "whatsapp", NOW);
	assert_int_equal(dd_outbox_mark_failed(f->db, b, 131026, "WhatsApp 131026: undeliverable",
					       &err), DD_OK);
	assert_row(f->db, b, "state || '|' || error_code || '|' || error",
		   "failed|131026|WhatsApp 131026: undeliverable");
	claim(f->db, "whatsapp", NOW + 999999, 5, &jobs, &n);
	assert_int_equal(n, 0);
}

static void defer_does_not_count_an_attempt(void **state)
{
	struct fx *f = *state;
	dd_err err = {0};
	int64_t a = put(f->db, "telegram", "queued", NOW - 10, NOW - 1000, 0);
	claim_one(f->db, "telegram", NOW);
	assert_int_equal(dd_outbox_defer(f->db, a, NOW + 700, &err), DD_OK);
	assert_row(f->db, a, "state || '|' || attempts || '|' || next_at", "queued|0|1800000000700");
}

static void crash_requeue_puts_sending_rows_back(void **state)
{
	struct fx *f = *state;
	dd_err err = {0};
	int64_t a = put(f->db, "whatsapp", "queued", NOW - 10, NOW - 1000, 0);
	int64_t b = put(f->db, "telegram", "queued", NOW - 10, NOW - 1000, 0);
	int64_t c = put(f->db, "telegram", "sent", NOW - 10, NOW - 1000, 0);
	claim_one(f->db, "whatsapp", NOW);
	claim_one(f->db, "telegram", NOW);
	int n = -1;
	assert_int_equal(dd_outbox_requeue_sending(f->db, &n, &err), DD_OK);
	assert_int_equal(n, 2);
	assert_row(f->db, a, "state || attempts", "queued1");
	assert_row(f->db, b, "state || attempts", "queued1");
	assert_row(f->db, c, "state", "sent");
	/* due at once */
	int64_t now = dd_now_ms();
	dd_outbox_job *jobs;
	size_t k;
	claim(f->db, "whatsapp", now + 1, 5, &jobs, &k);
	assert_int_equal(k, 1);
	assert_int_equal(jobs[0].id, a);
	dd_outbox_job_list_free(&jobs, k);
}

static void give_up_fails_old_queued_rows(void **state)
{
	struct fx *f = *state;
	dd_err err = {0};
	int64_t old = put(f->db, "whatsapp", "queued", NOW - 10, NOW - 90000000, 0);
	int64_t old_err = put(f->db, "whatsapp", "queued", NOW - 10, NOW - 90000000, 0);
	dd_test_exec(f->db, "UPDATE outbox SET attempts = 7, error = 'WhatsApp 130429: rate' "
			    "WHERE id = (SELECT max(id) FROM outbox)");
	int64_t young = put(f->db, "whatsapp", "queued", NOW - 10, NOW - 1000, 0);
	int64_t old_sending = put(f->db, "whatsapp", "sending", NOW - 10, NOW - 90000000, 0);
	int n = -1;
	assert_int_equal(dd_outbox_give_up(f->db, NOW, 86400000, &n, &err), DD_OK);
	assert_int_equal(n, 2);
	assert_row(f->db, old, "state || '|' || error", "failed|gave up after 0 attempts in 90000 s");
	assert_row(f->db, old_err, "state || '|' || error",
		   "failed|gave up after 7 attempts in 90000 s; last error: WhatsApp 130429: rate");
	assert_row(f->db, young, "state", "queued");
	assert_row(f->db, old_sending, "state", "sending");
}

static int64_t put_event(dd_db *db)
{
	dd_test_exec(db, "INSERT INTO events(at, actor, action, prev_hash, hash) "
			 "VALUES (1, 'user:t', 'assign', '', 'h')");
	return dd_test_int(db, "SELECT max(id) FROM events");
}

static void cancel_for_event_only_cancels_queued_rows(void **state)
{
	struct fx *f = *state;
	dd_err err = {0};
	int64_t e = put_event(f->db), other = put_event(f->db);
	int64_t q1 = put(f->db, "whatsapp", "queued", NOW - 10, NOW - 1000, e);
	int64_t q2 = put(f->db, "telegram", "queued", NOW + 10, NOW - 1000, e);
	int64_t sending = put(f->db, "whatsapp", "sending", NOW - 10, NOW - 1000, e);
	int64_t sent = put(f->db, "whatsapp", "sent", NOW - 10, NOW - 1000, e);
	int64_t failed = put(f->db, "whatsapp", "failed", NOW - 10, NOW - 1000, e);
	int64_t elsewhere = put(f->db, "whatsapp", "queued", NOW - 10, NOW - 1000, other);
	int n = -1;
	assert_int_equal(dd_outbox_cancel_for_event(f->db, e, &n, &err), DD_OK);
	assert_int_equal(n, 2);
	assert_row(f->db, q1, "state", "cancelled");
	assert_row(f->db, q2, "state", "cancelled");
	assert_row(f->db, sending, "state", "sending");
	assert_row(f->db, sent, "state", "sent");
	assert_row(f->db, failed, "state", "failed");
	assert_row(f->db, elsewhere, "state", "queued");
	/* again: nothing left to cancel */
	assert_int_equal(dd_outbox_cancel_for_event(f->db, e, &n, &err), DD_OK);
	assert_int_equal(n, 0);
	/* cancelled rows are never claimed */
	dd_outbox_job *jobs;
	size_t k;
	claim(f->db, "telegram", NOW + 100, 5, &jobs, &k);
	assert_int_equal(k, 0);
	/* inside the caller's transaction (the console's undo) */
	int64_t q3 = put(f->db, "whatsapp", "queued", NOW - 10, NOW - 1000, other);
	assert_int_equal(dd_db_begin(f->db, &err), DD_OK);
	assert_int_equal(dd_outbox_cancel_for_event(f->db, other, &n, &err), DD_OK);
	assert_int_equal(n, 2);
	dd_db_rollback(f->db);
	assert_row(f->db, q3, "state", "queued");
	assert_row(f->db, elsewhere, "state", "queued");
}

static void counts_by_state(void **state)
{
	struct fx *f = *state;
	dd_err err = {0};
	put(f->db, "whatsapp", "queued", NOW, NOW - 500, 0);
	put(f->db, "whatsapp", "queued", NOW, NOW - 700, 0);
	put(f->db, "whatsapp", "sending", NOW, NOW, 0);
	put(f->db, "telegram", "sent", NOW, NOW, 0);
	put(f->db, "telegram", "delivered", NOW, NOW, 0);
	put(f->db, "telegram", "read", NOW, NOW, 0);
	put(f->db, "telegram", "failed", NOW, NOW, 0);
	put(f->db, "telegram", "failed", NOW, NOW, 0);
	put(f->db, "telegram", "cancelled", NOW, NOW, 0);
	dd_outbox_counts c;
	assert_int_equal(dd_outbox_count(f->db, &c, &err), DD_OK);
	assert_int_equal(c.queued, 2);
	assert_int_equal(c.sending, 1);
	assert_int_equal(c.sent, 1);
	assert_int_equal(c.delivered, 1);
	assert_int_equal(c.read, 1);
	assert_int_equal(c.failed, 2);
	assert_int_equal(c.cancelled, 1);
	assert_int_equal(c.oldest_queued_at, NOW - 700);
}

static void whatsapp_window(void **state)
{
	struct fx *f = *state;
	int64_t hour = 3600 * 1000;
	assert_false(dd_contact_window_open(f->db, "whatsapp", "77011110001", NOW));
	char *sql = dd_xasprintf("INSERT INTO contacts(channel, address, last_inbound_at) "
				 "VALUES ('whatsapp', '77011110001', %lld)", (long long)(NOW - hour));
	dd_test_exec(f->db, sql);
	free(sql);
	assert_true(dd_contact_window_open(f->db, "whatsapp", "77011110001", NOW));
	/* the address is compared by its digits */
	assert_true(dd_contact_window_open(f->db, "whatsapp", "+7 701 111 00 01", NOW));
	/* they wrote at NOW - 1 h: open until 24 h after that, then closed */
	assert_true(dd_contact_window_open(f->db, "whatsapp", "77011110001", NOW + 23 * hour - 1));
	assert_false(dd_contact_window_open(f->db, "whatsapp", "77011110001", NOW + 23 * hour));
	assert_false(dd_contact_window_open(f->db, "whatsapp", "77011110001", NOW + 48 * hour));
	/* per channel */
	assert_false(dd_contact_window_open(f->db, "telegram", "77011110001", NOW));
	assert_false(dd_contact_window_open(f->db, "whatsapp", "77011110002", NOW));
}

static int64_t put_attachment(dd_db *db, const char *channel, const char *media_id)
{
	char *sql = dd_xasprintf("INSERT INTO reports(category, channel, text, received_at, updated_at) "
				 "VALUES ('other', '%s', 'x', 1, 1)", channel);
	dd_test_exec(db, sql);
	free(sql);
	sql = dd_xasprintf("INSERT INTO attachments(report_id, kind, mime, sha256, media_id, "
			   "created_at) VALUES ((SELECT max(id) FROM reports), 'image', "
			   "'image/jpeg', 'q1m1y9x3b8dQy1+3Z7kPp0oXv5mQ2r8f4Jc6nW0tL9E=', '%s', 1)",
			   media_id);
	dd_test_exec(db, sql);
	free(sql);
	return dd_test_int(db, "SELECT max(id) FROM attachments");
}

static char *att(dd_db *db, int64_t id, const char *expr)
{
	return dd_test_text(db, "SELECT %s FROM attachments WHERE id = %lld", expr, (long long)id);
}

static void attachments_claim_lease_and_states(void **state)
{
	struct fx *f = *state;
	dd_err err = {0};
	int64_t a = put_attachment(f->db, "whatsapp", "1093380000000001");
	int64_t b = put_attachment(f->db, "telegram", "AgACAgIAAxkBAAIBOGZ0large");
	dd_test_exec(f->db, "INSERT INTO attachments(report_id, kind, created_at) "
			    "VALUES ((SELECT max(id) FROM reports), 'image', 1)"); /* no media id */
	int64_t pending = -1;
	assert_int_equal(dd_attachment_count_pending(f->db, &pending, &err), DD_OK);
	assert_int_equal(pending, 3);

	dd_media_job *jobs;
	size_t n;
	assert_int_equal(dd_attachment_claim_due(f->db, NOW, 60000, 10, &jobs, &n, &err), DD_OK);
	assert_int_equal(n, 2);
	assert_int_equal(jobs[0].id, a);
	assert_string_equal(jobs[0].channel, "whatsapp");
	assert_string_equal(jobs[0].media_id, "1093380000000001");
	assert_string_equal(jobs[0].mime, "image/jpeg");
	assert_int_equal(jobs[0].attempts, 1);
	assert_string_equal(jobs[1].channel, "telegram");
	dd_media_job_list_free(&jobs, n);
	/* leased: not claimed again until the lease ends */
	assert_int_equal(dd_attachment_claim_due(f->db, NOW + 59999, 60000, 10, &jobs, &n, &err),
			 DD_OK);
	assert_int_equal(n, 0);
	assert_int_equal(dd_attachment_claim_due(f->db, NOW + 60000, 60000, 10, &jobs, &n, &err),
			 DD_OK);
	assert_int_equal(n, 2);
	assert_int_equal(jobs[0].attempts, 2);
	dd_media_job_list_free(&jobs, n);

	assert_int_equal(dd_attachment_mark_stored(f->db, a, "ab/abcd.jpg", 1234, "abcd", "image/png",
						   &err), DD_OK);
	char *s = att(f->db, a, "state || '|' || path || '|' || size || '|' || sha256 || '|' || mime "
				"|| '|' || coalesce(next_at, '-')");
	assert_string_equal(s, "stored|ab/abcd.jpg|1234|abcd|image/jpeg|-");
	free(s);

	assert_int_equal(dd_attachment_mark_retry(f->db, b, NOW + 5000, "HTTP 500", &err), DD_OK);
	s = att(f->db, b, "state || '|' || next_at || '|' || error");
	assert_string_equal(s, "pending|1800000005000|HTTP 500");
	free(s);
	assert_int_equal(dd_attachment_mark_failed(f->db, b, "too large", &err), DD_OK);
	s = att(f->db, b, "state || '|' || error");
	assert_string_equal(s, "failed|too large");
	free(s);
	assert_int_equal(dd_attachment_count_pending(f->db, &pending, &err), DD_OK);
	assert_int_equal(pending, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(claim_is_ordered_limited_and_marks_sending),
		T(claim_is_atomic_between_processes),
		T(sent_retry_failed_transitions),
		T(defer_does_not_count_an_attempt),
		T(crash_requeue_puts_sending_rows_back),
		T(give_up_fails_old_queued_rows),
		T(cancel_for_event_only_cancels_queued_rows),
		T(counts_by_state),
		T(whatsapp_window),
		T(attachments_claim_lease_and_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
