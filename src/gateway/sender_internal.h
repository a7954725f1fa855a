/* Inside the sender only: its state, shared by sender.c and media.c. */
#ifndef DUTYDESK_GATEWAY_SENDER_INTERNAL_H
#define DUTYDESK_GATEWAY_SENDER_INTERNAL_H

#include <curl/curl.h>
#include <openssl/evp.h>

#include "dutydesk/attachment.h"
#include "dutydesk/db.h"
#include "dutydesk/outbox.h"
#include "sender.h"

enum { CH_WHATSAPP, CH_TELEGRAM, CH_COUNT };

/* Pacing, breaker and pause of one channel. */
struct chan {
	const char *name;        /* "whatsapp", "telegram" */
	double tokens, rate_per_ms, burst; /* channel-wide token bucket */
	int64_t refilled_at;
	double peer_rate_per_ms, peer_burst; /* per recipient */
	int in_flight, max_in_flight;
	int64_t hold_until;      /* a channel-wide rate limit: nothing before */
	/* circuit breaker: closed (open_until 0), open, half-open (probing) */
	int faults;              /* consecutive network/5xx failures */
	int64_t open_until;
	int64_t cooldown_ms;
	bool probing;            /* the one probe request is in flight */
	/* token expired: paused until the config changes or a probe succeeds */
	bool paused;
	int64_t pause_until;
	bool need_alive;         /* write "alive" at the next success */
	bool warned_unconfigured;
	bool backlog;            /* the last claim took all it could: more due */
};

/* A recipient's pacing. */
struct peer {
	int chan;
	char *address;
	double tokens;
	int64_t refilled_at, hold_until;
	int in_flight;
};

enum xfer_kind { X_SEND, X_WA_MEDIA_META, X_TG_GETFILE, X_MEDIA_GET };

/* One HTTP request in flight. */
struct xfer {
	struct xfer *next;
	enum xfer_kind kind;
	int chan;
	CURL *easy;
	struct curl_slist *headers;
	dd_buf resp;
	bool resp_overflow;
	int64_t retry_after_ms;  /* from a Retry-After header */
	int64_t started_at;
	char errbuf[CURL_ERROR_SIZE];
	/* X_SEND */
	dd_outbox_job job;
	bool as_template, probe;
	struct peer *peer;
	/* media */
	dd_media_job media;
	int fd;
	char *tmp_path, *ext, *mime, *expect_sha;
	EVP_MD_CTX *sha;
	int64_t got, limit;   /* bytes written; max_media */
	bool too_large;
};

struct gw_sender {
	const dd_config *cfg;
	dd_db *db;
	CURLM *multi;
	struct chan ch[CH_COUNT];
	struct peer **peers;     /* each allocated: transfers point at them */
	size_t npeers, cappeers;
	struct xfer *xfers;
	int in_flight, media_in_flight;
	bool draining;
	int64_t next_claim_mono, last_give_up;
	int64_t data_version; /* the database's, at the last claim */
	unsigned rng;
	gw_sender_stats stats;
};

/* Logs one line through gw_log (stderr, timestamped); never pass a secret. */
void gw_slog(const char *fmt, ...) DD_PRINTF(1, 2);
/* Exponential backoff with jitter for the attempt'th try: base * 2^(n-1),
 * at most cap, times 0.8 to 1.2. */
int64_t gw_backoff_ms(gw_sender *s, int attempt, int64_t base_ms, int64_t cap_ms);
/* A new transfer of kind on channel, its easy handle set up for url
 * (response buffered, Retry-After captured, timeouts); not started. */
struct xfer *gw_xfer_new(gw_sender *s, enum xfer_kind kind, int chan, const char *url,
			 long timeout_ms);
/* Adds x to the multi handle and the list. */
void gw_xfer_start(gw_sender *s, struct xfer *x);
/* Removes x from the multi handle and frees it (not the list link). */
void gw_xfer_free(gw_sender *s, struct xfer *x);
/* Copies x's curl error, scrubbed of secrets. */
void gw_xfer_error(gw_sender *s, struct xfer *x, int rc, char *out, size_t size);
/* Adds "Authorization: Bearer <the WhatsApp token>". */
void gw_xfer_bearer(gw_sender *s, struct xfer *x);

/* media.c */
void gw_media_claim(gw_sender *s, int64_t now);
void gw_media_done(gw_sender *s, struct xfer *x, int rc);
void gw_media_abort(gw_sender *s, struct xfer *x);

#endif
