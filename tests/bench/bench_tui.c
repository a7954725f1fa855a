/*
 * The console in a pseudo-terminal (forkpty): time from fork to the first
 * full screen, resident memory once drawn, and the bytes written to the
 * terminal for a cursor move, a page down and a live update of one row.
 *
 *   bench_tui --dutydesk PROG --db BIG.db --empty EMPTY.db [--rows FILE]
 *             [--runs N]
 *
 * "Drawn" means the status line's key hints ("a assign ...") have arrived:
 * tui_draw paints the status line last and curses sends the screen top to
 * bottom, so the rest of the screen is there already. The console runs with TERM=xterm-256color, LANG=C.UTF-8 and an
 * empty config (XDG_CONFIG_HOME, DUTYDESK_SYSCONFDIR in a scratch folder).
 * The current login is made the first user (admin) of each database when
 * it has none, so the console shows its key hints, not "read-only".
 *
 * Bytes are counted from the key (or the other process's commit) until
 * the terminal has been quiet for QUIET_MS. A live update is the
 * move of a visible report (among the 4th to 15th of the open queue) one
 * step forward (new to assigned, assigned to acknowledged, or acknowledged
 * to on site), committed by this process through the core API:
 * its status and officer columns change, and so do the sidebar's and the
 * header's counts. The console finds it by polling PRAGMA data_version
 * (every 250 ms).
 *
 * Targets (issue 6): first screen under 100 ms; RSS under 40 MiB; cursor
 * move under 200 bytes at 80x24.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dutydesk/db.h"
#include "dutydesk/report.h"
#include "dutydesk/user.h"
#include "bench_util.h"

#define QUIET_MS 300
/* the first key hint: the status line is drawn last, and at 80 columns its
 * last hints are cut off */
#define MARKER "a assign"

static const char *dutydesk, *rows_file;
static char scratch[] = "/tmp/dd-bench-tui-XXXXXX";

struct con {
	pid_t pid;
	int fd;
	char *buf; /* everything read since the last reset */
	size_t len, cap;
};

static void con_reset(struct con *c) { c->len = 0; }

/* Reads what is there within wait_ms; returns bytes read, 0 on timeout,
 * -1 when the console has gone. */
static ssize_t con_read(struct con *c, int wait_ms)
{
	struct pollfd p = {c->fd, POLLIN, 0};
	int r = poll(&p, 1, wait_ms < 0 ? 0 : wait_ms);
	if (r <= 0)
		return 0;
	if (c->len + 65536 + 1 > c->cap) {
		c->cap = (c->len + 65536 + 1) * 2;
		c->buf = realloc(c->buf, c->cap);
	}
	ssize_t n = read(c->fd, c->buf + c->len, 65536);
	if (n <= 0)
		return -1;
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	return n;
}

/* Reads until marker has arrived (true) or timeout_ms passed (false). */
static bool con_wait_for(struct con *c, const char *marker, int timeout_ms)
{
	double end = bench_now_ms() + timeout_ms;
	for (;;) {
		if (c->buf && memmem(c->buf, c->len, marker, strlen(marker)))
			return true;
		double left = end - bench_now_ms();
		if (left <= 0 || con_read(c, (int)left) < 0)
			return false;
	}
}

/* Waits up to max_ms for a first byte, then reads until quiet for
 * quiet_ms (bounded by max_ms in all); returns bytes read. *first (may be
 * NULL) gets when the first byte came (ms, monotonic; 0 when none). */
static size_t con_drain(struct con *c, int quiet_ms, int max_ms, double *first)
{
	size_t start = c->len;
	double end = bench_now_ms() + max_ms;
	if (first)
		*first = 0;
	bool got = false;
	for (;;) {
		double left = end - bench_now_ms();
		if (left <= 0)
			break;
		int wait = !got || left < quiet_ms ? (int)left : quiet_ms;
		ssize_t n = con_read(c, wait);
		if (n <= 0)
			break;
		if (!got && first)
			*first = bench_now_ms();
		got = true;
	}
	return c->len - start;
}

static bool con_start(struct con *c, const char *db, int cols, int rows)
{
	memset(c, 0, sizeof *c);
	struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
	c->pid = forkpty(&c->fd, NULL, NULL, &ws);
	if (c->pid < 0)
		return false;
	if (c->pid == 0) {
		setenv("TERM", "xterm-256color", 1);
		setenv("LANG", "C.UTF-8", 1);
		setenv("LC_ALL", "C.UTF-8", 1);
		setenv("TZ", "UTC", 1);
		setenv("XDG_CONFIG_HOME", scratch, 1);
		setenv("DUTYDESK_SYSCONFDIR", scratch, 1);
		unsetenv("DUTYDESK_CONFIG");
		unsetenv("NO_COLOR");
		execl(dutydesk, dutydesk, "--db", db, (char *)NULL);
		_exit(127);
	}
	return true;
}

/* 'q', then SIGKILL if it has not gone within 3 s. */
static void con_stop(struct con *c)
{
	if (c->pid <= 0)
		return;
	if (write(c->fd, "q", 1) < 0) {
		/* gone already */
	}
	int st;
	double end = bench_now_ms() + 3000;
	while (waitpid(c->pid, &st, WNOHANG) == 0) {
		if (bench_now_ms() > end) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &st, 0);
			break;
		}
		con_read(c, 20); /* keep the pty from filling */
	}
	close(c->fd);
	free(c->buf);
	c->pid = 0;
}

static double rss_mib(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	double kb = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %lf kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb / 1024;
}

/* One start: ms from fork to the marker (-1 on failure), and the RSS. */
static double start_once(const char *db, double *rss)
{
	struct con c;
	double t0 = bench_now_ms();
	if (!con_start(&c, db, 80, 24))
		return -1;
	bool ok = con_wait_for(&c, MARKER, 30000);
	double t = bench_now_ms() - t0;
	con_drain(&c, 100, 200, NULL);
	*rss = rss_mib(c.pid);
	if (!ok)
		fprintf(stderr, "bench_tui: no first screen from %s within 30 s:\n%.*s\n", db,
			(int)(c.len > 2000 ? 2000 : c.len), c.buf ? c.buf : "");
	con_stop(&c);
	return ok ? t : -1;
}

/* Makes the current login the first user; returns the number of reports. */
static long long ensure_user(const char *path)
{
	dd_db *db;
	dd_err err = {0};
	bool added;
	if (dd_db_open(&db, path, DD_DB_CREATE, &err) ||
	    dd_user_bootstrap(db, dd_current_login(), &added, &err)) {
		fprintf(stderr, "bench_tui: %s: %s\n", path, err.msg);
		exit(1);
	}
	long long n = (long long)dd_report_max_id(db);
	dd_db_close(&db);
	return n;
}

/* Moves a report among the 4th to 15th of the open queue (visible at any
 * size) one step forward (assign, acknowledge, on site), so that it stays
 * in the queue: a live update from another process. */
static bool change_visible_row(const char *path)
{
	dd_db *db;
	dd_err err = {0};
	if (dd_db_open(&db, path, 0, &err)) {
		fprintf(stderr, "bench_tui: %s\n", err.msg);
		return false;
	}
	dd_report *r;
	size_t n;
	dd_actor me;
	bool ok = false;
	dd_report_filter f = {.open_only = true, .order = DD_ORDER_QUEUE};
	snprintf(err.msg, sizeof err.msg, "no report among the first 15 of the queue can move forward");
	if (dd_report_page(db, &f, 0, 15, &r, &n, &err) == DD_OK &&
	    dd_actor_for_login(db, dd_current_login(), &me, &err) == DD_OK) {
		const char *badge = NULL;
		for (size_t i = 0; i < n && !badge; i++)
			badge = r[i].officer_badge;
		/* a step forward that keeps the report in the open queue */
		static const dd_action steps[] = {DD_ACT_ASSIGN, DD_ACT_ACKNOWLEDGE, DD_ACT_ON_SITE};
		for (size_t i = 3; i < n && badge && !ok; i++) {
			for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
				dd_report_status to = dd_action_target(steps[k], r[i].status, true);
				if (!dd_action_allowed(steps[k], r[i].status) || to == r[i].status ||
				    !dd_rs_is_open(to))
					continue;
				dd_change c = {.action = steps[k], .report = r[i].id,
					       .officer = steps[k] == DD_ACT_ASSIGN ? badge : NULL};
				ok = dd_report_apply(db, &me, &c, NULL, &err) == DD_OK;
				break;
			}
		}
		dd_report_list_free(&r, n);
	}
	if (!ok)
		fprintf(stderr, "bench_tui: live update: %s\n", err.msg);
	dd_db_close(&db);
	return ok;
}

static size_t key_bytes(struct con *c, const char *key)
{
	con_reset(c);
	if (write(c->fd, key, strlen(key)) < 0)
		return 0;
	return con_drain(c, QUIET_MS, 3000, NULL);
}

static size_t median_key_bytes(struct con *c, const char *key, int times)
{
	double v[8];
	for (int i = 0; i < times && i < 8; i++)
		v[i] = (double)key_bytes(c, key);
	return (size_t)bench_median(v, (size_t)(times < 8 ? times : 8));
}

static void bytes_at(const char *db, int cols, int rows)
{
	struct con c;
	char fig[128], base[64];
	if (!con_start(&c, db, cols, rows) || !con_wait_for(&c, MARKER, 10000)) {
		fprintf(stderr, "bench_tui: no first screen at %dx%d\n", cols, rows);
		con_stop(&c);
		return;
	}
	con_drain(&c, QUIET_MS, 600, NULL);
	size_t full = median_key_bytes(&c, "\f", 3); /* Ctrl-L: redraw everything */
	size_t move = median_key_bytes(&c, "j", 5);
	/* the live update, then its redraw */
	con_drain(&c, QUIET_MS, 500, NULL);
	con_reset(&c);
	double first = 0, t0 = bench_now_ms();
	size_t live = 0;
	if (change_visible_row(db))
		live = con_drain(&c, 600, 5000, &first);
	size_t page = median_key_bytes(&c, "J", 1);
	con_stop(&c);

	snprintf(base, sizeof base, "full redraw (Ctrl-L), %dx%d", cols, rows);
	snprintf(fig, sizeof fig, "bytes: cursor move (j), %dx%d", cols, rows);
	bool small = cols == 80 && rows == 24;
	bench_row(rows_file, "terminal", fig, (double)move, "B", base, (double)full,
		  small ? "< 200 B" : "-", small ? (move < 200 ? "met" : "MISSED") : "-");
	snprintf(fig, sizeof fig, "bytes: page down (J), %dx%d", cols, rows);
	bench_row(rows_file, "terminal", fig, (double)page, "B", base, (double)full, "-", "-");
	snprintf(fig, sizeof fig, "bytes: live update of one row, %dx%d", cols, rows);
	bench_row(rows_file, "terminal", fig, (double)live, "B", base, (double)full, "-", "-");
	if (first > 0) {
		snprintf(fig, sizeof fig, "live update: commit to first byte, %dx%d", cols, rows);
		bench_row(rows_file, "terminal", fig, first - t0, "ms", "console poll interval", 250,
			  "-", "-");
	}
}

int main(int argc, char **argv)
{
	const char *big = NULL, *empty = NULL;
	int runs = 7;
	static const struct option opts[] = {
		{"dutydesk", required_argument, NULL, 'p'},
		{"db", required_argument, NULL, 'd'},
		{"empty", required_argument, NULL, 'e'},
		{"rows", required_argument, NULL, 'o'},
		{"runs", required_argument, NULL, 'n'},
		{0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': dutydesk = optarg; break;
		case 'd': big = optarg; break;
		case 'e': empty = optarg; break;
		case 'o': rows_file = optarg; break;
		case 'n': runs = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench_tui --dutydesk PROG --db BIG.db --empty EMPTY.db "
					"[--rows FILE] [--runs N]\n");
			return 2;
		}
	}
	if (!dutydesk || !big || !empty || runs < 1 || runs > 50) {
		fprintf(stderr, "bench_tui: --dutydesk, --db and --empty are required\n");
		return 2;
	}
	if (!mkdtemp(scratch)) {
		perror("bench_tui: mkdtemp");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	long long nreports = ensure_user(big);
	ensure_user(empty);

	printf("\n[2] console start to first full screen (80x24), memory\n");
	double tb[50], te[50], rb[50], re[50];
	int nb = 0, ne = 0;
	/* the first start finds the page cache as the runs before left it
	 * (after the ingest and gateway runs, or a reboot, mostly cold) */
	double r0, first = start_once(big, &r0);

	for (int i = 0; i < runs; i++) {
		double r, t = start_once(empty, &r);
		if (t >= 0)
			te[ne] = t, re[ne++] = r;
		t = start_once(big, &r);
		if (t >= 0)
			tb[nb] = t, rb[nb++] = r;
	}
	if (nb && ne) {
		double mb = bench_median(tb, (size_t)nb), me = bench_median(te, (size_t)ne);
		double rssb = bench_median(rb, (size_t)nb), rsse = bench_median(re, (size_t)ne);
		char fig[128];
		snprintf(fig, sizeof fig, "start to first screen, %lld reports", nreports);
		bench_row(rows_file, "console", fig, mb, "ms",
			  "same, empty database", me, "< 100 ms", mb < 100 ? "met" : "MISSED");
		if (first >= 0)
			bench_row(rows_file, "console", "first start, page cache as found", first, "ms",
				  "the median start above", mb, "-", "-");
		snprintf(fig, sizeof fig, "resident memory once drawn, %lld reports", nreports);
		bench_row(rows_file, "console", fig, rssb, "MiB",
			  "same, empty database", rsse, "< 40 MiB", rssb < 40 ? "met" : "MISSED");
	} else {
		fprintf(stderr, "bench_tui: the console did not start\n");
	}

	printf("\n[3] bytes written to the terminal\n");
	bytes_at(big, 80, 24);
	bytes_at(big, 200, 60);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_tui: could not remove %s\n", scratch);
	return 0;
}
