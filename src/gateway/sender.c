/*
 * The outbox sender: one libcurl multi handle for every request (so that
 * connections are kept alive and reused), driven from the daemon's loop.
 *
 * A row's life: claimed ('sending', in one transaction), its request started,
 * and on completion marked sent, queued again for a retry, or failed. A crash
 * in between leaves it 'sending'; the next start puts it back (at least
 * once, never lost).
 */
#include <config.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "dutydesk/clock.h"
#include "dutydesk/gateway_state.h"
#include "gateway.h"
#include "outbound.h"
#include "sender_internal.h"

#define CLAIM_EVERY_MS 200
#define BACKLOG_MS 5 /* a channel with more due looks for a token this often */
/* how often the database is looked at for new notifications */
#define WATCH_MS 20
#define GIVE_UP_EVERY_MS 60000 /* and at start */
#define SEND_TIMEOUT_MS 30000
#define CONNECT_TIMEOUT_MS 10000
#define RESPONSE_MAX (1024 * 1024)
#define BACKOFF_BASE_MS 1000
#define BACKOFF_CAP_MS (15 * 60 * 1000)
#define BREAKER_FAULTS 5
#define BREAKER_COOLDOWN_MS 10000
#define BREAKER_COOLDOWN_MAX_MS (5 * 60 * 1000)
#define PAUSE_PROBE_MS (5 * 60 * 1000)
#define PEER_WAIT_MS 250     /* a recipient with a request in flight */
#define WA_PAIR_LIMIT_MS 6000

void gw_slog(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	gw_log("%s", line);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t gw_backoff_ms(gw_sender *s, int attempt, int64_t base_ms, int64_t cap_ms)
{
	int64_t d = base_ms;
	for (int i = 1; i < attempt && d < cap_ms; i++)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	/* jitter: 0.8 .. 1.2 */
	s->rng = s->rng * 1103515245u + 12345u;
	double f = 0.8 + 0.4 * (double)((s->rng >> 8) & 0xffff) / 65535.0;
	return (int64_t)((double)d * f);
}

/* The configured secrets, NULL-terminated, for scrubbing. */
static void secrets_of(const dd_config *cfg, const char *out[6])
{
	int k = 0;
	const char *all[] = {cfg->wa_token, cfg->tg_token, cfg->wa_app_secret, cfg->tg_secret_token,
			     cfg->wa_verify_token};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (all[i] && *all[i])
			out[k++] = all[i];
	out[k] = NULL;
}

static bool channel_configured(const dd_config *cfg, int chan)
{
	if (chan == CH_WHATSAPP)
		return cfg->wa_token && *cfg->wa_token && cfg->wa_phone_number_id &&
		       *cfg->wa_phone_number_id;
	return cfg->tg_token && *cfg->tg_token;
}

/* ---- transfers ---- */

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	if (x->resp.len + len > RESPONSE_MAX) {
		x->resp_overflow = true;
		return 0;
	}
	dd_buf_add(&x->resp, data, len);
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	if (len > sizeof name && strncasecmp(data, name, sizeof name - 1) == 0) {
		char v[128];
		size_t vl = len - (sizeof name - 1);
		if (vl >= sizeof v)
			vl = sizeof v - 1;
		memcpy(v, data + sizeof name - 1, vl);
		v[vl] = '\0';
		x->retry_after_ms = gw_parse_retry_after(v, dd_now_ms());
	}
	return len;
}

struct xfer *gw_xfer_new(gw_sender *s, enum xfer_kind kind, int chan, const char *url,
			 long timeout_ms)
{
	struct xfer *x = dd_xcalloc(1, sizeof *x);
	x->kind = kind;
	x->chan = chan;
	x->fd = -1;
	x->easy = curl_easy_init();
	if (!x->easy) {
		fputs("dutydesk: out of memory\n", stderr);
		abort();
	}
	CURL *e = x->easy;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	x->headers = curl_slist_append(NULL, "Expect:");
	(void)s;
	return x;
}

void gw_xfer_bearer(gw_sender *s, struct xfer *x)
{
	char *h = dd_xasprintf("Authorization: Bearer %s", s->cfg->wa_token ? s->cfg->wa_token : "");
	x->headers = curl_slist_append(x->headers, h);
	explicit_bzero(h, strlen(h));
	free(h);
}

void gw_xfer_start(gw_sender *s, struct xfer *x)
{
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	x->started_at = dd_now_ms();
	x->next = s->xfers;
	s->xfers = x;
	s->in_flight++;
	curl_multi_add_handle(s->multi, x->easy);
}

void gw_xfer_error(gw_sender *s, struct xfer *x, int rc, char *out, size_t size)
{
	const char *secrets[6];
	secrets_of(s->cfg, secrets);
	const char *msg = x->errbuf[0] ? x->errbuf : curl_easy_strerror((CURLcode)rc);
	gw_scrub(msg, secrets, out, size);
}

void gw_xfer_free(gw_sender *s, struct xfer *x)
{
	curl_multi_remove_handle(s->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	dd_buf_free(&x->resp);
	free(x->job.recipient);
	free(x->job.channel);
	free(x->job.address);
	free(x->job.kind);
	free(x->job.body);
	free(x->media.channel);
	free(x->media.media_id);
	free(x->media.mime);
	free(x->media.sha256);
	if (x->fd >= 0)
		close(x->fd);
	if (x->tmp_path) {
		unlink(x->tmp_path);
		free(x->tmp_path);
	}
	free(x->ext);
	free(x->mime);
	free(x->expect_sha);
	if (x->sha)
		EVP_MD_CTX_free(x->sha);
	free(x);
}

/* Takes x out of the list. */
static void unlink_xfer(gw_sender *s, struct xfer *x)
{
	for (struct xfer **p = &s->xfers; *p; p = &(*p)->next) {
		if (*p == x) {
			*p = x->next;
			break;
		}
	}
	s->in_flight--;
}

/* ---- pacing ---- */

static void refill(double *tokens, int64_t *at, double rate, double burst, int64_t now)
{
	if (now > *at) {
		*tokens += (double)(now - *at) * rate;
		if (*tokens > burst)
			*tokens = burst;
	}
	*at = now;
}

static struct peer *peer_get(gw_sender *s, int chan, const char *address, int64_t now)
{
	for (size_t i = 0; i < s->npeers; i++)
		if (s->peers[i]->chan == chan && strcmp(s->peers[i]->address, address) == 0)
			return s->peers[i];
	/* forget recipients idle for long (full bucket, nothing held) */
	for (size_t i = 0; i < s->npeers;) {
		struct peer *p = s->peers[i];
		const struct chan *c = &s->ch[p->chan];
		if (!p->in_flight && p->hold_until < now &&
		    p->tokens + (double)(now - p->refilled_at) * c->peer_rate_per_ms >= c->peer_burst) {
			free(p->address);
			free(p);
			s->peers[i] = s->peers[--s->npeers];
		} else {
			i++;
		}
	}
	struct peer **slot = dd_vec_push(&s->peers, &s->npeers, &s->cappeers, sizeof *s->peers);
	struct peer *p = *slot = dd_xcalloc(1, sizeof *p);
	p->chan = chan;
	p->address = dd_xstrdup(address);
	p->tokens = s->ch[chan].peer_burst;
	p->refilled_at = now;
	return p;
}

/* When the recipient may get the next message; now when at once. */
static int64_t peer_ready_at(gw_sender *s, struct peer *p, int64_t now)
{
	const struct chan *c = &s->ch[p->chan];
	if (p->in_flight)
		return now + PEER_WAIT_MS;
	refill(&p->tokens, &p->refilled_at, c->peer_rate_per_ms, c->peer_burst, now);
	int64_t at = now;
	if (p->tokens < 1.0)
		at = now + (int64_t)((1.0 - p->tokens) / c->peer_rate_per_ms) + 1;
	if (p->hold_until > at)
		at = p->hold_until;
	return at;
}

/* ---- channel state ---- */

static void set_state(gw_sender *s, struct chan *c, const char *state, const char *detail)
{
	dd_err err = {0};
	if (dd_gateway_set_state(s->db, c->name, state, detail, &err))
		gw_slog("%s: cannot record the channel state %s: %s", c->name, state, err.msg);
}

static void channel_ok(gw_sender *s, struct chan *c)
{
	c->faults = 0;
	if (c->paused || c->open_until || c->need_alive) {
		if (c->paused || c->open_until)
			gw_slog("%s: working again; sending resumes", c->name);
		c->paused = false;
		c->pause_until = 0;
		c->open_until = 0;
		c->cooldown_ms = BREAKER_COOLDOWN_MS;
		c->need_alive = false;
		set_state(s, c, "alive", NULL);
	}
}

static void channel_fault(gw_sender *s, struct chan *c, bool was_probe, const char *error,
			  int64_t now)
{
	c->faults++;
	if (!was_probe && c->faults < BREAKER_FAULTS)
		return;
	if (!was_probe && c->open_until)
		return; /* already open (requests that were in flight failing too) */
	if (was_probe && c->open_until)
		c->cooldown_ms = c->cooldown_ms * 2 > BREAKER_COOLDOWN_MAX_MS ? BREAKER_COOLDOWN_MAX_MS
									 : c->cooldown_ms * 2;
	c->open_until = now + c->cooldown_ms;
	char detail[400];
	snprintf(detail, sizeof detail, _("%d failures in a row; next try in %lld s; last: %s"),
		 c->faults, (long long)(c->cooldown_ms / 1000), error);
	gw_slog("%s: circuit breaker open: %s", c->name, detail);
	c->need_alive = false;
	set_state(s, c, "open", detail);
}

static void channel_pause(gw_sender *s, struct chan *c, const char *error, int64_t now)
{
	bool was = c->paused;
	c->paused = true;
	c->pause_until = now + PAUSE_PROBE_MS;
	if (!was) {
		gw_slog(_("%s: paused, the token was refused (%s); fix the token and reload (SIGHUP)"),
			c->name, error);
		set_state(s, c, "token_expired", error);
	}
}

/* ---- sending ---- */

static void start_send(gw_sender *s, int ci, dd_outbox_job *job, struct peer *peer,
		       bool probe)
{
	const dd_config *cfg = s->cfg;
	struct chan *c = &s->ch[ci];
	char *url, *body;
	bool as_template = false;
	if (ci == CH_WHATSAPP) {
		int64_t now = dd_now_ms();
		as_template = gw_wa_template_name(cfg, job) &&
			      (job->template || !dd_contact_window_open(s->db, "whatsapp",
									job->address, now));
		url = dd_xasprintf("%s/%s/messages", cfg->wa_api_base, cfg->wa_phone_number_id);
		body = gw_wa_message(cfg, job, as_template);
	} else {
		url = dd_xasprintf("%s/bot%s/sendMessage", cfg->tg_api_base, cfg->tg_token);
		body = gw_tg_message(job);
	}
	struct xfer *x = gw_xfer_new(s, X_SEND, ci, url, SEND_TIMEOUT_MS);
	explicit_bzero(url, strlen(url));
	free(url);
	x->job = *job;
	memset(job, 0, sizeof *job);
	x->as_template = as_template;
	x->probe = probe;
	x->peer = peer;
	x->headers = curl_slist_append(x->headers, "Content-Type: application/json");
	if (ci == CH_WHATSAPP)
		gw_xfer_bearer(s, x);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(x->easy, CURLOPT_COPYPOSTFIELDS, body);
	free(body);
	peer->in_flight++;
	peer->tokens -= 1.0;
	c->tokens -= 1.0;
	c->in_flight++;
	if (probe)
		c->probing = true;
	gw_xfer_start(s, x);
}

static void record(dd_status st, const dd_err *err, int64_t id)
{
	if (st)
		gw_slog("notification %lld: %s", (long long)id, err->msg);
}

static void defer_job(gw_sender *s, const dd_outbox_job *j, int64_t at)
{
	dd_err err = {0};
	if (dd_outbox_defer(s->db, j->id, at, &err))
		gw_slog("notification %lld: %s", (long long)j->id, err.msg);
}

static void claim_channel(gw_sender *s, int ci, int64_t now)
{
	struct chan *c = &s->ch[ci];
	c->backlog = false;
	if (!channel_configured(s->cfg, ci)) {
		if (!c->warned_unconfigured) {
			gw_slog(_("%s: not configured (token%s missing); its notifications wait"),
				c->name, ci == CH_WHATSAPP ? _(" or phone_number_id") : "");
			c->warned_unconfigured = true;
		}
		return;
	}
	c->warned_unconfigured = false;
	if (now < c->hold_until)
		return;
	bool probe = false;
	if (c->paused || c->open_until) {
		if ((c->paused && now < c->pause_until) || (c->open_until && now < c->open_until) ||
		    c->probing || c->in_flight)
			return;
		probe = true; /* one request to see whether the channel works again */
	}
	refill(&c->tokens, &c->refilled_at, c->rate_per_ms, c->burst, now);
	int limit = (int)c->tokens;
	if (limit > c->max_in_flight - c->in_flight)
		limit = c->max_in_flight - c->in_flight;
	if (probe && limit > 1)
		limit = 1;
	if (limit <= 0)
		return;
	dd_outbox_job *jobs;
	size_t n;
	int started = 0;
	dd_err err = {0};
	if (dd_outbox_claim_due(s->db, c->name, now, (size_t)limit, &jobs, &n, &err)) {
		gw_slog("%s: %s", c->name, err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		dd_outbox_job *j = &jobs[i];
		struct peer *p = peer_get(s, ci, j->address, now);
		int64_t at = peer_ready_at(s, p, now);
		if (at > now) {
			defer_job(s, j, at);
			continue;
		}
		if (ci == CH_WHATSAPP && j->template && !gw_wa_template_name(s->cfg, j)) {
			/* WhatsApp refused free-form text (131047, maybe by a status
			 * webhook): sending it again as text would only repeat that */
			dd_err e2 = {0};
			const char *why = _("outside WhatsApp's 24-hour window and no template is "
					    "configured for it (template_officer / template_reporter)");
			record(dd_outbox_mark_failed(s->db, j->id, 131047, why, &e2), &e2, j->id);
			s->stats.failed++;
			gw_slog("failed notification %lld via %s: %s", (long long)j->id, c->name, why);
			continue;
		}
		start_send(s, ci, j, p, probe);
		started++;
	}
	dd_outbox_job_list_free(&jobs, n);
	/* more may be due: claimed for again as soon as there is room. Only
	 * when all it took went out: rows deferred for a recipient's pace
	 * spend no token, and would be claimed and deferred over and over */
	c->backlog = !probe && started == limit;
}

static void send_done(gw_sender *s, struct xfer *x, int rc)
{
	struct chan *c = &s->ch[x->chan];
	dd_outbox_job *j = &x->job;
	char cerr[CURL_ERROR_SIZE + 64];
	gw_xfer_error(s, x, rc, cerr, sizeof cerr);
	long http = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &http);
	gw_answer a = {
		.curl_code = x->resp_overflow ? CURLE_WRITE_ERROR : rc,
		.curl_error = x->resp_overflow ? _("the answer was too long") : cerr,
		.http = http,
		.body = x->resp.data,
		.len = x->resp.len,
		.retry_after_hdr_ms = x->retry_after_ms,
	};
	gw_result r;
	if (x->chan == CH_WHATSAPP)
		gw_wa_classify(&a, &r);
	else
		gw_tg_classify(&a, j->address, &r);

	c->in_flight--;
	if (x->probe)
		c->probing = false;
	if (x->peer)
		x->peer->in_flight--;

	int64_t now = dd_now_ms();
	int64_t give_up_at = j->created_at + (int64_t)s->cfg->give_up_after_s * 1000;
	dd_err err = {0};
	const char *tpl = x->chan == CH_WHATSAPP ? gw_wa_template_name(s->cfg, j) : NULL;

	switch (r.verdict) {
	case GW_SENT:
		record(dd_outbox_mark_sent(s->db, j->id, r.external_id, x->as_template, now, &err),
		       &err, j->id);
		s->stats.sent++;
		if (x->as_template)
			s->stats.templates++;
		s->stats.latency_ms_sum += (uint64_t)(now - x->started_at);
		s->stats.latency_count++;
		gw_slog("sent notification %lld via %s%s (%s) in %lld ms", (long long)j->id, c->name,
			x->as_template ? " as template" : "", r.external_id,
			(long long)(now - x->started_at));
		channel_ok(s, c);
		return;
	case GW_TEMPLATE:
		channel_ok(s, c);
		if (!x->as_template && tpl) {
			record(dd_outbox_mark_retry(s->db, j->id, now, r.code, r.error, true, &err), &err,
			       j->id);
			s->stats.retried++;
			gw_slog("retry notification %lld via %s as template %s: %s", (long long)j->id,
				c->name, tpl, r.error);
			return;
		}
		if (!tpl) {
			size_t l = strlen(r.error);
			snprintf(r.error + l, sizeof r.error - l, "%s",
				 _("; no template is configured"));
		}
		break; /* fails below */
	case GW_PAUSE:
		record(dd_outbox_mark_retry(s->db, j->id, now, r.code, r.error, false, &err), &err,
		       j->id);
		gw_slog("held notification %lld via %s: %s", (long long)j->id, c->name, r.error);
		channel_pause(s, c, r.error, now);
		return;
	case GW_RETRY: {
		int64_t wait = r.retry_after_ms ? r.retry_after_ms
						: gw_backoff_ms(s, j->attempts, BACKOFF_BASE_MS,
								BACKOFF_CAP_MS);
		if (r.rate_scope == GW_SCOPE_PEER && wait < WA_PAIR_LIMIT_MS)
			wait = WA_PAIR_LIMIT_MS;
		if (r.rate_scope == GW_SCOPE_CHANNEL && r.retry_after_ms && c->hold_until < now + wait)
			c->hold_until = now + wait;
		if (r.rate_scope == GW_SCOPE_PEER && x->peer)
			x->peer->hold_until = now + wait;
		if (r.channel_fault)
			channel_fault(s, c, x->probe, r.error, now);
		else
			channel_ok(s, c);
		if (now + wait > give_up_at) {
			char why[sizeof r.error + 64];
			snprintf(why, sizeof why, _("gave up after %d attempts: %s"), j->attempts,
				 r.error);
			record(dd_outbox_mark_failed(s->db, j->id, r.code, why, &err), &err, j->id);
			s->stats.gave_up++;
			gw_slog("failed notification %lld via %s: %s", (long long)j->id, c->name, why);
			return;
		}
		record(dd_outbox_mark_retry(s->db, j->id, now + wait, r.code, r.error, false, &err),
		       &err, j->id);
		s->stats.retried++;
		gw_slog("retry notification %lld via %s in %lld ms (attempt %d): %s",
			(long long)j->id, c->name, (long long)wait, j->attempts, r.error);
		return;
	}
	case GW_FAIL:
		channel_ok(s, c);
		break;
	}
	record(dd_outbox_mark_failed(s->db, j->id, r.code, r.error, &err), &err, j->id);
	s->stats.failed++;
	gw_slog("failed notification %lld via %s: %s", (long long)j->id, c->name, r.error);
}

static void collect(gw_sender *s)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(s->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct xfer *x = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		int rc = (int)m->data.result;
		unlink_xfer(s, x);
		if (x->kind == X_SEND) {
			send_done(s, x, rc);
			gw_xfer_free(s, x);
		} else {
			gw_media_done(s, x, rc); /* frees x or starts its next step */
		}
	}
}

static void claim_round(gw_sender *s)
{
	int64_t now = dd_now_ms();
	if (!s->last_give_up || now - s->last_give_up >= GIVE_UP_EVERY_MS) {
		s->last_give_up = now;
		int n = 0;
		dd_err err = {0};
		if (dd_outbox_give_up(s->db, now, (int64_t)s->cfg->give_up_after_s * 1000, &n, &err))
			gw_slog("%s", err.msg);
		else if (n) {
			s->stats.gave_up += (uint64_t)n;
			gw_slog("gave up %d notification(s) older than %ld s", n,
				s->cfg->give_up_after_s);
		}
	}
	for (int ci = 0; ci < CH_COUNT; ci++)
		claim_channel(s, ci, now);
	gw_media_claim(s, now);
}

/* A channel that had more due than it could take is claimed for again as
 * soon as a request finishes and a token is there, not at the next round.
 * True while some channel waits so (for a token or a free slot). */
static bool claim_backlog(gw_sender *s)
{
	bool waiting = false;
	int64_t now = dd_now_ms();
	for (int ci = 0; ci < CH_COUNT; ci++) {
		struct chan *c = &s->ch[ci];
		if (!c->backlog)
			continue;
		waiting = true;
		if (c->in_flight >= c->max_in_flight)
			continue;
		refill(&c->tokens, &c->refilled_at, c->rate_per_ms, c->burst, now);
		if (c->tokens >= 1)
			claim_channel(s, ci, now);
	}
	return waiting;
}

static void drive(gw_sender *s, int timeout_ms, bool claim)
{
	int64_t deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		int64_t m = mono_ms();
		/* a commit by another process (an assignment) is claimed at
		 * once; otherwise every CLAIM_EVERY_MS for retries coming due */
		int64_t dv = claim ? dd_db_data_version(s->db) : 0;
		if (claim && (m >= s->next_claim_mono || dv != s->data_version)) {
			s->data_version = dv;
			claim_round(s);
			s->next_claim_mono = m + CLAIM_EVERY_MS;
		}
		int running = 0;
		curl_multi_perform(s->multi, &running);
		collect(s);
		bool backlog = claim && claim_backlog(s);
		m = mono_ms();
		if (m >= deadline || (!claim && s->in_flight == 0))
			break;
		int64_t wait = deadline - m;
		if (claim && s->next_claim_mono - m < wait)
			wait = s->next_claim_mono - m;
		if (claim && wait > WATCH_MS)
			wait = WATCH_MS;
		if (backlog && wait > BACKLOG_MS)
			wait = BACKLOG_MS;
		if (wait < 1)
			wait = 1;
		curl_multi_poll(s->multi, NULL, 0, (int)wait, NULL);
	}
}

void gw_sender_tick(gw_sender *s, int timeout_ms)
{
	drive(s, timeout_ms, !s->draining);
}

void gw_sender_drain(gw_sender *s, int timeout_ms)
{
	s->draining = true;
	drive(s, timeout_ms, false);
}

int gw_sender_in_flight(const gw_sender *s)
{
	return s->in_flight;
}

void gw_sender_get_stats(const gw_sender *s, gw_sender_stats *out)
{
	*out = s->stats;
	out->in_flight = s->in_flight;
}

static void init_channel(struct chan *c, const char *name, double per_s, double burst,
			 double peer_per_s, double peer_burst, int64_t now)
{
	memset(c, 0, sizeof *c);
	c->name = name;
	c->rate_per_ms = per_s / 1000.0;
	c->burst = burst;
	c->tokens = burst;
	c->refilled_at = now;
	c->peer_rate_per_ms = peer_per_s / 1000.0;
	c->peer_burst = peer_burst;
	c->max_in_flight = 16;
	c->cooldown_ms = BREAKER_COOLDOWN_MS;
	c->need_alive = true;
}

gw_sender *gw_sender_new(const dd_config *cfg, const char *db_path, dd_err *err)
{
	dd_db *db;
	if (dd_db_open(&db, db_path, 0, err))
		return NULL;
	int n = 0;
	if (dd_outbox_requeue_sending(db, &n, err)) {
		dd_db_close(&db);
		return NULL;
	}
	if (n)
		gw_slog("re-queued %d notification(s) interrupted by the last stop", n);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		dd_db_close(&db);
		dd_fail(err, DD_EIO, "%s", _("cannot initialise libcurl"));
		return NULL;
	}
	gw_sender *s = dd_xcalloc(1, sizeof *s);
	s->cfg = cfg;
	s->db = db;
	s->multi = curl_multi_init();
	curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, 32L);
	int64_t now = dd_now_ms();
	/* WhatsApp: about 80 messages/s per number, ~1 per 6 s to one user
	 * with a small burst; Telegram: 30/s overall, 1/s per chat. A token
	 * bucket lets burst + rate through in any one second, so the channel's
	 * rate and burst add up to the limit, never more. */
	init_channel(&s->ch[CH_WHATSAPP], "whatsapp", 70, 10, 1.0 / 6.0, 3, now);
	init_channel(&s->ch[CH_TELEGRAM], "telegram", 25, 5, 1.0, 1, now);
	s->rng = (unsigned)now ^ (unsigned)getpid();
	return s;
}

void gw_sender_set_config(gw_sender *s, const dd_config *cfg)
{
	const dd_config *old = s->cfg;
	s->cfg = cfg;
	for (int ci = 0; ci < CH_COUNT; ci++) {
		const char *a = ci == CH_WHATSAPP ? old->wa_token : old->tg_token;
		const char *b = ci == CH_WHATSAPP ? cfg->wa_token : cfg->tg_token;
		struct chan *c = &s->ch[ci];
		if (c->paused && (!a || !b || strcmp(a, b) != 0)) {
			/* a new token: try it at once */
			c->pause_until = 0;
		}
	}
}

void gw_sender_free(gw_sender **sp)
{
	gw_sender *s = *sp;
	if (!s)
		return;
	int64_t now = dd_now_ms();
	while (s->xfers) {
		struct xfer *x = s->xfers;
		s->xfers = x->next;
		dd_err err = {0};
		if (x->kind == X_SEND)
			record(dd_outbox_mark_retry(s->db, x->job.id, now, 0,
						    _("interrupted by the gateway's stop"), false, &err),
			       &err, x->job.id);
		else
			gw_media_abort(s, x);
		gw_xfer_free(s, x);
	}
	curl_multi_cleanup(s->multi);
	curl_global_cleanup();
	for (size_t i = 0; i < s->npeers; i++) {
		free(s->peers[i]->address);
		free(s->peers[i]);
	}
	free(s->peers);
	dd_db_close(&s->db);
	free(s);
	*sp = NULL;
}
