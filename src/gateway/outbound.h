/*
 * The messenger side of sending, without the network: request bodies for
 * WhatsApp Cloud and the Telegram Bot API, and what an answer means. Kept
 * apart from sender.c so that unit tests can check them without a server.
 */
#ifndef DUTYDESK_GATEWAY_OUTBOUND_H
#define DUTYDESK_GATEWAY_OUTBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dutydesk/config.h"
#include "dutydesk/outbox.h"

/* What to do with a row after an answer (or no answer). */
typedef enum {
	GW_SENT,      /* accepted: external_id is set */
	GW_RETRY,     /* transient: try again later (backoff or retry_after_ms) */
	GW_TEMPLATE,  /* outside the 24-hour window: send again as the template */
	GW_PAUSE,     /* the token expired or is wrong: pause the channel */
	GW_FAIL,      /* permanent: the row fails with error */
} gw_verdict;

/* How far a rate limit reaches. */
typedef enum { GW_SCOPE_NONE, GW_SCOPE_PEER, GW_SCOPE_CHANNEL } gw_scope;

typedef struct gw_result {
	gw_verdict verdict;
	int code;               /* the platform's error code, else the HTTP status; 0 none */
	int64_t retry_after_ms; /* the platform said when; 0 when it did not */
	gw_scope rate_scope;    /* a rate limit: whom it holds back */
	bool channel_fault;     /* network error, timeout, 5xx: counts for the breaker */
	char external_id[128];
	char error[320];        /* for the row and the log; never a secret */
} gw_result;

/* The transfer's outcome as the sender saw it. */
typedef struct gw_answer {
	int curl_code;          /* CURLE_OK or the failure */
	const char *curl_error; /* words for a failure (already scrubbed of secrets) */
	long http;              /* HTTP status; 0 when there was no answer */
	const char *body;       /* the answer's body (may be NULL) */
	size_t len;
	int64_t retry_after_hdr_ms; /* Retry-After header; 0 none */
} gw_answer;

/* Whether the officer's message gets answer buttons (ack/onsite/done). */
bool gw_wants_buttons(const dd_outbox_job *j);

/* The WhatsApp recipient: the address's digits. */
void gw_wa_to(const char *address, char *out, size_t size);
/* The template named in cfg for the job's recipient, or NULL. */
const char *gw_wa_template_name(const dd_config *cfg, const dd_outbox_job *j);
/* The JSON body of POST {api_base}/{phone_number_id}/messages: the template
 * when as_template (its one body parameter {{1}} gets the text on one line),
 * else interactive reply buttons for an officer, else text. Caller frees. */
char *gw_wa_message(const dd_config *cfg, const dd_outbox_job *j, bool as_template);
/* The JSON body of POST {api_base}/bot{token}/sendMessage. Caller frees. */
char *gw_tg_message(const dd_outbox_job *j);

void gw_wa_classify(const gw_answer *a, gw_result *r);
/* chat_id: the row's address, for the external id "chat_id:message_id". */
void gw_tg_classify(const gw_answer *a, const char *chat_id, gw_result *r);

/* Retry-After: seconds, or an HTTP date; ms from now, 0 when unusable. */
int64_t gw_parse_retry_after(const char *value, int64_t now_ms);

/* Copies s into out replacing every occurrence of each non-empty secret
 * (NULL-terminated list) with "[secret]". */
void gw_scrub(const char *s, const char *const *secrets, char *out, size_t size);

#endif
