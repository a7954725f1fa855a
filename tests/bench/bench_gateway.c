/*
 * The gateway under load, on loopback only: webhook throughput with signed
 * bodies, the outbox sender against the fake messenger, and the time from
 * an assignment's commit to its request reaching the fake.
 *
 *   bench_gateway --dutydesk PROG --fake FAKE --run-sender RUN_SENDER
 *                 --fixture text.json --dir DIR [--rows FILE]
 *                 [--webhooks N] [--notifications N] [--latency-ms MS]
 *
 * Webhooks: a load generator (libcurl multi, 32 connections, keep-alive)
 * posts N WhatsApp payloads (the text fixture, unique ids and senders),
 * each signed with HMAC-SHA256 (X-Hub-Signature-256), to `dutydesk
 * gateway` and counts the 200s; the server answers only after the commit
 * (src/gateway/server.c), and afterwards every 200 must be a stored row.
 * Baseline: the same generator on GET /healthz (no database work). Both
 * stop after 20 s at most. The generator shares the 2 cores with the
 * gateway.
 *
 * Outbox: N notifications (outbox rows inserted directly, each to its own
 * address so that the per-recipient pacing never holds them; 14 in 19
 * WhatsApp, 5 in 19 Telegram, the ratio of the sender's paces) sent by the
 * sender (run_sender, the same gw_sender the gateway runs) to the fake,
 * which answers each after --latency-ms (a messenger API's round trip;
 * 100 ms by default: with an instant fake, parallelism has nothing to
 * hide). As in production, the two channels are two hosts for libcurl:
 * WhatsApp at 127.0.0.1, Telegram at localhost (the same fake), since the
 * sender opens at most 16 connections per host (CURLMOPT_MAX_HOST_CONNECTIONS)
 * and the fake speaks HTTP/1.1. Baseline: one request at a time (a serial
 * libcurl loop, keep-alive, the same kind of request) on a sample of 40, as
 * a rate. The sender's own pacing (token buckets of WhatsApp 70/s plus a
 * burst of 10, Telegram 25/s plus 5, under the platforms' 80/s and 30/s;
 * src/gateway/sender.c) bounds it at 95/s once the bursts are spent: at
 * 100 ms a request, 9.5x serial at most.
 *
 * Latency: with the gateway running and idle (the "received" answers the
 * webhooks queued are cancelled first), 20 reports are assigned
 * (each to another officer), 300 ms apart; for each, the fake's arrival
 * time ("t" in its log, ms) minus the commit time taken here right after
 * dd_report_apply returned.
 *
 * Targets (issue 6): webhooks over 2,000/s; sender over 10x serial; median
 * commit-to-request under 100 ms.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include "../../src/core/db_internal.h"
#include "dutydesk/demo.h"
#include "dutydesk/report.h"
#include "dutydesk/user.h"
#include "bench_util.h"

#define SECRET "bench-app-secret-4711"
#define WA_TOKEN "EAAG-bench-wa-token"
#define TG_TOKEN "123456:bench-tg-token"
#define PNID "310000000000002"
#define CONNS 32

static const char *rows_file, *dir;
static char fake_log[600], db_path[600], conf_path[600];
static int fake_port, gw_port;
static pid_t pids[8];
static int npids;

static void stop_all(void)
{
	for (int i = 0; i < npids; i++) {
		if (pids[i] <= 0)
			continue;
		kill(pids[i], SIGTERM);
		double end = bench_now_ms() + 5000;
		int st;
		while (waitpid(pids[i], &st, WNOHANG) == 0) {
			if (bench_now_ms() > end) {
				kill(pids[i], SIGKILL);
				waitpid(pids[i], &st, 0);
				break;
			}
			usleep(20000);
		}
		pids[i] = 0;
	}
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_gateway: %s: %s\n", what, msg);
	stop_all();
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	stop_all();
	_exit(1);
}

/* Starts argv with stderr to errfile; returns its pid. */
static pid_t spawn(char *const argv[], const char *errfile)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int nul = open("/dev/null", O_RDWR);
		if (fd < 0 || nul < 0)
			_exit(127);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid > 0)
		pids[npids++] = pid;
	return pid;
}

static void stop_pid(pid_t pid)
{
	for (int i = 0; i < npids; i++) {
		if (pids[i] != pid)
			continue;
		pid_t save = pids[i];
		pids[i] = 0;
		kill(save, SIGTERM);
		double end = bench_now_ms() + 10000;
		int st;
		while (waitpid(save, &st, WNOHANG) == 0) {
			if (bench_now_ms() > end) {
				kill(save, SIGKILL);
				waitpid(save, &st, 0);
				break;
			}
			usleep(20000);
		}
	}
}

/* Polls file for pattern followed by a port number; 0 on timeout. */
static int wait_port(const char *file, const char *pattern, int timeout_ms)
{
	double end = bench_now_ms() + timeout_ms;
	while (bench_now_ms() < end) {
		char *s = bench_slurp(file, NULL);
		char *p = s ? strstr(s, pattern) : NULL;
		int port = p ? atoi(p + strlen(pattern)) : 0;
		free(s);
		if (port > 0)
			return port;
		usleep(20000);
	}
	return 0;
}

/* ---- HTTP ------------------------------------------------------------- */

static size_t discard(char *p, size_t sz, size_t n, void *u)
{
	(void)p;
	(void)u;
	return sz * n;
}

static long post_json(const char *url, const char *body)
{
	CURL *e = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
	long code = 0;
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return code;
}

struct text {
	size_t len;
	char data[65536];
};

static size_t keep(char *p, size_t sz, size_t n, void *u)
{
	struct text *t = u;
	size_t k = sz * n, room = sizeof t->data - 1 - t->len;
	memcpy(t->data + t->len, p, k < room ? k : room);
	t->len += k < room ? k : room;
	return sz * n;
}

/* A counter of the gateway's /metrics (its first series), or -1. */
static double metric(const char *name)
{
	static struct text t;
	char url[128], pat[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", gw_port);
	t.len = 0;
	CURL *e = curl_easy_init();
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
	CURLcode rc = curl_easy_perform(e);
	curl_easy_cleanup(e);
	if (rc != CURLE_OK)
		return -1;
	t.data[t.len] = '\0';
	snprintf(pat, sizeof pat, "\n%s ", name);
	const char *p = strstr(t.data, pat);
	return p ? strtod(p + strlen(pat), NULL) : -1;
}

struct job {
	char *body;
	char sig[80];
};

static void sign(struct job *j)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)j->body,
	     strlen(j->body), mac, &len);
	char *p = j->sig + sprintf(j->sig, "sha256=");
	for (unsigned i = 0; i < len; i++)
		p += sprintf(p, "%02x", mac[i]);
}

/*
 * The load generator: n requests over CONNS connections, POST jobs[i] to
 * url (or GET url when jobs is NULL); stops after max_ms. Returns the
 * number answered 200; *ms gets the elapsed time, *sent how many completed.
 */
static long load(const char *url, struct job *jobs, long n, double max_ms, double *ms,
		 long *sent)
{
	CURLM *m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)CONNS);
	CURL *e[CONNS];
	struct curl_slist *hdr[CONNS];
	long next = 0, ok = 0, done = 0;
	double t0 = bench_now_ms();
	for (int i = 0; i < CONNS; i++) {
		e[i] = curl_easy_init();
		hdr[i] = NULL;
		curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(e[i], CURLOPT_URL, url);
		curl_easy_setopt(e[i], CURLOPT_TIMEOUT, 30L);
		curl_easy_setopt(e[i], CURLOPT_PRIVATE, (void *)(intptr_t)i);
	}
	int running = 0;
	/* start one request on handle i */
#define START(i)                                                                          \
	do {                                                                              \
		if (jobs) {                                                               \
			char sh[128];                                                     \
			curl_slist_free_all(hdr[i]);                                      \
			snprintf(sh, sizeof sh, "X-Hub-Signature-256: %s", jobs[next].sig); \
			hdr[i] = curl_slist_append(NULL, "Content-Type: application/json"); \
			hdr[i] = curl_slist_append(hdr[i], sh);                           \
			curl_easy_setopt(e[i], CURLOPT_HTTPHEADER, hdr[i]);               \
			curl_easy_setopt(e[i], CURLOPT_POSTFIELDS, jobs[next].body);      \
		}                                                                         \
		next++;                                                                   \
		curl_multi_add_handle(m, e[i]);                                           \
	} while (0)
	for (int i = 0; i < CONNS && next < n; i++)
		START(i);
	for (;;) {
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			CURL *h = msg->easy_handle;
			long code = 0;
			void *priv;
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
			curl_easy_getinfo(h, CURLINFO_PRIVATE, &priv);
			done++;
			if (msg->data.result == CURLE_OK && code == 200)
				ok++;
			curl_multi_remove_handle(m, h);
			int i = (int)(intptr_t)priv;
			if (next < n && bench_now_ms() - t0 < max_ms)
				START(i);
		}
		if (done >= next && (next >= n || bench_now_ms() - t0 >= max_ms))
			break;
		if (bench_now_ms() - t0 > max_ms + 30000)
			break; /* requests hanging: give up */
		curl_multi_poll(m, NULL, 0, 100, NULL);
	}
#undef START
	*ms = bench_now_ms() - t0;
	*sent = done;
	for (int i = 0; i < CONNS; i++) {
		curl_multi_remove_handle(m, e[i]);
		curl_easy_cleanup(e[i]);
		curl_slist_free_all(hdr[i]);
	}
	curl_multi_cleanup(m);
	return ok;
}

/* ---- set-up ----------------------------------------------------------- */

static void write_config(void)
{
	FILE *f = fopen(conf_path, "w");
	if (!f)
		die(conf_path, strerror(errno));
	fprintf(f,
		"[site]\ndatabase = %s\nmedia_dir = %s/media\n"
		"[gateway]\n"
		"[whatsapp]\napi_base = http://127.0.0.1:%d\nphone_number_id = %s\ntoken = %s\n"
		"app_secret = %s\ntemplate_officer = officer_alert\n"
		"template_reporter = reporter_update\ntemplate_lang = ru\n"
		"[telegram]\napi_base = http://localhost:%d\ntoken = %s\n",
		db_path, dir, fake_port, PNID, WA_TOKEN, SECRET, fake_port, TG_TOKEN);
	fclose(f);
	chmod(conf_path, 0600);
}

static int64_t count_sql(const char *sql)
{
	sqlite3 *h;
	int64_t n = -1;
	if (sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(h, 5000);
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	return n;
}

static void fake_slow(int ms)
{
	char url[128], body[200];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/_control", fake_port);
	if (ms > 0)
		snprintf(body, sizeof body,
			 "{\"clear\": true, \"faults\": [{\"action\": \"slow\", \"ms\": %d, "
			 "\"times\": 1000000}]}", ms);
	else
		snprintf(body, sizeof body, "{\"clear\": true}");
	if (post_json(url, body) != 200)
		die("fake messenger", "/_control refused");
}

static void cancel_queued(void)
{
	sqlite3 *h;
	if (sqlite3_open(db_path, &h) == SQLITE_OK) {
		sqlite3_busy_timeout(h, 5000);
		sqlite3_exec(h, "UPDATE outbox SET state = 'cancelled' WHERE state = 'queued'", NULL,
			     NULL, NULL);
	}
	sqlite3_close(h);
}

/* ---- the phases ------------------------------------------------------- */

static void webhooks(const char *fixture, long n)
{
	char *tmpl = bench_slurp(fixture, NULL);
	if (!tmpl)
		die(fixture, "cannot read");
	struct job *jobs = calloc((size_t)n, sizeof *jobs);
	for (long i = 0; i < n; i++) {
		jobs[i].body = bench_wa_body(tmpl, "LOAD", i);
		sign(&jobs[i]);
	}
	char url[128];
	double ms_h, ms_w;
	long sent_h, sent_w;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", gw_port);
	long ok_h = load(url, NULL, n, 20000, &ms_h, &sent_h);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/webhook/whatsapp", gw_port);
	long ok_w = load(url, jobs, n, 20000, &ms_w, &sent_w);
	int64_t stored = count_sql("SELECT count(*) FROM inbound WHERE external_id LIKE 'wamid.LOAD%'");
	double rate_h = ok_h / (ms_h / 1000), rate_w = ok_w / (ms_w / 1000);
	char fig[200];
	snprintf(fig, sizeof fig, "webhooks answered 200 after commit (%ld of %ld sent)", ok_w,
		 sent_w);
	bench_row(rows_file, "gateway", fig, rate_w, "req/s", "GET /healthz, same generator",
		  rate_h, "> 2000 req/s", rate_w > 2000 ? "met" : "MISSED");
	printf("    (stored rows for these webhooks: %lld; %s)\n", (long long)stored,
	       stored == ok_w ? "one per 200, as promised" : "DIFFERS from the 200s");
	double bodies = metric("dutydesk_webhook_bodies_total"),
	       commits = metric("dutydesk_webhook_commits_total");
	if (bodies > 0 && commits > 0)
		printf("    (group commit: %.0f bodies in %.0f transactions, %.1f per commit)\n",
		       bodies, commits, bodies / commits);
	if (stored != ok_w)
		bench_row(rows_file, "gateway", "webhooks: 200s without a stored row", (double)(ok_w - stored),
			  "req", "webhooks answered 200", (double)ok_w, "0", "MISSED");
	for (long i = 0; i < n; i++)
		free(jobs[i].body);
	free(jobs);
	free(tmpl);
}

/* The fake's arrival time (ms) of the first request whose body has
 * "#id" (not followed by a digit), or 0. */
static long long arrival(const char *log, int64_t id)
{
	char pat[40];
	snprintf(pat, sizeof pat, "#%lld", (long long)id);
	size_t pl = strlen(pat);
	for (const char *line = log; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *t = memmem(line, len, "\"t\":", 4);
		for (const char *p = line; t && (p = memmem(p, len - (size_t)(p - line), pat, pl));
		     p += pl) {
			char next = p + pl < line + len ? p[pl] : ' ';
			if (next < '0' || next > '9')
				return atoll(t + 4);
		}
		line = end ? end + 1 : NULL;
	}
	return 0;
}

static void latency(int k)
{
	dd_db *db;
	dd_err err = {0};
	dd_actor me;
	if (dd_db_open(&db, db_path, 0, &err) ||
	    dd_actor_for_login(db, dd_current_login(), &me, &err))
		die("latency", err.msg);
	/* officers that can be reached, one per assignment */
	sqlite3_stmt *st;
	char (*badge)[32] = calloc((size_t)k, sizeof *badge);
	int nb = 0;
	if (sqlite3_prepare_v2(db->h, "SELECT badge FROM officers WHERE active AND NOT is_supervisor "
				      "AND (phone IS NOT NULL OR telegram_id IS NOT NULL) ORDER BY id",
			       -1, &st, NULL) == SQLITE_OK)
		while (nb < k && sqlite3_step(st) == SQLITE_ROW)
			snprintf(badge[nb++], 32, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	int64_t *ids = calloc((size_t)k, sizeof *ids);
	double *commit = calloc((size_t)k, sizeof *commit);
	for (int i = 0; i < nb; i++) {
		dd_report_in in = {.channel = "desk", .district = "PVL-01", .category = "smoking",
				   .text = "Курят в подъезде (bench)"};
		if (dd_report_create(db, &me, &in, &ids[i], &err))
			die("report create", err.msg);
		dd_change c = {.action = DD_ACT_ASSIGN, .report = ids[i], .officer = badge[i]};
		if (dd_report_apply(db, &me, &c, NULL, &err))
			die("assign", err.msg);
		commit[i] = bench_wall_ms();
		usleep(300000);
	}
	dd_db_close(&db);
	double *lat = calloc((size_t)k, sizeof *lat);
	int nl = 0;
	double end = bench_now_ms() + 10000;
	while (bench_now_ms() < end) {
		char *log = bench_slurp(fake_log, NULL);
		nl = 0;
		for (int i = 0; i < nb; i++) {
			long long t = log ? arrival(log, ids[i]) : 0;
			if (t)
				lat[nl++] = (double)t - commit[i];
		}
		free(log);
		if (nl == nb)
			break;
		usleep(100000);
	}
	if (nl) {
		char fig[120];
		double med = bench_median(lat, (size_t)nl);
		snprintf(fig, sizeof fig, "assignment commit to request at the fake (%d of %d)", nl, nb);
		bench_row(rows_file, "outbox", fig, med, "ms", "gateway's claim interval (200 ms)",
			  200, "< 100 ms", med < 100 ? "met" : "MISSED");
		printf("    (min %.0f ms, max %.0f ms)\n", lat[0], lat[nl - 1]);
	} else {
		bench_row(rows_file, "outbox", "assignment commit to request at the fake", 0, "ms",
			  "no request arrived within 10 s", 0, "< 100 ms", "MISSED");
	}
	free(badge);
	free(ids);
	free(commit);
	free(lat);
}

static void enqueue(long n)
{
	dd_db *db;
	dd_err err = {0};
	if (dd_db_open(&db, db_path, 0, &err) || dd_db_begin(db, &err))
		die("outbox", err.msg);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, "INSERT INTO outbox(recipient, channel, address, kind, body, "
				      "next_at, created_at, updated_at) VALUES ('officer', ?, ?, "
				      "'bench', ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		die("outbox", sqlite3_errmsg(db->h));
	int64_t now = (int64_t)bench_wall_ms();
	for (long i = 0; i < n; i++) {
		char addr[32], body[120];
		bool tg = i % 19 >= 14; /* in the ratio of the paces: 70/s and 25/s */
		snprintf(addr, sizeof addr, tg ? "%ld" : "7%010ld", tg ? 900000000L + i : 7100000000L + i);
		snprintf(body, sizeof body, "Обращение #%ld (bench): уведомление %ld", i, i);
		sqlite3_bind_text(st, 1, tg ? "telegram" : "whatsapp", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, addr, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, body, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 4, now);
		sqlite3_bind_int64(st, 5, now);
		sqlite3_bind_int64(st, 6, now);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("outbox", sqlite3_errmsg(db->h));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	/* inside the 24-hour window: plain text, not the template */
	sqlite3_exec(db->h, "INSERT OR REPLACE INTO contacts(channel, address, last_inbound_at) "
			    "SELECT channel, address, updated_at FROM outbox WHERE kind = 'bench'",
		     NULL, NULL, NULL);
	if (dd_db_commit(db, &err))
		die("outbox", err.msg);
	dd_db_close(&db);
}

/* One request at a time, keep-alive, the same shape of request as the
 * sender's WhatsApp text; returns requests per second. */
static double serial(int k)
{
	CURL *e = curl_easy_init();
	char url[200];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/%s/messages", fake_port, PNID);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = curl_slist_append(h, "Authorization: Bearer " WA_TOKEN);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
	int ok = 0;
	double t0 = bench_now_ms();
	for (int i = 0; i < k; i++) {
		char body[300];
		snprintf(body, sizeof body,
			 "{\"messaging_product\":\"whatsapp\",\"to\":\"7%010ld\",\"type\":\"text\","
			 "\"text\":{\"body\":\"Обращение #%d (bench serial)\"}}", 7200000000L + i, i);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		long code = 0;
		if (curl_easy_perform(e) == CURLE_OK)
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
		ok += code == 200;
	}
	double ms = bench_now_ms() - t0;
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return ok / (ms / 1000);
}

int main(int argc, char **argv)
{
	const char *prog = NULL, *fake = NULL, *runner = NULL, *fixture = NULL;
	long nweb = 10000, nnote = 10000;
	int slow_ms = 100;
	static const struct option opts[] = {
		{"dutydesk", required_argument, NULL, 'p'},
		{"fake", required_argument, NULL, 'f'},
		{"run-sender", required_argument, NULL, 's'},
		{"fixture", required_argument, NULL, 'x'},
		{"dir", required_argument, NULL, 'd'},
		{"rows", required_argument, NULL, 'o'},
		{"webhooks", required_argument, NULL, 'w'},
		{"notifications", required_argument, NULL, 'n'},
		{"latency-ms", required_argument, NULL, 'l'},
		{0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': prog = optarg; break;
		case 'f': fake = optarg; break;
		case 's': runner = optarg; break;
		case 'x': fixture = optarg; break;
		case 'd': dir = optarg; break;
		case 'o': rows_file = optarg; break;
		case 'w': nweb = atol(optarg); break;
		case 'n': nnote = atol(optarg); break;
		case 'l': slow_ms = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench_gateway --dutydesk PROG --fake FAKE --run-sender PROG "
					"--fixture FILE --dir DIR [--rows FILE] [--webhooks N] "
					"[--notifications N] [--latency-ms MS]\n");
			return 2;
		}
	}
	if (!prog || !fake || !runner || !fixture || !dir || nweb < 1 || nnote < 1) {
		fprintf(stderr, "bench_gateway: --dutydesk, --fake, --run-sender, --fixture and --dir "
				"are required\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(db_path, sizeof db_path, "%s/gateway.db", dir);
	snprintf(conf_path, sizeof conf_path, "%s/dutydesk.conf", dir);
	snprintf(fake_log, sizeof fake_log, "%s/fake.log", dir);
	char port_file[600], fake_err[600], gw_err[600], rs_err[600];
	snprintf(port_file, sizeof port_file, "%s/fake.port", dir);
	snprintf(fake_err, sizeof fake_err, "%s/fake.err", dir);
	snprintf(gw_err, sizeof gw_err, "%s/gateway.err", dir);
	snprintf(rs_err, sizeof rs_err, "%s/run_sender.err", dir);
	unlink(port_file);
	unlink(fake_log);

	/* the database: the demo city, no reports, this login its admin */
	{
		char side[700];
		unlink(db_path);
		snprintf(side, sizeof side, "%s-wal", db_path);
		unlink(side);
		snprintf(side, sizeof side, "%s-shm", db_path);
		unlink(side);
		dd_db *db;
		dd_err err = {0};
		dd_demo_stats ds;
		bool added;
		if (dd_db_open(&db, db_path, DD_DB_CREATE, &err) ||
		    dd_demo_build(db, 1, 0, NULL, NULL, &ds, &err) ||
		    dd_user_bootstrap(db, dd_current_login(), &added, &err))
			die(db_path, err.msg);
		dd_db_close(&db);
	}

	char *fake_argv[] = {(char *)fake, "--port-file", port_file, "--log", fake_log,
			     "--wa-token", WA_TOKEN, "--tg-token", TG_TOKEN, NULL};
	spawn(fake_argv, fake_err);
	double end = bench_now_ms() + 5000;
	while (bench_now_ms() < end && !(fake_port = wait_port(port_file, "", 100)))
		;
	if (!fake_port)
		die("fake messenger", "did not start in 5 s");
	write_config();

	printf("\n[4] webhooks through the running gateway (loopback, %d connections)\n", CONNS);
	char *gw_argv[] = {(char *)prog, "--config", conf_path, "gateway", "--allow-demo",
			   "--listen", "127.0.0.1:0", NULL};
	pid_t gw = spawn(gw_argv, gw_err);
	gw_port = wait_port(gw_err, "listening on 127.0.0.1:", 10000);
	if (!gw_port)
		die("gateway", "did not log its port in 10 s");
	webhooks(fixture, nweb);

	printf("\n[5] outbox\n");
	/* the webhooks queued a "received" answer each (paced, minutes of
	 * sending): cancelled, so that the gateway is idle for the latency */
	cancel_queued();
	end = bench_now_ms() + 15000;
	while (bench_now_ms() < end &&
	       count_sql("SELECT count(*) FROM outbox WHERE state IN ('queued','sending')") > 0)
		usleep(200000);
	latency(20);
	stop_pid(gw);

	enqueue(nnote);
	fake_slow(slow_ms);
	char secs[16];
	snprintf(secs, sizeof secs, "%d", 300);
	printf("    (sending %ld notifications; at most 95/s by the sender's pacing)\n", nnote);
	char *rs_argv[] = {(char *)runner, "--db", db_path, "--config", conf_path, "--seconds", secs,
			   "--until-idle", NULL};
	double t0 = bench_now_ms();
	pid_t rs = spawn(rs_argv, rs_err);
	int st = 0;
	double rs_end = bench_now_ms() + 310000;
	while (waitpid(rs, &st, WNOHANG) == 0 && bench_now_ms() < rs_end)
		usleep(20000);
	double ms = bench_now_ms() - t0;
	for (int i = 0; i < npids; i++)
		if (pids[i] == rs)
			pids[i] = 0;
	int64_t sent = count_sql("SELECT count(*) FROM outbox WHERE kind = 'bench' AND state = 'sent'");
	double par = sent / (ms / 1000);
	double ser = serial(40);
	char fig[160], base[160];
	snprintf(fig, sizeof fig, "sender: %lld of %ld notifications sent, fake answers in %d ms",
		 (long long)sent, nnote, slow_ms);
	snprintf(base, sizeof base, "one request at a time (40, same fake)");
	bench_row(rows_file, "outbox", fig, par, "msg/s", base, ser, "> 10x",
		  par > 10 * ser ? "met" : "MISSED");
	fake_slow(0);
	stop_all();
	curl_global_cleanup();
	return 0;
}
