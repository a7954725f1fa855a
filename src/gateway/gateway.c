/* The daemon: the webhook server, Telegram polling, the sender, the
 * heartbeat; signals only set flags, the main loop acts on them. */
#include <config.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "dutydesk/clock.h"
#include "dutydesk/db.h"
#include "dutydesk/gateway_state.h"
#include "gateway.h"
#include "metrics.h"
#include "poll.h"
#include "sender.h"
#include "server.h"

enum { HEARTBEAT_MS = 5000, TICK_MS = 500, DRAIN_MS = 5000 };

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_flag = 1;
}

static void signals(void)
{
	struct sigaction sa = {0};
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static bool set(const char *s)
{
	return s && *s;
}

/* What is configured, without a secret: one log line. */
static void log_config(const dd_config *cfg)
{
	gw_log("config: whatsapp %s (app_secret %s, verify_token %s), telegram %s mode %s "
	       "(secret_token %s), join window %d s, max body %ld bytes",
	       set(cfg->wa_token) && set(cfg->wa_phone_number_id) ? "configured" : "not configured",
	       set(cfg->wa_app_secret) ? "set" : "missing: webhooks refused",
	       set(cfg->wa_verify_token) ? "set" : "missing: verification refused",
	       set(cfg->tg_token) ? "configured" : "not configured", cfg->tg_mode,
	       set(cfg->tg_secret_token) ? "set" : "missing: webhooks refused", cfg->join_window_s,
	       cfg->max_body);
}

static bool polling(const dd_config *cfg)
{
	return cfg->tg_mode && strcmp(cfg->tg_mode, "poll") == 0 && set(cfg->tg_token);
}

/* SIGHUP: the config again, with its secrets; NULL (and a log line) when it
 * is unusable, and the old one stays. */
static dd_config *reload(const gw_options *o)
{
	dd_config *cfg = NULL;
	dd_err err = {0};
	if (dd_config_load(&cfg, o->config_path, &err) == DD_OK) {
		if (o->db_override)
			dd_config_set_database(cfg, o->db_override);
		if (dd_config_load_secrets(cfg, &err) == DD_OK)
			return cfg;
	}
	gw_log("reload: refused, keeping the running config: %s", err.msg);
	dd_config_free(&cfg);
	return NULL;
}

dd_status gw_run(const gw_options *o, dd_err *err)
{
	dd_config *cfg = o->cfg, *owned = NULL;
	dd_status s = dd_config_load_secrets(cfg, err);
	if (s)
		return s;
	const char *db_path = o->db_override ? o->db_override : cfg->database;
	dd_db *db = NULL;
	if ((s = dd_db_open(&db, db_path, 0, err)))
		return s;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	stop_flag = reload_flag = 0;
	signals();
	gw_metrics_set("dutydesk_up", NULL, 1);

	const char *listen = o->listen ? o->listen : cfg->listen;
	gw_server *srv = gw_server_start(listen, db_path, cfg, err);
	if (!srv) {
		dd_db_close(&db);
		curl_global_cleanup();
		return err ? err->status : DD_EIO;
	}
	char where[300];
	snprintf(where, sizeof where, "%s", listen);
	char *colon = strrchr(where, ':');
	if (colon)
		snprintf(colon + 1, sizeof where - (size_t)(colon + 1 - where), "%d",
			 gw_server_port(srv));
	gw_log("gateway %s started (pid %ld), database %s", PACKAGE_VERSION, (long)getpid(),
	       db_path);
	gw_log("listening on %s", where);
	log_config(cfg);

	gw_poller *poller = NULL;
	if (polling(cfg)) {
		dd_err perr = {0};
		if (!(poller = gw_poll_start(cfg, db_path, &perr)))
			gw_log("telegram: polling not started: %s", perr.msg);
		else
			gw_log("telegram: polling getUpdates");
	}
	gw_sender *sender = NULL;
	{
		dd_err serr = {0};
		if (!(sender = gw_sender_new(cfg, db_path, &serr)))
			gw_log("sender: not started, notifications stay queued: %s", serr.msg);
	}

	dd_err herr = {0};
	if (dd_gateway_heartbeat(db, &herr))
		gw_log("heartbeat: %s", herr.msg);
	int64_t last_beat = dd_now_ms();
	while (!stop_flag) {
		if (reload_flag) {
			reload_flag = 0;
			dd_config *fresh = reload(o);
			if (fresh) {
				gw_server_configure(srv, fresh);
				if (sender)
					gw_sender_set_config(sender, fresh);
				gw_poll_stop(&poller);
				if (polling(fresh)) {
					dd_err perr = {0};
					if (!(poller = gw_poll_start(fresh, db_path, &perr)))
						gw_log("telegram: polling not started: %s", perr.msg);
				}
				/* the sender holds the old one until now */
				dd_config_free(&owned);
				owned = cfg = fresh;
				gw_log("reload: config reloaded (the listen address needs a restart)");
				log_config(cfg);
			}
		}
		if (sender) {
			gw_sender_tick(sender, TICK_MS);
			gw_sender_stats st;
			gw_sender_get_stats(sender, &st);
			gw_metrics_set("dutydesk_notifications_sent_total", NULL, (double)st.sent);
			gw_metrics_set("dutydesk_notifications_retried_total", NULL, (double)st.retried);
			gw_metrics_set("dutydesk_notifications_failed_total", NULL,
				       (double)(st.failed + st.gave_up));
			gw_metrics_set("dutydesk_notifications_templates_total", NULL,
				       (double)st.templates);
			gw_metrics_set("dutydesk_media_stored_total", NULL, (double)st.media_stored);
			gw_metrics_set("dutydesk_media_failed_total", NULL, (double)st.media_failed);
			gw_metrics_set("dutydesk_send_latency_ms_sum", NULL, (double)st.latency_ms_sum);
			gw_metrics_set("dutydesk_send_latency_ms_count", NULL,
				       (double)st.latency_count);
			gw_metrics_set("dutydesk_sends_in_flight", NULL, st.in_flight);
		} else {
			struct timespec ts = {0, TICK_MS * 1000000L};
			nanosleep(&ts, NULL); /* a signal cuts it short */
		}
		int64_t now = dd_now_ms();
		if (now - last_beat >= HEARTBEAT_MS) {
			if (dd_gateway_heartbeat(db, &herr))
				gw_log("heartbeat: %s", herr.msg);
			last_beat = now;
		}
	}

	gw_log("stopping: no new requests; finishing those in progress");
	gw_server_stop(&srv);
	gw_poll_stop(&poller);
	if (sender) {
		gw_sender_drain(sender, DRAIN_MS);
		gw_sender_free(&sender);
	}
	if (dd_gateway_stopped(db, &herr))
		gw_log("stop: %s", herr.msg);
	dd_db_close(&db);
	curl_global_cleanup();
	dd_config_free(&owned);
	gw_metrics_set("dutydesk_up", NULL, 0);
	gw_log("stopped");
	return DD_OK;
}
