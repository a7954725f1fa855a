/* The gateway's own state, for every console to show: a heartbeat, and per
 * channel whether it works (alive), its token expired, it is paused, or its
 * circuit breaker is open. */
#ifndef DUTYDESK_GATEWAY_STATE_H
#define DUTYDESK_GATEWAY_STATE_H

#include "dutydesk/db.h"

/* A heartbeat older than this means the gateway is down. */
#define DD_GATEWAY_STALE_MS 15000

/* The gateway writes: its heartbeat (every few seconds; the 'gateway' row),
 * a clean stop, and a channel's state ("alive", "token_expired", "paused",
 * "open"); since changes only when the state does. detail may be NULL and
 * must never hold a secret. */
dd_status dd_gateway_heartbeat(dd_db *db, dd_err *err);
dd_status dd_gateway_stopped(dd_db *db, dd_err *err);
dd_status dd_gateway_set_state(dd_db *db, const char *channel, const char *state,
			       const char *detail, dd_err *err);

typedef enum {
	DD_GWS_NEVER,          /* no gateway has ever run on this database */
	DD_GWS_ALIVE,
	DD_GWS_DOWN,           /* heartbeat stale, or stopped */
	DD_GWS_TOKEN_EXPIRED,  /* alive, but a channel's token expired */
	DD_GWS_DEGRADED,       /* alive, but a channel is paused or its circuit open */
} dd_gws;

typedef struct dd_gw_status {
	dd_gws state;
	int64_t since;         /* down since (last heartbeat), or the channel's since */
	char channel[16];      /* the channel with a problem, "" when none */
	char detail[160];
	/* For the console's status line: "gateway alive", "gateway down since
	 * 14:05", "gateway never started", "whatsapp token expired since 14:05",
	 * "telegram paused since 14:05". Not translated here: the console
	 * translates by state. */
	char text[200];
} dd_gw_status;

/* Reads the state as of now. */
dd_status dd_gateway_status(dd_db *db, dd_gw_status *out, dd_err *err);

#endif
