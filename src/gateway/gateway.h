/* The gateway daemon: `dutydesk gateway`. */
#ifndef DUTYDESK_GATEWAY_GATEWAY_H
#define DUTYDESK_GATEWAY_GATEWAY_H

#include "dutydesk/common.h"
#include "dutydesk/config.h"

typedef struct gw_options {
	dd_config *cfg;          /* loaded; the gateway reads its secrets file */
	const char *config_path; /* for SIGHUP: --config, or NULL for the defaults */
	const char *db_override; /* the database named on the command line, or NULL */
	const char *listen;      /* --listen, or NULL for cfg->listen; port 0: any */
} gw_options;

/*
 * Runs until SIGTERM or SIGINT: reads the secrets file (refusing one with a
 * bad mode), starts the webhook server, Telegram polling when configured,
 * the sender; writes the heartbeat; reloads the config on SIGHUP. Returns
 * DD_OK after a clean stop, else the reason it could not start.
 */
dd_status gw_run(const gw_options *o, dd_err *err);

/* One log line on stderr: "2026-12-01T13:45:00.123Z event: detail". Never
 * pass a secret; clean messenger text first. Thread-safe. */
void gw_log(const char *fmt, ...) DD_PRINTF(1, 2);

#endif
