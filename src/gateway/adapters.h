/*
 * The messenger adapters: a webhook body (WhatsApp Cloud API) or a Telegram
 * update turned into the core's inbound values, without touching the
 * database. Robust against anything: missing fields, wrong types, huge
 * strings, invalid UTF-8 (refused as invalid JSON).
 */
#ifndef DUTYDESK_GATEWAY_ADAPTERS_H
#define DUTYDESK_GATEWAY_ADAPTERS_H

#include <jansson.h>

#include "dutydesk/common.h"
#include "dutydesk/inbound.h"

/* One message of a batch. */
typedef struct gw_message {
	dd_inbound in;
	/* Telegram callback_query: its id, to answer with answerCallbackQuery;
	 * NULL otherwise. */
	const char *callback_id;
} gw_message;

/* Everything one body carried. The strings the values point to belong to
 * the batch. */
typedef struct gw_batch {
	gw_message *msgs;
	size_t nmsgs, capmsgs;
	dd_delivery *statuses;
	size_t nstatuses, capstatuses;
	/* Parts that could not be used, one line each ("message 2: no id"):
	 * skipped, logged, never a reason to refuse the whole body. */
	dd_buf skipped;
	int nskipped;
	/* Telegram getUpdates: the highest update_id seen (0 none). */
	int64_t last_update_id;
	/* owned */
	json_t *root;
	char *raw;
	char **strs;
	size_t nstrs, capstrs;
} gw_batch;

void gw_batch_free(gw_batch *b);

/* Parses a WhatsApp webhook body (every entry, change, message and status).
 * DD_EINVAL with "invalid JSON: ..." or "not a WhatsApp webhook: ..." when
 * the body as a whole is unusable. */
dd_status wa_parse_webhook(const char *body, size_t len, gw_batch *b, dd_err *err);

/* Parses a Telegram update, or a getUpdates answer ({"ok":true,"result":
 * [updates]}). Same errors ("not a Telegram update: ..."). */
dd_status tg_parse_updates(const char *body, size_t len, gw_batch *b, dd_err *err);

/* Internal to the adapters: */
const char *gw_batch_keep(gw_batch *b, char *s);
gw_message *gw_batch_add(gw_batch *b);
void gw_batch_skip(gw_batch *b, const char *fmt, ...) DD_PRINTF(2, 3);
json_t *gw_parse_json(const char *body, size_t len, const char *what, dd_err *err);
/* A member as a string / number, NULL or false when missing or another type. */
const char *gw_jstr(json_t *o, const char *key);
bool gw_jnum(json_t *o, const char *key, double *out);
bool gw_jint(json_t *o, const char *key, int64_t *out);

#endif
