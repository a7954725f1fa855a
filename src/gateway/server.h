/*
 * The webhook server (libmicrohttpd): WhatsApp and Telegram webhooks, the
 * WhatsApp verification handshake, /healthz and /metrics. A pool of threads,
 * each with its own database connection.
 */
#ifndef DUTYDESK_GATEWAY_SERVER_H
#define DUTYDESK_GATEWAY_SERVER_H

#include "dutydesk/common.h"
#include "dutydesk/config.h"

typedef struct gw_server gw_server;

/* Starts listening on listen ("HOST:PORT", "[V6]:PORT"; port 0 picks a
 * free one) with the secrets and limits of cfg (copied). db_path must be a
 * migrated database. NULL with err set when it cannot listen. */
gw_server *gw_server_start(const char *listen, const char *db_path, const dd_config *cfg,
			   dd_err *err);
/* The port it listens on. */
int gw_server_port(const gw_server *s);
/* Takes the secrets and limits of a reloaded config (not the address). */
void gw_server_configure(gw_server *s, const dd_config *cfg);
/* Stops accepting, lets requests in progress finish (their data committed),
 * closes; *s becomes NULL. */
void gw_server_stop(gw_server **s);

/* For tests and the server: does header ("sha256=<hex>") sign body with
 * secret? Constant-time. */
bool gw_wa_signature_ok(const char *header, const char *body, size_t len, const char *secret);
/* Do a and b match (constant time in their contents)? NULL or "" never. */
bool gw_secret_equal(const char *a, const char *b);

#endif
