/* Telegram long polling (getUpdates) in its own thread, with its own curl
 * handle and database connection; the offset is kept in the settings. */
#include <config.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "dutydesk/db.h"
#include "dutydesk/gateway_state.h"
#include "dutydesk/sanitize.h"
#include "gateway.h"
#include "ingest.h"
#include "metrics.h"
#include "poll.h"

#define OFFSET_KEY "telegram.offset"
enum { POLL_TIMEOUT_S = 25, MAX_ANSWER = 16 << 20 };

struct gw_poller {
	pthread_t thread;
	atomic_bool stop;
	char *base, *token, *db_path;
	int join_window_s;
	CURL *curl;
	dd_db *db;
	dd_buf answer;
};

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static size_t on_data(char *p, size_t size, size_t n, void *cls)
{
	dd_buf *b = cls;
	if (b->len + size * n > MAX_ANSWER)
		return 0;
	dd_buf_add(b, p, size * n);
	return size * n;
}

static int on_progress(void *cls, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	gw_poller *p = cls;
	return atomic_load(&p->stop) ? 1 : 0; /* abort the transfer: we are stopping */
}

/* Sleeps up to ms, waking early when told to stop. */
static void nap(gw_poller *p, int ms)
{
	for (int waited = 0; waited < ms && !atomic_load(&p->stop); waited += 100) {
		struct timespec ts = {0, 100 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* Replaces the token in s (curl's words may quote the URL). */
static void scrub(char *s, const char *token)
{
	size_t tl = strlen(token);
	char *at;
	while (tl && (at = strstr(s, token)))
		memset(at, '*', tl);
}

/* POSTs a JSON body to method; the answer lands in p->answer. Returns the
 * HTTP status, 0 on a transfer failure (words in why). */
static long call(gw_poller *p, const char *method, const char *json, long timeout_s,
		 char *why, size_t whysize)
{
	char *url = dd_xasprintf("%s/bot%s/%s", p->base, p->token, method);
	char ebuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	dd_buf_reset(&p->answer);
	curl_easy_reset(p->curl);
	curl_easy_setopt(p->curl, CURLOPT_URL, url);
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, &p->answer);
	curl_easy_setopt(p->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(p->curl, CURLOPT_XFERINFODATA, p);
	curl_easy_setopt(p->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(p->curl, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(p->curl, CURLOPT_USERAGENT, "dutydesk/" PACKAGE_VERSION);
	CURLcode rc = curl_easy_perform(p->curl);
	long code = 0;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &code);
	} else {
		snprintf(why, whysize, "%s", *ebuf ? ebuf : curl_easy_strerror(rc));
		scrub(why, p->token);
	}
	curl_slist_free_all(h);
	wipe_free(url);
	return code;
}

static void answer_callbacks(gw_poller *p, const gw_ingest_out *o)
{
	for (size_t i = 0; i < o->nanswers; i++) {
		json_t *j = json_pack("{s:s, s:s}", "callback_query_id", o->answers[i].id, "text",
				      o->answers[i].text);
		char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		char why[CURL_ERROR_SIZE + 64] = "";
		long code = body ? call(p, "answerCallbackQuery", body, 10, why, sizeof why) : 0;
		if (code != 200)
			gw_log("telegram: answerCallbackQuery failed (%s)", code ? "HTTP error" : why);
		free(body);
	}
}

/* An error answer from getUpdates: what to do and how long to wait. */
static int poll_error(gw_poller *p, long code)
{
	json_t *j = json_loadb(p->answer.data ? p->answer.data : "", p->answer.len, 0, NULL);
	json_t *params = json_object_get(j, "parameters");
	json_t *ra = json_object_get(params, "retry_after");
	int wait_ms = 5000;
	dd_err err = {0};
	if (code == 401 || code == 404) {
		gw_log("telegram: getUpdates refused the token (HTTP %ld); polling paused", code);
		dd_gateway_set_state(p->db, "telegram", "token_expired",
				     "getUpdates: the bot token was refused", &err);
		wait_ms = 60000;
	} else if (code == 409) {
		gw_log("telegram: getUpdates conflicts with a webhook or another poller (HTTP 409)");
		wait_ms = 30000;
	} else if (code == 429 && json_is_integer(ra)) {
		wait_ms = (int)(json_integer_value(ra) > 0 && json_integer_value(ra) < 3600
					? json_integer_value(ra) * 1000 : 5000);
		gw_log("telegram: getUpdates rate limited; waiting %d s", wait_ms / 1000);
	} else {
		gw_log("telegram: getUpdates answered HTTP %ld", code);
	}
	json_decref(j);
	return wait_ms;
}

static void *run(void *cls)
{
	gw_poller *p = cls;
	int backoff = 1000;
	bool was_ok = false;
	while (!atomic_load(&p->stop)) {
		dd_err err = {0};
		char *off = dd_setting_get(p->db, OFFSET_KEY);
		long long offset = off ? strtoll(off, NULL, 10) : 0;
		free(off);
		char *req = dd_xasprintf("{\"offset\":%lld,\"timeout\":%d,\"allowed_updates\":"
					 "[\"message\",\"edited_message\",\"callback_query\"]}",
					 offset, POLL_TIMEOUT_S);
		char why[CURL_ERROR_SIZE + 64] = "";
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		long code = call(p, "getUpdates", req, POLL_TIMEOUT_S + 15, why, sizeof why);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long took_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		free(req);
		if (atomic_load(&p->stop))
			break;
		if (code != 200) {
			gw_metrics_add("dutydesk_telegram_polls_total", "result=\"error\"", 1);
			int wait_ms = code ? poll_error(p, code) : backoff;
			if (!code)
				gw_log("telegram: getUpdates failed: %s; retrying in %d s", why,
				       wait_ms / 1000);
			backoff = backoff < 60000 ? backoff * 2 : 60000;
			was_ok = false;
			nap(p, wait_ms);
			continue;
		}
		gw_metrics_add("dutydesk_telegram_polls_total", "result=\"ok\"", 1);
		if (!was_ok)
			dd_gateway_set_state(p->db, "telegram", "alive", NULL, &err);
		was_ok = true;
		backoff = 1000;
		gw_ingest_out out = {0};
		dd_status s = gw_ingest(p->db, "telegram", p->answer.data ? p->answer.data : "",
					p->answer.len, p->join_window_s, &out, &err);
		if (out.lines.data) {
			char *clean = dd_clean_text(out.lines.data, out.lines.len, DD_CLEAN_MULTILINE);
			for (char *line = strtok(clean, "\n"); line; line = strtok(NULL, "\n"))
				gw_log("telegram: %s", line);
			free(clean);
		}
		if (s) {
			char *clean = dd_clean(err.msg);
			gw_log("telegram: updates not stored (will ask again): %s", clean);
			free(clean);
			gw_ingest_out_free(&out);
			nap(p, backoff);
			continue;
		}
		if (out.stored)
			gw_metrics_add("dutydesk_reports_stored_total", NULL, out.stored);
		if (out.duplicates)
			gw_metrics_add("dutydesk_inbound_duplicates_total", NULL, out.duplicates);
		if (out.last_update_id > 0 && out.last_update_id >= offset) {
			char next[32];
			snprintf(next, sizeof next, "%lld", (long long)out.last_update_id + 1);
			if (dd_setting_set(p->db, OFFSET_KEY, next, &err))
				gw_log("telegram: cannot save the offset: %s", err.msg);
		}
		answer_callbacks(p, &out);
		bool empty = out.last_update_id == 0;
		gw_ingest_out_free(&out);
		/* Telegram holds an empty poll for the timeout; a server that
		 * answers at once must not be asked in a tight loop */
		if (empty && took_ms < 1000)
			nap(p, 1000 - (int)took_ms);
	}
	return NULL;
}

gw_poller *gw_poll_start(const dd_config *cfg, const char *db_path, dd_err *err)
{
	if (!cfg->tg_token || !*cfg->tg_token) {
		dd_fail(err, DD_EINVAL, _("[telegram] mode = poll needs a token"));
		return NULL;
	}
	gw_poller *p = dd_xcalloc(1, sizeof *p);
	p->base = dd_xstrdup(cfg->tg_api_base ? cfg->tg_api_base : "https://api.telegram.org");
	p->token = dd_xstrdup(cfg->tg_token);
	p->db_path = dd_xstrdup(db_path);
	p->join_window_s = cfg->join_window_s;
	atomic_init(&p->stop, false);
	if (dd_db_open(&p->db, db_path, 0, err) || !(p->curl = curl_easy_init()) ||
	    pthread_create(&p->thread, NULL, run, p) != 0) {
		if (p->db && !p->curl)
			dd_fail(err, DD_EIO, _("cannot start Telegram polling"));
		if (p->curl) {
			curl_easy_cleanup(p->curl);
			p->curl = NULL;
			dd_fail(err, DD_EIO, _("cannot start the polling thread"));
		}
		dd_db_close(&p->db);
		free(p->base);
		wipe_free(p->token);
		free(p->db_path);
		free(p);
		return NULL;
	}
	return p;
}

void gw_poll_stop(gw_poller **pp)
{
	gw_poller *p = *pp;
	if (!p)
		return;
	atomic_store(&p->stop, true);
	pthread_join(p->thread, NULL);
	curl_easy_cleanup(p->curl);
	dd_db_close(&p->db);
	dd_buf_free(&p->answer);
	free(p->base);
	wipe_free(p->token);
	free(p->db_path);
	free(p);
	*pp = NULL;
}
