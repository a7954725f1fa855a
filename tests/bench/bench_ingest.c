/*
 * Ingest throughput: N WhatsApp payloads (the text fixture with unique
 * message ids and senders) through the path `dutydesk ingest whatsapp`
 * takes, against a plain batched INSERT of the same rows into a bare table.
 *
 *   bench_ingest --fixture text.json --dutydesk PROG --dir DIR [--count N]
 *                [--cli-sample K] [--rows FILE]
 *
 * `dutydesk ingest` reads one body per run (a body may carry several
 * messages, but a real webhook carries one), so N runs would mostly time
 * process start and database open. This driver calls, in one process, the
 * function `ingest` calls for its body, gw_ingest (parse with the WhatsApp
 * adapter, then dd_inbound_store: one transaction per message), once per
 * body. K bodies are also run through the real `dutydesk ingest`, one
 * process each, to show what a process costs.
 *
 * The database is a fresh demo city with no reports (districts, officers,
 * reporters in place), in WAL with synchronous = NORMAL as dd_db_open sets
 * it. The baseline is a fresh file with the same pragmas and one bare table
 * (id, channel, external_id UNIQUE, sender, sender_name, text, raw,
 * received_at) filled with the same values, 1,000 rows per transaction;
 * for the record also one row per transaction, as ingest commits (the
 * webhook answers after its own commit).
 *
 * The same count again, 32 bodies to a transaction (each under a savepoint:
 * what the webhook server's group commit does when requests arrive
 * together), for the record.
 *
 * To explain the difference, the WAL pages (4 KiB frames) written per
 * message are counted for 1,000 more messages and for the first 1,000
 * plain rows (a WAL hook; not timed).
 *
 * Target (issue 6): ingest within 3x of the plain INSERT.
 */
#include <config.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../src/core/db_internal.h"
#include "dutydesk/demo.h"
#include "../../src/gateway/ingest.h"
#include "bench_util.h"

#define BATCH 1000
#define SAMPLE 1000 /* messages whose WAL pages are counted */
#define GROUP 32    /* bodies per transaction, as group commit under load */

/* WAL frames (pages) written, counted by a WAL hook that also does the
 * auto-checkpoint it replaces (every 1000 frames, as SQLite's default). */
static long long wal_pages;
static int wal_last;

static int on_wal(void *arg, sqlite3 *h, const char *name, int frames)
{
	(void)arg;
	wal_pages += frames >= wal_last ? frames - wal_last : frames;
	wal_last = frames;
	if (frames >= 1000) {
		sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		wal_last = 0; /* the next commit may restart the log */
	}
	return SQLITE_OK;
}

static void remove_db(const char *path)
{
	char side[600];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_ingest: %s: %s\n", what, msg);
	exit(1);
}

/* The plain INSERT of the same values; returns ms. *pages gets the WAL
 * pages written for the first SAMPLE rows, per row. */
static double plain_insert(const char *path, char **bodies, long n, long batch, double *pages)
{
	sqlite3 *h;
	remove_db(path);
	if (sqlite3_open(path, &h) != SQLITE_OK)
		die(path, sqlite3_errmsg(h));
	sqlite3_exec(h, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			"CREATE TABLE plain(id INTEGER PRIMARY KEY, channel TEXT NOT NULL, "
			"external_id TEXT NOT NULL UNIQUE, sender TEXT NOT NULL, sender_name TEXT, "
			"text TEXT, raw TEXT NOT NULL, received_at INTEGER NOT NULL)",
		     NULL, NULL, NULL);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, "INSERT INTO plain(channel, external_id, sender, sender_name, "
				  "text, raw, received_at) VALUES ('whatsapp', ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		die("plain insert", sqlite3_errmsg(h));
	const char *text = "Добрый день. В подъезде №3 дома 143 по ул. Естая снова курят и "
			   "бросают окурки, жильцы жалуются.";
	double t0 = bench_now_ms();
	double t_hook = 0;
	for (long i = 0; i < n; i++) {
		if (i == 0 || i == SAMPLE) {
			/* the pages of the first SAMPLE rows, not timed */
			double th = bench_now_ms();
			if (i == 0) {
				wal_pages = 0;
				wal_last = 0;
				sqlite3_wal_hook(h, on_wal, NULL);
			} else {
				*pages = (double)wal_pages / SAMPLE;
				sqlite3_wal_autocheckpoint(h, 1000);
			}
			t_hook += bench_now_ms() - th;
		}
		if (i % batch == 0)
			sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		char id[64], phone[32];
		snprintf(id, sizeof id, "wamid.INGEST%09ld", i);
		snprintf(phone, sizeof phone, "7%010ld", 7000000000L + i);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, phone, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, "Гульнара Касымова", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, bodies[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)(bench_wall_ms()));
		if (sqlite3_step(st) != SQLITE_DONE)
			die("plain insert", sqlite3_errmsg(h));
		sqlite3_reset(st);
		if (i % batch == batch - 1 || i == n - 1)
			sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
	}
	double t = bench_now_ms() - t0 - t_hook;
	if (n <= SAMPLE)
		*pages = (double)wal_pages / n;
	sqlite3_finalize(st);
	sqlite3_close(h);
	return t;
}

/* K bodies through `dutydesk --db PATH ingest whatsapp FILE`, one process
 * each; returns ms, or -1 when one failed. */
static double cli_ingest(const char *prog, const char *db, const char *dir, char **bodies,
			 long k)
{
	char file[600];
	snprintf(file, sizeof file, "%s/body.json", dir);
	double total = 0;
	for (long i = 0; i < k; i++) {
		FILE *f = fopen(file, "w");
		if (!f)
			return -1;
		fputs(bodies[i], f);
		fclose(f);
		double t0 = bench_now_ms();
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			if (!freopen("/dev/null", "w", stdout))
				_exit(127);
			execl(prog, prog, "--db", db, "ingest", "whatsapp", file, (char *)NULL);
			_exit(127);
		}
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "bench_ingest: dutydesk ingest failed on body %ld\n", i);
			return -1;
		}
		total += bench_now_ms() - t0;
	}
	unlink(file);
	return total;
}

int main(int argc, char **argv)
{
	const char *fixture = NULL, *prog = NULL, *dir = NULL, *rows_file = NULL;
	long count = 100000, sample = 200;
	static const struct option opts[] = {
		{"fixture", required_argument, NULL, 'f'},
		{"dutydesk", required_argument, NULL, 'p'},
		{"dir", required_argument, NULL, 'd'},
		{"count", required_argument, NULL, 'n'},
		{"cli-sample", required_argument, NULL, 'k'},
		{"rows", required_argument, NULL, 'o'},
		{0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': fixture = optarg; break;
		case 'p': prog = optarg; break;
		case 'd': dir = optarg; break;
		case 'n': count = atol(optarg); break;
		case 'k': sample = atol(optarg); break;
		case 'o': rows_file = optarg; break;
		default:
			fprintf(stderr, "usage: bench_ingest --fixture FILE --dutydesk PROG --dir DIR "
					"[--count N] [--cli-sample K] [--rows FILE]\n");
			return 2;
		}
	}
	if (!fixture || !prog || !dir || count < 1 || sample < 0 || sample > count) {
		fprintf(stderr, "bench_ingest: --fixture, --dutydesk and --dir are required\n");
		return 2;
	}
	char *tmpl = bench_slurp(fixture, NULL);
	if (!tmpl || !strstr(tmpl, BENCH_WA_ID) || !strstr(tmpl, BENCH_WA_SENDER))
		die(fixture, "not the WhatsApp text fixture");
	char **bodies = malloc((size_t)count * sizeof *bodies);
	for (long i = 0; i < count; i++)
		bodies[i] = bench_wa_body(tmpl, "INGEST", i);

	printf("\n[4] ingest of %ld WhatsApp payloads\n", count);
	char path[600], plain[600];
	snprintf(path, sizeof path, "%s/ingest.db", dir);
	snprintf(plain, sizeof plain, "%s/plain.db", dir);
	remove_db(path);
	dd_db *db;
	dd_err err = {0};
	dd_demo_stats ds;
	if (dd_db_open(&db, path, DD_DB_CREATE | DD_DB_WRITER, &err) ||
	    dd_demo_build(db, 1, 0, NULL, NULL, &ds, &err))
		die(path, err.msg);

	long stored = 0;
	double t0 = bench_now_ms();
	for (long i = 0; i < count; i++) {
		gw_ingest_out out = {0};
		if (gw_ingest(db, "whatsapp", bodies[i], strlen(bodies[i]), 180, &out, &err))
			die("gw_ingest", err.msg);
		stored += out.stored;
		gw_ingest_out_free(&out);
	}
	double ours = bench_now_ms() - t0;
	/* then SAMPLE more, counting the WAL pages each writes (not timed) */
	wal_pages = 0;
	wal_last = 0;
	sqlite3_wal_hook(db->h, on_wal, NULL);
	for (long i = 0; i < SAMPLE; i++) {
		char *b = bench_wa_body(tmpl, "PAGES", i);
		gw_ingest_out out = {0};
		if (gw_ingest(db, "whatsapp", b, strlen(b), 180, &out, &err))
			die("gw_ingest", err.msg);
		gw_ingest_out_free(&out);
		free(b);
	}
	double our_pages = (double)wal_pages / SAMPLE;
	sqlite3_wal_autocheckpoint(db->h, 1000);
	/* the same bodies again (fresh ids), GROUP to a transaction, each under
	 * a savepoint: what the webhook server's group commit does under load */
	double grouped;
	{
		char **more = malloc((size_t)count * sizeof *more);
		for (long i = 0; i < count; i++)
			more[i] = bench_wa_body(tmpl, "GROUP", count + SAMPLE + i); /* new senders */
		long got = 0;
		t0 = bench_now_ms();
		for (long i = 0; i < count; i += GROUP) {
			if (dd_db_begin(db, &err))
				die("begin", err.msg);
			for (long k = i; k < count && k < i + GROUP; k++) {
				gw_ingest_out out = {0};
				if (gw_ingest(db, "whatsapp", more[k], strlen(more[k]), 180, &out, &err))
					die("gw_ingest", err.msg);
				got += out.stored;
				gw_ingest_out_free(&out);
			}
			if (dd_db_commit(db, &err))
				die("commit", err.msg);
		}
		grouped = bench_now_ms() - t0;
		for (long i = 0; i < count; i++)
			free(more[i]);
		free(more);
		if (got != count) {
			fprintf(stderr, "bench_ingest: %ld of %ld grouped payloads became new reports\n",
				got, count);
			return 1;
		}
	}
	dd_db_close(&db);
	if (stored != count) {
		fprintf(stderr, "bench_ingest: %ld of %ld payloads became new reports\n", stored, count);
		return 1;
	}
	double base_pages = 0;
	double base = plain_insert(plain, bodies, count, BATCH, &base_pages);
	double one_pages = 0;
	double one = plain_insert(plain, bodies, count, 1, &one_pages);
	double ours_rate = count / (ours / 1000), base_rate = count / (base / 1000);
	char fig[160];
	snprintf(fig, sizeof fig, "ingest (gw_ingest per body), %ld payloads", count);
	/* time per message: bigger is worse, as for every ratio target */
	bench_row(rows_file, "ingest", fig, ours / count * 1000, "us/msg",
		  "plain INSERT, 1000 rows per transaction", base / count * 1000, "<= 3x",
		  ours <= 3 * base ? "met" : "MISSED");
	printf("    (%.0f messages/s; plain INSERT %.0f rows/s)\n", ours_rate, base_rate);
	bench_row(rows_file, "ingest", "ingest (as above)", ours / count * 1000, "us/msg",
		  "plain INSERT, one row per transaction", one / count * 1000, "-", "-");
	snprintf(fig, sizeof fig, "ingest, %d bodies per transaction (group commit)", GROUP);
	bench_row(rows_file, "ingest", fig, grouped / count * 1000, "us/msg",
		  "plain INSERT, 1000 rows per transaction", base / count * 1000, "-", "-");
	bench_row(rows_file, "ingest", "WAL pages written per message (ingest)", our_pages, "pages",
		  "per row, plain INSERT, 1000 per transaction", base_pages, "-", "-");
	bench_row(rows_file, "ingest", "WAL pages written per message (ingest)", our_pages, "pages",
		  "per row, plain INSERT, one per transaction", one_pages, "-", "-");

	if (sample > 0) {
		/* fresh ids for the CLI: payloads of another tag */
		char **more = malloc((size_t)sample * sizeof *more);
		for (long i = 0; i < sample; i++)
			more[i] = bench_wa_body(tmpl, "CLI", i);
		double cli = cli_ingest(prog, path, dir, more, sample);
		for (long i = 0; i < sample; i++)
			free(more[i]);
		free(more);
		if (cli > 0) {
			snprintf(fig, sizeof fig, "`dutydesk ingest`, one process per body (%ld)",
				 sample);
			bench_row(rows_file, "ingest", fig, cli / sample * 1000, "us/msg",
				  "gw_ingest in one process", ours / count * 1000, "-", "-");
		}
	}
	remove_db(plain);
	remove_db(path);
	for (long i = 0; i < count; i++)
		free(bodies[i]);
	free(bodies);
	free(tmpl);
	return 0;
}
