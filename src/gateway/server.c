/* The webhook server: every request answered only after its data is
 * committed; signatures checked before anything is parsed. */
#include <config.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stddef.h>

#include <jansson.h>

#include "dutydesk/clock.h"
#include "dutydesk/db.h"
#include "dutydesk/outbox.h"
#include "dutydesk/sanitize.h"
#include "gateway.h"
#include "group.h"
#include "ingest.h"
#include "metrics.h"
#include "server.h"

enum {
	POOL_THREADS = 16,
	MAX_BATCH = 64,            /* bodies in one transaction (group commit) */
	CONNECTION_LIMIT = 256,    /* each may hold up to max_body */
	MAX_CHALLENGE = 256,
};

struct gw_server {
	struct MHD_Daemon *mhd;
	char *db_path;
	int port;
	pthread_key_t db_key;
	gw_group *group;
	pthread_mutex_t lock; /* guards what follows */
	char *app_secret, *verify_token, *tg_secret;
	long max_body;
	int join_window_s;
};

/* One request in progress. */
struct req {
	int route;
	bool too_big;
	size_t discarded; /* bytes of a too big body thrown away */
	dd_buf body;
};

enum { R_NONE, R_HEALTHZ, R_METRICS, R_WHATSAPP, R_TELEGRAM };

static const struct {
	const char *path;
	int route;
	const char *methods; /* the Allow header */
} routes[] = {
	{"/healthz", R_HEALTHZ, "GET"},
	{"/metrics", R_METRICS, "GET"},
	{"/webhook/whatsapp", R_WHATSAPP, "GET, POST"},
	{"/webhook/telegram", R_TELEGRAM, "POST"},
};

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static char *dup_or_null(const char *s)
{
	return s && *s ? dd_xstrdup(s) : NULL;
}

void gw_server_configure(gw_server *s, const dd_config *cfg)
{
	pthread_mutex_lock(&s->lock);
	wipe_free(s->app_secret);
	wipe_free(s->verify_token);
	wipe_free(s->tg_secret);
	s->app_secret = dup_or_null(cfg->wa_app_secret);
	s->verify_token = dup_or_null(cfg->wa_verify_token);
	s->tg_secret = dup_or_null(cfg->tg_secret_token);
	s->max_body = cfg->max_body > 0 ? cfg->max_body : 1048576;
	s->join_window_s = cfg->join_window_s;
	pthread_mutex_unlock(&s->lock);
}

/* A copy of a secret taken under the lock; wipe_free it. */
static char *secret_copy(gw_server *s, char *const *field)
{
	pthread_mutex_lock(&s->lock);
	char *v = *field ? dd_xstrdup(*field) : NULL;
	pthread_mutex_unlock(&s->lock);
	return v;
}

bool gw_secret_equal(const char *a, const char *b)
{
	if (!a || !b || !*a || !*b)
		return false;
	/* compare digests: equal lengths, and no early exit on the contents */
	unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
	unsigned int la = 0, lb = 0;
	EVP_Digest(a, strlen(a), da, &la, EVP_sha256(), NULL);
	EVP_Digest(b, strlen(b), db, &lb, EVP_sha256(), NULL);
	return la == lb && la > 0 && CRYPTO_memcmp(da, db, la) == 0;
}

bool gw_wa_signature_ok(const char *header, const char *body, size_t len, const char *secret)
{
	static const char prefix[] = "sha256=";
	if (!header || !secret || !*secret || strlen(header) != sizeof prefix - 1 + 64 ||
	    strncmp(header, prefix, sizeof prefix - 1) != 0)
		return false;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, md,
		  &mdlen) || mdlen != 32)
		return false;
	char want[65], given[65];
	for (unsigned i = 0; i < 32; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	const char *hex = header + sizeof prefix - 1;
	for (int i = 0; i < 64; i++) {
		char c = hex[i];
		given[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
	}
	given[64] = want[64] = '\0';
	return CRYPTO_memcmp(want, given, 64) == 0;
}

static void close_db(void *p)
{
	dd_db *db = p;
	dd_db_close(&db);
}

/* This thread's connection, opened on first use. */
static dd_db *thread_db(gw_server *s, dd_err *err)
{
	dd_db *db = pthread_getspecific(s->db_key);
	if (db)
		return db;
	if (dd_db_open(&db, s->db_path, DD_DB_WRITER, err))
		return NULL;
	pthread_setspecific(s->db_key, db);
	return db;
}

static enum MHD_Result respond(struct MHD_Connection *c, const char *path, int code,
			       const char *type, const char *body, const char *allow)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type ? type : "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, "Allow", allow);
	enum MHD_Result ok = MHD_queue_response(c, (unsigned)code, r);
	MHD_destroy_response(r);
	gw_metrics_request(path, code);
	return ok;
}

static const char *client(struct MHD_Connection *c, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(buf, size, "?");
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
				  buf, (socklen_t)size);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
				  (socklen_t)size);
	}
	return buf;
}

static enum MHD_Result healthz(gw_server *s, struct MHD_Connection *c)
{
	dd_err err = {0};
	dd_db *db = thread_db(s, &err);
	if (!db || dd_db_version(db) <= 0) {
		gw_log("healthz: database unreachable");
		return respond(c, "/healthz", 503, NULL, "database unreachable\n", NULL);
	}
	return respond(c, "/healthz", 200, NULL, "ok\n", NULL);
}

static enum MHD_Result metrics(gw_server *s, struct MHD_Connection *c)
{
	dd_err err = {0};
	dd_db *db = thread_db(s, &err);
	dd_outbox_counts n;
	if (db && dd_outbox_count(db, &n, &err) == DD_OK) {
		static const char *const names[] = {"queued", "sending", "sent", "delivered",
						    "read", "failed", "cancelled"};
		const int64_t v[] = {n.queued, n.sending, n.sent, n.delivered,
				     n.read, n.failed, n.cancelled};
		for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
			char l[40];
			snprintf(l, sizeof l, "state=\"%s\"", names[i]);
			gw_metrics_set("dutydesk_notifications", l, (double)v[i]);
		}
		gw_metrics_set("dutydesk_queue_depth", NULL, (double)(n.queued + n.sending));
		int64_t now = dd_now_ms();
		gw_metrics_set("dutydesk_oldest_queued_seconds", NULL,
			       n.oldest_queued_at ? (double)(now - n.oldest_queued_at) / 1000.0 : 0);
	}
	/* counted before rendering, so that this request shows too */
	gw_metrics_request("/metrics", 200);
	dd_buf b = {0};
	gw_metrics_render(&b);
	struct MHD_Response *r = MHD_create_response_from_buffer(
		b.len, b.data ? b.data : (char *)"", MHD_RESPMEM_MUST_COPY);
	dd_buf_free(&b);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	enum MHD_Result ok = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result verify(gw_server *s, struct MHD_Connection *c)
{
	const char *mode = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "hub.mode");
	const char *token =
		MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "hub.verify_token");
	const char *challenge =
		MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "hub.challenge");
	char *want = secret_copy(s, &s->verify_token);
	bool ok = mode && strcmp(mode, "subscribe") == 0 && gw_secret_equal(token, want) &&
		  challenge && *challenge && strlen(challenge) <= MAX_CHALLENGE;
	wipe_free(want);
	if (!ok) {
		gw_log("webhook whatsapp: verification refused (%s)",
		       !mode || strcmp(mode, "subscribe") ? "hub.mode is not subscribe"
		       : !challenge || !*challenge ? "no hub.challenge"
		       : "wrong or unconfigured verify_token");
		gw_metrics_add("dutydesk_webhook_rejected_total", "reason=\"verify\"", 1);
		return respond(c, "/webhook/whatsapp", 403, NULL, "forbidden\n", NULL);
	}
	gw_log("webhook whatsapp: verification handshake answered");
	return respond(c, "/webhook/whatsapp", 200, NULL, challenge, NULL);
}

static void count_out(const char *channel, const gw_ingest_out *o)
{
	char l[64];
	static const struct {
		const char *outcome;
		size_t off;
	} outcomes[] = {
		{"new", offsetof(gw_ingest_out, stored)},
		{"joined", offsetof(gw_ingest_out, joined)},
		{"duplicate", offsetof(gw_ingest_out, duplicates)},
		{"edited", offsetof(gw_ingest_out, edited)},
		{"officer", offsetof(gw_ingest_out, officer)},
		{"help", offsetof(gw_ingest_out, help)},
		{"skipped", offsetof(gw_ingest_out, skipped)},
	};
	for (size_t i = 0; i < sizeof outcomes / sizeof *outcomes; i++) {
		int n = *(const int *)(const void *)((const char *)o + outcomes[i].off);
		if (!n)
			continue;
		snprintf(l, sizeof l, "channel=\"%s\",outcome=\"%s\"", channel, outcomes[i].outcome);
		gw_metrics_add("dutydesk_inbound_messages_total", l, n);
	}
	if (o->stored)
		gw_metrics_add("dutydesk_reports_stored_total", NULL, o->stored);
	if (o->duplicates)
		gw_metrics_add("dutydesk_inbound_duplicates_total", NULL, o->duplicates);
	if (o->statuses + o->ignored)
		gw_metrics_add("dutydesk_delivery_statuses_total", NULL, o->statuses + o->ignored);
}

/* Logs each line of what was stored, cleaned. */
static void log_lines(const char *channel, const dd_buf *lines)
{
	if (!lines->data)
		return;
	const char *p = lines->data;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *clean = dd_clean_text(p, n, 0);
		gw_log("%s: %s", channel, clean);
		free(clean);
		p += n + (nl ? 1 : 0);
	}
}

/* Processes a verified body; answers 200 only once it is committed. */
static enum MHD_Result ingest(gw_server *s, struct MHD_Connection *c, const char *channel,
			      const char *path, struct req *r)
{
	dd_err err = {0};
	dd_db *db = thread_db(s, &err);
	if (!db) {
		gw_log("%s: cannot open the database: %s", channel, err.msg);
		return respond(c, path, 503, NULL, "database unavailable\n", NULL);
	}
	pthread_mutex_lock(&s->lock);
	int window = s->join_window_s;
	pthread_mutex_unlock(&s->lock);
	gw_ingest_out out = {0};
	dd_status st = gw_group_ingest(s->group, db, channel, r->body.data ? r->body.data : "",
				       r->body.len, window, &out, &err);
	log_lines(channel, &out.lines);
	count_out(channel, &out);
	enum MHD_Result ok;
	if (st == DD_EINVAL) {
		char *clean = dd_clean(err.msg);
		gw_log("%s: refused: %s", channel, clean);
		free(clean);
		gw_metrics_add("dutydesk_webhook_rejected_total", "reason=\"bad_body\"", 1);
		char *msg = dd_xasprintf("%s\n", err.msg);
		ok = respond(c, path, 400, NULL, msg, NULL);
		free(msg);
	} else if (st) {
		/* the platform retries; what was stored is found as duplicates */
		gw_log("%s: not stored, the platform will retry: %s", channel, err.msg);
		ok = respond(c, path, 500, NULL, "not stored; retry\n", NULL);
	} else if (out.nanswers) {
		/* Telegram lets a webhook answer carry one method call */
		json_t *j = json_pack("{s:s, s:s, s:s}", "method", "answerCallbackQuery",
				      "callback_query_id", out.answers[0].id, "text",
				      out.answers[0].text);
		char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		ok = respond(c, path, 200, "application/json", txt ? txt : "{}", NULL);
		free(txt);
	} else {
		ok = respond(c, path, 200, NULL, "ok\n", NULL);
	}
	gw_ingest_out_free(&out);
	return ok;
}

static enum MHD_Result whatsapp_post(gw_server *s, struct MHD_Connection *c, struct req *r)
{
	char ip[64];
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Hub-Signature-256");
	char *secret = secret_copy(s, &s->app_secret);
	bool ok = gw_wa_signature_ok(sig, r->body.data ? r->body.data : "", r->body.len, secret);
	bool configured = secret != NULL;
	wipe_free(secret);
	if (!ok) {
		gw_log("webhook whatsapp: %s from %s; nothing stored",
		       !sig ? "no X-Hub-Signature-256"
		       : !configured ? "no [whatsapp] app_secret configured"
		       : "bad signature",
		       client(c, ip, sizeof ip));
		gw_metrics_add("dutydesk_webhook_rejected_total", "reason=\"signature\"", 1);
		return respond(c, "/webhook/whatsapp", 401, NULL, "bad signature\n", NULL);
	}
	return ingest(s, c, "whatsapp", "/webhook/whatsapp", r);
}

static enum MHD_Result telegram_post(gw_server *s, struct MHD_Connection *c, struct req *r)
{
	char ip[64];
	const char *tok =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Telegram-Bot-Api-Secret-Token");
	char *secret = secret_copy(s, &s->tg_secret);
	bool ok = gw_secret_equal(tok, secret);
	bool configured = secret != NULL;
	wipe_free(secret);
	if (!ok) {
		gw_log("webhook telegram: %s from %s; nothing stored",
		       !configured ? "no [telegram] secret_token configured"
		       : !tok ? "no X-Telegram-Bot-Api-Secret-Token" : "wrong secret token",
		       client(c, ip, sizeof ip));
		gw_metrics_add("dutydesk_webhook_rejected_total", "reason=\"secret_token\"", 1);
		return respond(c, "/webhook/telegram", 401, NULL, "bad secret token\n", NULL);
	}
	return ingest(s, c, "telegram", "/webhook/telegram", r);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	(void)version;
	gw_server *s = cls;
	struct req *r = *con_cls;
	if (!r) {
		/* first call: headers only */
		int route = R_NONE;
		const char *allow = NULL, *path = "other";
		for (size_t i = 0; i < sizeof routes / sizeof *routes; i++)
			if (strcmp(url, routes[i].path) == 0) {
				route = routes[i].route;
				allow = routes[i].methods;
				path = routes[i].path;
			}
		if (route == R_NONE)
			return respond(c, "other", 404, NULL, "not found\n", NULL);
		bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
		if (route == R_HEALTHZ && get)
			return healthz(s, c);
		if (route == R_METRICS && get)
			return metrics(s, c);
		if (route == R_WHATSAPP && get)
			return verify(s, c);
		if (!post || route == R_HEALTHZ || route == R_METRICS)
			return respond(c, path, 405, NULL, "method not allowed\n", allow);
		pthread_mutex_lock(&s->lock);
		long max = s->max_body;
		pthread_mutex_unlock(&s->lock);
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
		if (declared > (unsigned long long)max) {
			gw_log("webhook: %s body of %llu bytes refused (max_body %ld)", path, declared,
			       max);
			gw_metrics_add("dutydesk_webhook_rejected_total", "reason=\"too_big\"", 1);
			return respond(c, path, 413, NULL, "body too large\n", NULL);
		}
		r = dd_xcalloc(1, sizeof *r);
		r->route = route;
		*con_cls = r;
		return MHD_YES;
	}
	const char *path = r->route == R_WHATSAPP ? "/webhook/whatsapp" : "/webhook/telegram";
	if (*upload_data_size) {
		pthread_mutex_lock(&s->lock);
		long max = s->max_body;
		pthread_mutex_unlock(&s->lock);
		if (!r->too_big && r->body.len + *upload_data_size > (size_t)max) {
			r->too_big = true;
			dd_buf_free(&r->body);
		}
		if (!r->too_big)
			dd_buf_add(&r->body, upload_data, *upload_data_size);
		else
			r->discarded += *upload_data_size;
		*upload_data_size = 0;
		if (r->discarded > (size_t)max * 4) {
			/* a client that will not stop: drop it, answer or no answer */
			gw_log("webhook: %s body far over max_body; connection dropped", path);
			return MHD_NO;
		}
		return MHD_YES;
	}
	if (r->too_big) {
		gw_log("webhook: %s body over max_body refused", path);
		gw_metrics_add("dutydesk_webhook_rejected_total", "reason=\"too_big\"", 1);
		return respond(c, path, 413, NULL, "body too large\n", NULL);
	}
	return r->route == R_WHATSAPP ? whatsapp_post(s, c, r) : telegram_post(s, c, r);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct req *r = *con_cls;
	if (r) {
		dd_buf_free(&r->body);
		free(r);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	char *clean = dd_clean(line); /* it may quote what a client sent */
	gw_log("http: %s", clean);
	free(clean);
}

/* HOST:PORT or [V6]:PORT into an address. */
static bool parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen,
			 dd_err *err)
{
	char host[256];
	const char *port;
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof host)
			goto bad;
		memcpy(host, listen + 1, (size_t)(close - listen - 1));
		host[close - listen - 1] = '\0';
		port = close + 2;
	} else {
		const char *colon = strrchr(listen, ':');
		if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host)
			goto bad;
		memcpy(host, listen, (size_t)(colon - listen));
		host[colon - listen] = '\0';
		port = colon + 1;
	}
	char *end;
	long p = strtol(port, &end, 10);
	if (!*port || *end || p < 0 || p > 65535)
		goto bad;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc || !ai) {
		dd_fail(err, DD_EINVAL, _("listen: cannot resolve '%s': %s"), host, gai_strerror(rc));
		return false;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return true;
bad:
	dd_fail(err, DD_EINVAL, _("listen: not HOST:PORT with a port from 0 to 65535: '%s'"),
		listen);
	return false;
}

gw_server *gw_server_start(const char *listen, const char *db_path, const dd_config *cfg,
			   dd_err *err)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	if (!parse_listen(listen, &ss, &sslen, err))
		return NULL;
	gw_server *s = dd_xcalloc(1, sizeof *s);
	s->db_path = dd_xstrdup(db_path);
	pthread_mutex_init(&s->lock, NULL);
	pthread_key_create(&s->db_key, close_db);
	s->group = gw_group_new(MAX_BATCH);
	gw_server_configure(s, cfg);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, /* first, to catch all */
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)POOL_THREADS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->client_timeout_s,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTION_LIMIT,
				  MHD_OPTION_NOTIFY_COMPLETED, completed, s,
				  MHD_OPTION_END);
	if (!s->mhd) {
		dd_fail(err, DD_EIO, _("cannot listen on %s (in use, or not an address of this "
				       "machine)"), listen);
		gw_server_stop(&s);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
	return s;
}

int gw_server_port(const gw_server *s)
{
	return s->port;
}

void gw_server_stop(gw_server **sp)
{
	gw_server *s = *sp;
	if (!s)
		return;
	if (s->mhd)
		MHD_stop_daemon(s->mhd); /* joins the threads; requests in progress finish */
	/* the main thread never opens one, but be tidy */
	dd_db *db = pthread_getspecific(s->db_key);
	if (db) {
		pthread_setspecific(s->db_key, NULL);
		dd_db_close(&db);
	}
	pthread_key_delete(s->db_key);
	gw_group_free(&s->group);
	wipe_free(s->app_secret);
	wipe_free(s->verify_token);
	wipe_free(s->tg_secret);
	pthread_mutex_destroy(&s->lock);
	free(s->db_path);
	free(s);
	*sp = NULL;
}
