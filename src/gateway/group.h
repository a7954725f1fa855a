/*
 * Group commit for the webhook server: bodies that arrive together are
 * stored in one transaction, and each is answered after that commit.
 *
 * The threads that submit at the same time form a batch; one of them (the
 * leader) stores the whole batch on its own connection, each body under a
 * savepoint, and commits once; the others wait for that commit. When one
 * body fails the database, the batch is undone and every body stored again
 * on its own, so one body's failure is never another's; when the shared
 * transaction cannot start or commit (locked, read-only, disk full), all
 * fail at once with that error.
 */
#ifndef DUTYDESK_GATEWAY_GROUP_H
#define DUTYDESK_GATEWAY_GROUP_H

#include "ingest.h"

typedef struct gw_group gw_group;

/* max_batch: the most bodies in one transaction (1: no grouping). */
gw_group *gw_group_new(int max_batch);
void gw_group_free(gw_group **g);

/* As gw_ingest, the body stored in a transaction it may share; db is this
 * thread's connection, used when this thread leads the batch. Returns once
 * the body's transaction committed or failed. */
dd_status gw_group_ingest(gw_group *g, dd_db *db, const char *channel, const char *body,
			  size_t len, int join_window_s, gw_ingest_out *out, dd_err *err);

/* Bodies submitted and not yet answered (for tests). */
int gw_group_pending(gw_group *g);

#endif
