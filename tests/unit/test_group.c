/* Group commit (src/gateway/group.c): bodies submitted together share one
 * transaction; each is stored exactly once and answered only after its
 * commit; a body the database refuses fails alone. Real threads, each on
 * its own connection, on one database file. */
#include <config.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "testutil.h"
#include "../../src/gateway/group.h"
#include "../../src/gateway/metrics.h"

enum { N = 12 };

struct sub {
	pthread_t t;
	gw_group *g;
	dd_db *db;
	char *body;
	dd_status st;
	char msg[600];
	int stored;
};

static char *wa_body(const char *id, int sender)
{
	return dd_xasprintf(
		"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":"
		"[{\"field\":\"messages\",\"value\":{\"messaging_product\":\"whatsapp\","
		"\"metadata\":{\"phone_number_id\":\"2\"},\"contacts\":[{\"profile\":{\"name\":"
		"\"Житель\"},\"wa_id\":\"770100%05d\"}],\"messages\":[{\"from\":\"770100%05d\","
		"\"id\":\"%s\",\"timestamp\":\"1764321000\",\"type\":\"text\",\"text\":"
		"{\"body\":\"Во дворе мусор, сообщение %s\"}}]}}]}]}",
		sender, sender, id, id);
}

static void *submit(void *p)
{
	struct sub *s = p;
	dd_err err = {0};
	gw_ingest_out out = {0};
	s->st = gw_group_ingest(s->g, s->db, "whatsapp", s->body, strlen(s->body), 180, &out, &err);
	snprintf(s->msg, sizeof s->msg, "%s", s->st ? err.msg : "");
	s->stored = out.stored;
	gw_ingest_out_free(&out);
	return NULL;
}

/* sqlite3 on the same file, for holding the write lock and for counting */
static sqlite3 *raw(const char *path)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	return h;
}

static int64_t count(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static double metric(const char *name)
{
	dd_buf b = {0};
	gw_metrics_render(&b);
	char *pat = dd_xasprintf("\n%s ", name);
	const char *p = b.data ? strstr(b.data, pat) : NULL;
	double v = p ? strtod(p + strlen(pat), NULL) : -1;
	free(pat);
	dd_buf_free(&b);
	return v;
}

/* A fresh, migrated database file; caller frees the path. */
static char *fresh_db(void)
{
	dd_db *db = dd_test_db();
	char *path = dd_xstrdup(dd_db_path(db));
	dd_db_close(&db);
	return path;
}

/*
 * Starts N submitters while another connection holds the write lock (the
 * handle returned, its change open): the first (subs[0]) leads a batch of
 * its own and waits on the lock; the others queue behind it. Returns once
 * all are in.
 */
static sqlite3 *start_locked(const char *path, gw_group *g, struct sub *subs)
{
	/* each submitter its own connection, as the server's threads have */
	for (int i = 0; i < N; i++) {
		dd_err err = {0};
		if (dd_db_open(&subs[i].db, path, 0, &err))
			fail_msg("opening %s: %s", path, err.msg);
		subs[i].g = g;
	}
	sqlite3 *lock = raw(path);
	assert_int_equal(sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < N; i++) {
		assert_int_equal(pthread_create(&subs[i].t, NULL, submit, &subs[i]), 0);
		/* the first leads; then all are in (4 s; the busy timeout is 5 s) */
		if (i == 0 || i == N - 1)
			for (int tries = 0; gw_group_pending(g) < i + 1; tries++) {
				assert_true(tries < 400);
				usleep(10000);
			}
	}
	return lock;
}

static void join_all(struct sub *subs)
{
	for (int i = 0; i < N; i++) {
		pthread_join(subs[i].t, NULL);
		dd_db_close(&subs[i].db);
	}
}

/* As start_locked, then the lock is released: the second batch holds the
 * other N - 1. */
static void run(const char *path, struct sub *subs)
{
	gw_group *g = gw_group_new(64);
	sqlite3 *lock = start_locked(path, g, subs);
	assert_int_equal(sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(lock);
	join_all(subs);
	gw_group_free(&g);
}

static void test_bodies_submitted_together_share_a_commit(void **state)
{
	(void)state;
	char *path = fresh_db();
	struct sub subs[N] = {0};
	char id[32];
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof id, "wamid.G%03d", i);
		subs[i].body = wa_body(id, i);
	}
	gw_metrics_reset();
	run(path, subs);
	for (int i = 0; i < N; i++) {
		assert_int_equal(subs[i].st, DD_OK);
		assert_int_equal(subs[i].stored, 1);
		free(subs[i].body);
	}
	sqlite3 *h = raw(path);
	assert_int_equal(count(h, "SELECT count(*) FROM inbound WHERE external_id LIKE 'wamid.G%'"), N);
	assert_int_equal(count(h, "SELECT count(DISTINCT report_id) FROM inbound "
				  "WHERE external_id LIKE 'wamid.G%'"), N);
	assert_int_equal(count(h, "SELECT count(*) FROM reports"), N);
	sqlite3_close(h);
	assert_int_equal((int)metric("dutydesk_webhook_bodies_total"), N);
	/* the first alone, then the other N - 1 in one transaction */
	assert_int_equal((int)metric("dutydesk_webhook_commits_total"), 2);
	free(path);
}

/* One body that the database fails on (a trigger overflows on its id: an
 * error, not a constraint, which would only skip that message) in a batch:
 * the batch's transaction is undone, every body is stored again on its
 * own; that one fails, the others are stored once. */
static void test_a_refused_body_fails_alone(void **state)
{
	(void)state;
	char *path = fresh_db();
	sqlite3 *h = raw(path);
	assert_int_equal(sqlite3_exec(h, "CREATE TRIGGER boom BEFORE INSERT ON inbound "
					 "WHEN NEW.external_id = 'wamid.BOOM' "
					 "BEGIN SELECT abs(-9223372036854775807 - 1); END",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	struct sub subs[N] = {0};
	char id[32];
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof id, i == N / 2 ? "wamid.BOOM" : "wamid.G%03d", i);
		subs[i].body = wa_body(id, i);
	}
	/* a duplicate of an earlier body and an unusable body ride along */
	free(subs[1].body);
	subs[1].body = wa_body("wamid.G000", 0);
	free(subs[2].body);
	subs[2].body = dd_xstrdup("{not json");
	gw_metrics_reset();
	run(path, subs);
	int ok = 0;
	for (int i = 0; i < N; i++) {
		if (i == N / 2) {
			assert_int_equal(subs[i].st, DD_EDB);
			assert_non_null(strstr(subs[i].msg, "integer overflow"));
		} else if (i == 2) {
			assert_int_equal(subs[i].st, DD_EINVAL);
		} else {
			assert_int_equal(subs[i].st, DD_OK);
			ok++;
		}
		free(subs[i].body);
	}
	assert_int_equal(ok, N - 2);
	/* the first alone; the batch undone; then each good one alone */
	assert_int_equal((int)metric("dutydesk_webhook_bodies_total"), N);
	assert_int_equal((int)metric("dutydesk_webhook_commits_total"), 1 + N - 3);
	/* N - 3 distinct good ids (G000 twice), each stored once */
	assert_int_equal(count(h, "SELECT count(*) FROM inbound WHERE external_id LIKE 'wamid.G%'"),
			 N - 3);
	assert_int_equal(count(h, "SELECT count(*) FROM inbound WHERE external_id = 'wamid.BOOM'"), 0);
	assert_int_equal(count(h, "SELECT count(*) FROM reports"), N - 3);
	sqlite3_close(h);
	free(path);
}

/* The database stays locked past the busy timeout (5 s): the first body
 * fails alone after 5 s, and the other N - 1, a batch whose transaction
 * cannot start, fail together after 5 s more, not one after another (which
 * took 5 s each). */
static void test_a_locked_database_fails_a_batch_at_once(void **state)
{
	(void)state;
	char *path = fresh_db();
	struct sub subs[N] = {0};
	char id[32];
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof id, "wamid.L%03d", i);
		subs[i].body = wa_body(id, i);
	}
	gw_group *g = gw_group_new(64);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sqlite3 *lock = start_locked(path, g, subs);
	join_all(subs);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_int_equal(sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < N; i++) {
		assert_int_equal(subs[i].st, DD_EBUSY);
		assert_non_null(strstr(subs[i].msg, "locked"));
		assert_int_equal(subs[i].stored, 0);
		free(subs[i].body);
	}
	/* two waits of 5 s; one after another would be N of them */
	if (s > 30)
		fail_msg("the bodies failed one after another: %.1f s", s);
	assert_int_equal(count(lock, "SELECT count(*) FROM inbound"), 0);
	sqlite3_close(lock);
	gw_group_free(&g);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bodies_submitted_together_share_a_commit),
		cmocka_unit_test(test_a_refused_body_fails_alone),
		cmocka_unit_test(test_a_locked_database_fails_a_batch_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
