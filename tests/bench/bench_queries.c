/*
 * The console's queries at scale: builds (or reuses) a demo database of N
 * reports and times the queries the console runs per screen through the
 * core API, against the same SQL run by the sqlite3 shell on the same file.
 *
 *   bench_queries [--reports N] [--db PATH] [--rows FILE] [--sqlite3 PROG]
 *                 [--batches M] [--reps R]
 *
 * The SQL is not copied from src/core: a trace callback (sqlite3_trace_v2,
 * SQLITE_TRACE_STMT) on the core's own connection records, with the bound
 * values expanded, every statement one API call runs (for a page: the
 * district lookup and the page query). So the shell runs exactly what the
 * core ran, and stays right when report_query.c changes. Statements that
 * FTS5 runs on its shadow tables from inside a query are left out: the
 * shell's query runs them too.
 *
 * Both sides are timed the same way: M batches of R runs each; a batch's
 * figure is its mean per run; the figure is the median over batches. For
 * the shell a batch is one process running the statements R times, minus
 * a process running them once (start-up, schema load, first read), divided
 * by R - 1. Our side includes everything the API does (prepare, bind,
 * copying rows out, freeing them).
 *
 * Target (issue 6): our time within 1.2x of the shell's.
 */
#include <config.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/core/db_internal.h"
#include "dutydesk/demo.h"
#include "dutydesk/report.h"
#include "bench_util.h"

static const char *rows_file;

/* ---- capturing the SQL ------------------------------------------------ */

static char *captured;      /* the statements of one call, ';\n'-separated */
static size_t captured_len;
static bool capturing;

static int on_trace(unsigned type, void *ctx, void *p, void *x)
{
	(void)ctx;
	(void)x;
	if (type != SQLITE_TRACE_STMT || !capturing)
		return 0;
	sqlite3_stmt *st = p;
	const char *raw = sqlite3_sql(st);
	/* FTS5's own statements on its shadow tables, run inside ours */
	if (!raw || strstr(raw, "'main'.") || strstr(raw, "\"main\".") || raw[0] == '-')
		return 0;
	char *sql = sqlite3_expanded_sql(st);
	if (!sql)
		return 0;
	size_t n = strlen(sql);
	captured = realloc(captured, captured_len + n + 3);
	memcpy(captured + captured_len, sql, n);
	captured_len += n;
	memcpy(captured + captured_len, ";\n", 3);
	captured_len += 2;
	sqlite3_free(sql);
	return 0;
}

/* ---- the API side ----------------------------------------------------- */

struct query {
	const char *name;
	dd_report_filter filter; /* unused for counts */
	bool counts;
	size_t rows;
	char *sql; /* as traced */
};

static void run_once(dd_db *db, struct query *q)
{
	dd_err err = {0};
	if (q->counts) {
		dd_report_count *c;
		size_t n;
		if (dd_report_counts(db, &c, &n, &err)) {
			fprintf(stderr, "%s: %s\n", q->name, err.msg);
			exit(1);
		}
		q->rows = n;
		dd_report_counts_free(&c, n);
		return;
	}
	dd_report *r;
	size_t n;
	if (dd_report_page(db, &q->filter, 0, 50, &r, &n, &err)) {
		fprintf(stderr, "%s: %s\n", q->name, err.msg);
		exit(1);
	}
	q->rows = n;
	dd_report_list_free(&r, n);
}

static double time_api(dd_db *db, struct query *q, int batches, int reps)
{
	double *v = calloc((size_t)batches, sizeof *v);
	run_once(db, q); /* warm */
	for (int b = 0; b < batches; b++) {
		double t0 = bench_now_ms();
		for (int i = 0; i < reps; i++)
			run_once(db, q);
		v[b] = (bench_now_ms() - t0) / reps;
	}
	double m = bench_median(v, (size_t)batches);
	free(v);
	return m;
}

/* ---- the shell side --------------------------------------------------- */

/* Runs the shell on db with a script of sql repeated reps times; returns the
 * wall time in ms, or -1 when the shell failed. */
static double shell_run(const char *shell, const char *db, const char *sql, int reps,
			const char *script)
{
	FILE *f = fopen(script, "w");
	if (!f)
		return -1;
	fprintf(f, ".output /dev/null\n");
	for (int i = 0; i < reps; i++)
		fputs(sql, f);
	fclose(f);
	double t0 = bench_now_ms();
	fflush(NULL);
		pid_t pid = fork();
	if (pid == 0) {
		if (!freopen(script, "r", stdin) || !freopen("/dev/null", "w", stdout))
			_exit(127);
		execlp(shell, shell, "-batch", "-bail", db, (char *)NULL);
		_exit(127);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	return bench_now_ms() - t0;
}

static double time_shell(const char *shell, const char *db, const struct query *q,
			 int batches, int reps)
{
	char script[] = "/tmp/dd-bench-sql-XXXXXX";
	int fd = mkstemp(script);
	if (fd < 0)
		return -1;
	close(fd);
	double *v = calloc((size_t)batches, sizeof *v);
	double m = -1;
	if (shell_run(shell, db, q->sql, 1, script) < 0) { /* warm, and check it runs */
		fprintf(stderr, "%s: the sqlite3 shell failed on:\n%s\n", q->name, q->sql);
		goto out;
	}
	for (int b = 0; b < batches; b++) {
		double many = shell_run(shell, db, q->sql, reps, script);
		double one = shell_run(shell, db, q->sql, 1, script);
		if (many < 0 || one < 0)
			goto out;
		v[b] = (many - one) / (reps - 1);
	}
	m = bench_median(v, (size_t)batches);
out:
	unlink(script);
	free(v);
	return m;
}

int main(int argc, char **argv)
{
	long long reports = 1000000;
	const char *path = NULL, *shell = "sqlite3";
	int batches = 15, reps = 40;
	static const struct option opts[] = {
		{"reports", required_argument, NULL, 'r'},
		{"db", required_argument, NULL, 'd'},
		{"rows", required_argument, NULL, 'o'},
		{"sqlite3", required_argument, NULL, 's'},
		{"batches", required_argument, NULL, 'b'},
		{"reps", required_argument, NULL, 'n'},
		{0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': reports = atoll(optarg); break;
		case 'd': path = optarg; break;
		case 'o': rows_file = optarg; break;
		case 's': shell = optarg; break;
		case 'b': batches = atoi(optarg); break;
		case 'n': reps = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench_queries [--reports N] [--db PATH] [--rows FILE] "
					"[--sqlite3 PROG] [--batches M] [--reps R]\n");
			return 2;
		}
	}
	if (batches < 1 || reps < 2) {
		fprintf(stderr, "bench_queries: --batches >= 1 and --reps >= 2\n");
		return 2;
	}
	char def[64], stamp[300];
	if (!path) {
		snprintf(def, sizeof def, "bench-%lld.db", reports);
		path = def;
	}
	/* how long the build took, kept beside the cached database */
	snprintf(stamp, sizeof stamp, "%s.build-seconds", path);
	struct stat sb;
	bool fresh = stat(path, &sb) != 0 || stat(stamp, &sb) != 0;
	if (fresh) {
		/* a half-built file from an interrupted run is built again */
		char side[320];
		unlink(path);
		snprintf(side, sizeof side, "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof side, "%s-shm", path);
		unlink(side);
	}
	dd_db *db;
	dd_err err = {0};
	if (dd_db_open(&db, path, DD_DB_CREATE, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	double build_s = 0;
	if (fresh) {
		printf("building %s with %lld reports (dd_demo_build)...\n", path, reports);
		fflush(stdout);
		double t0 = bench_now_ms();
		dd_demo_stats st;
		if (dd_demo_build(db, 1, reports, NULL, NULL, &st, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		build_s = (bench_now_ms() - t0) / 1000;
		/* checkpoint, so that the shell and the console open a plain file */
		sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		FILE *f = fopen(stamp, "w");
		if (f) {
			fprintf(f, "%.1f\n", build_s);
			fclose(f);
		}
	} else {
		FILE *f = fopen(stamp, "r");
		if (!f || fscanf(f, "%lf", &build_s) != 1)
			build_s = 0;
		if (f)
			fclose(f);
	}
	printf("\n[1] console queries at %lld reports (demo build: %.1f s%s)\n", reports, build_s,
	       fresh ? "" : ", cached");
	bench_row(rows_file, "queries", "demo build (dd_demo_build)", build_s, "s",
		  "target: 60 s", 60, "< 60 s", build_s < 60 ? "met" : "MISSED");

	struct query qs[] = {
		{"first page, open queue (priority, age)",
		 {.open_only = true, .order = DD_ORDER_QUEUE}, false, 0, NULL},
		{"district page, open queue", {.open_only = true, .district = "PVL-07",
					       .order = DD_ORDER_QUEUE}, false, 0, NULL},
		{"sidebar counts (district x status)", {0}, true, 0, NULL},
		{"full-text search 'подъезд'", {.search = "подъезд", .order = DD_ORDER_NEWEST},
		 false, 0, NULL},
	};
	size_t nq = sizeof qs / sizeof *qs;

	sqlite3_trace_v2(db->h, SQLITE_TRACE_STMT, on_trace, NULL);
	for (size_t i = 0; i < nq; i++) {
		capturing = true;
		captured_len = 0;
		run_once(db, &qs[i]);
		capturing = false;
		qs[i].sql = strndup(captured ? captured : "", captured_len);
	}
	sqlite3_trace_v2(db->h, 0, NULL, NULL);

	char sqlfile[320];
	snprintf(sqlfile, sizeof sqlfile, "%s.queries.sql", path);
	FILE *sf = fopen(sqlfile, "w");
	for (size_t i = 0; i < nq; i++) {
		double ours = time_api(db, &qs[i], batches, reps);
		double theirs = time_shell(shell, path, &qs[i], batches, reps);
		if (sf)
			fprintf(sf, "-- %s (%zu rows)\n%s\n", qs[i].name, qs[i].rows, qs[i].sql);
		char fig[160];
		snprintf(fig, sizeof fig, "%s, %zu rows", qs[i].name, qs[i].rows);
		if (theirs <= 0) {
			bench_row(rows_file, "queries", fig, ours, "ms", "sqlite3 shell: failed", 0,
				  "<= 1.2x", "-");
			continue;
		}
		bench_row(rows_file, "queries", fig, ours, "ms", "same SQL, sqlite3 shell", theirs,
			  "<= 1.2x", ours <= 1.2 * theirs ? "met" : "MISSED");
	}
	if (sf) {
		fclose(sf);
		printf("  (the SQL the core ran, as the shell ran it: %s)\n", sqlfile);
	}
	for (size_t i = 0; i < nq; i++)
		free(qs[i].sql);
	free(captured);
	dd_db_close(&db);
	return 0;
}
