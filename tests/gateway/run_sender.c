/*
 * Runs the outbox sender alone, for the gateway tests:
 *
 *   run_sender --db PATH --config FILE [--seconds N] [--until-idle]
 *
 * Calls gw_sender_tick in a loop for N seconds (default 10); with
 * --until-idle it stops early once no notification is queued or sending and
 * no attachment is pending. SIGTERM/SIGINT: drains in-flight requests (up
 * to 5 s) and exits 0. Exit 1 when the sender cannot start.
 */
#include <config.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dutydesk/attachment.h"
#include "dutydesk/clock.h"
#include "dutydesk/config.h"
#include "dutydesk/db.h"
#include "dutydesk/outbox.h"
#include "../../src/gateway/sender.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether nothing is left to do (queued, sending, pending media). */
static bool idle(dd_db *db)
{
	dd_outbox_counts c;
	if (dd_outbox_count(db, &c, NULL))
		return false;
	int64_t pending = 0;
	if (dd_attachment_count_pending(db, &pending, NULL))
		return false;
	return c.queued == 0 && c.sending == 0 && pending == 0;
}

int main(int argc, char **argv)
{
	const char *db_path = NULL, *conf = NULL;
	double seconds = 10;
	bool until_idle = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db_path = argv[++i];
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--until-idle") == 0)
			until_idle = true;
		else {
			fprintf(stderr, "usage: run_sender --db PATH --config FILE [--seconds N] "
					"[--until-idle]\n");
			return 2;
		}
	}
	if (!db_path || !conf) {
		fprintf(stderr, "run_sender: --db and --config are required\n");
		return 2;
	}
	dd_err err = {0};
	dd_config *cfg;
	if (dd_config_load(&cfg, conf, &err) || dd_config_load_secrets(cfg, &err)) {
		fprintf(stderr, "run_sender: %s\n", err.msg);
		return 1;
	}
	dd_config_set_database(cfg, db_path);
	gw_sender *s = gw_sender_new(cfg, db_path, &err);
	if (!s) {
		fprintf(stderr, "run_sender: %s\n", err.msg);
		dd_config_free(&cfg);
		return 1;
	}
	dd_db *db = NULL;
	if (until_idle && dd_db_open(&db, db_path, DD_DB_READONLY, &err)) {
		fprintf(stderr, "run_sender: %s\n", err.msg);
		return 1;
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	double end = mono() + seconds;
	int quiet = 0;
	while (!stop && mono() < end) {
		gw_sender_tick(s, 100);
		if (until_idle && gw_sender_in_flight(s) == 0 && idle(db)) {
			if (++quiet >= 3) /* stays idle for a few turns */
				break;
		} else {
			quiet = 0;
		}
	}
	if (stop)
		gw_sender_drain(s, 5000);
	gw_sender_stats st;
	gw_sender_get_stats(s, &st);
	fprintf(stderr, "run_sender: sent %llu, retried %llu, failed %llu, templates %llu, media %llu\n",
		(unsigned long long)st.sent, (unsigned long long)st.retried,
		(unsigned long long)st.failed, (unsigned long long)st.templates,
		(unsigned long long)st.media_stored);
	gw_sender_free(&s);
	dd_db_close(&db);
	dd_config_free(&cfg);
	return 0;
}
