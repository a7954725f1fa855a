/*
 * The outbox sender: claims due notifications from the outbox and sends them
 * to WhatsApp Cloud / Telegram over one libcurl multi handle (parallel,
 * keep-alive), with pacing, retries, a token-expiry pause and a circuit
 * breaker per channel; also downloads pending media attachments.
 *
 * The daemon's main loop owns one sender and calls gw_sender_tick (and
 * gw_media_tick) every turn. Everything happens on the caller's thread; the
 * sender has its own database connection (opened on db_path).
 */
#ifndef DUTYDESK_GATEWAY_SENDER_H
#define DUTYDESK_GATEWAY_SENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "dutydesk/common.h"
#include "dutydesk/config.h"

typedef struct gw_sender gw_sender;

/*
 * Opens db_path (which must exist), and puts every outbox row left in
 * 'sending' by a crash back to 'queued' (at-least-once: such a message may
 * be sent twice, never lost). cfg is borrowed: it must outlive the sender
 * (after a reload, hand the new one over with gw_sender_set_config).
 * Returns NULL with err set on failure.
 */
gw_sender *gw_sender_new(const dd_config *cfg, const char *db_path, dd_err *err);

/* Replaces the borrowed config (SIGHUP); in-flight requests finish with the
 * old URLs, new ones use the new config. */
void gw_sender_set_config(gw_sender *s, const dd_config *cfg);

/*
 * One turn of about timeout_ms (it waits on the network, so the caller's
 * loop needs no sleep of its own): gives up rows older than [gateway]
 * give_up_after; claims due outbox rows (respecting pacing, paused channels
 * and open circuit breakers) and pending media attachments, every 200 ms or
 * so within the turn; starts their requests; drives all transfers; records
 * each completion in the database. Returns after at most timeout_ms plus
 * one database write.
 */
void gw_sender_tick(gw_sender *s, int timeout_ms);

/* Number of requests (sends and downloads) in flight. */
int gw_sender_in_flight(const gw_sender *s);

/* For shutdown (SIGTERM): claims nothing new, drives in-flight requests
 * for up to timeout_ms (returning as soon as none is left) and records
 * their results. Then call gw_sender_free. */
void gw_sender_drain(gw_sender *s, int timeout_ms);

/* Counters since gw_sender_new (for /metrics). */
typedef struct gw_sender_stats {
	uint64_t sent, retried, failed, gave_up, templates;
	uint64_t media_stored, media_failed;
	uint64_t latency_ms_sum, latency_count; /* send latency, per sent row */
	int in_flight;
} gw_sender_stats;
void gw_sender_get_stats(const gw_sender *s, gw_sender_stats *out);

/* Finishes nothing: aborts in-flight requests and puts their rows back in
 * the queue, due at once (they may have reached the messenger: at least
 * once), leaves their attachments pending; closes; sets *s to NULL. */
void gw_sender_free(gw_sender **s);

#endif
