/* Group commit: see group.h. A leader/follower queue under one mutex. */
#include <config.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "metrics.h"

struct item {
	const char *channel, *body;
	size_t len;
	int window;
	gw_ingest_out *out;
	dd_err *err;
	dd_status st;
	bool done;
	struct item *next;
};

struct gw_group {
	pthread_mutex_t lock;
	pthread_cond_t done; /* a batch finished */
	struct item *head, **tail;
	bool leading;        /* a thread is storing a batch */
	int max_batch;
	int pending;         /* submitted, not yet done */
};

gw_group *gw_group_new(int max_batch)
{
	gw_group *g = dd_xcalloc(1, sizeof *g);
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->done, NULL);
	g->tail = &g->head;
	g->max_batch = max_batch < 1 ? 1 : max_batch;
	return g;
}

void gw_group_free(gw_group **gp)
{
	gw_group *g = *gp;
	if (!g)
		return;
	pthread_cond_destroy(&g->done);
	pthread_mutex_destroy(&g->lock);
	free(g);
	*gp = NULL;
}

static void alone(dd_db *db, struct item *it)
{
	it->st = gw_ingest(db, it->channel, it->body, it->len, it->window, it->out, it->err);
}

/* The shared transaction could not start or commit: every body of the batch
 * fails with e, and what their outs say did not happen. (A body already
 * refused as unusable keeps its DD_EINVAL: nothing of it was to be written.) */
static void fail_all(struct item *batch, const dd_err *e)
{
	for (struct item *it = batch; it; it = it->next) {
		if (it->st == DD_EINVAL)
			continue;
		gw_ingest_out_free(it->out);
		it->st = e->status ? e->status : DD_EDB;
		if (it->err)
			*it->err = *e;
	}
}

/* Stores n items in one transaction. When one of them fails the database,
 * the batch is undone and each stored again alone; when the transaction
 * itself cannot start or commit (locked past the busy timeout, read-only,
 * disk full), all fail at once: alone, each would wait and fail the same
 * way, one after another. Returns the transactions that stored bodies. */
static int store(dd_db *db, struct item *batch, int n)
{
	if (n == 1) {
		alone(db, batch);
		return batch->st == DD_OK;
	}
	dd_err berr = {0};
	if (dd_db_begin(db, &berr)) {
		fail_all(batch, &berr);
		return 0;
	}
	bool failed = false;
	for (struct item *it = batch; it && !failed; it = it->next) {
		alone(db, it);
		/* DD_EINVAL: the body was unusable; nothing of it was written */
		if (it->st && it->st != DD_EINVAL)
			failed = true;
	}
	if (!failed) {
		if (dd_db_commit(db, &berr) == DD_OK)
			return 1;
		fail_all(batch, &berr);
		return 0;
	}
	dd_db_rollback(db);
	int commits = 0;
	for (struct item *it = batch; it; it = it->next) {
		gw_ingest_out_free(it->out);
		if (it->err)
			memset(it->err, 0, sizeof *it->err);
		alone(db, it);
		commits += it->st == DD_OK;
	}
	return commits;
}

dd_status gw_group_ingest(gw_group *g, dd_db *db, const char *channel, const char *body,
			  size_t len, int join_window_s, gw_ingest_out *out, dd_err *err)
{
	struct item me = {.channel = channel, .body = body, .len = len,
			  .window = join_window_s, .out = out, .err = err};
	pthread_mutex_lock(&g->lock);
	*g->tail = &me;
	g->tail = &me.next;
	g->pending++;
	while (!me.done) {
		if (g->leading) {
			pthread_cond_wait(&g->done, &g->lock);
			continue;
		}
		/* lead: take up to max_batch from the front (this one is in it,
		 * or it was taken by an earlier leader and is done) */
		g->leading = true;
		struct item *batch = g->head, *last = batch;
		int n = 1;
		while (n < g->max_batch && last->next) {
			last = last->next;
			n++;
		}
		g->head = last->next;
		if (!g->head)
			g->tail = &g->head;
		last->next = NULL;
		pthread_mutex_unlock(&g->lock);

		int commits = store(db, batch, n);

		pthread_mutex_lock(&g->lock);
		gw_metrics_add("dutydesk_webhook_bodies_total", NULL, n);
		gw_metrics_add("dutydesk_webhook_commits_total", NULL, commits);
		for (struct item *it = batch, *next; it; it = next) {
			next = it->next; /* the waiting thread may leave once done */
			it->done = true;
			g->pending--;
		}
		g->leading = false;
		pthread_cond_broadcast(&g->done);
	}
	pthread_mutex_unlock(&g->lock);
	return me.st;
}

int gw_group_pending(gw_group *g)
{
	pthread_mutex_lock(&g->lock);
	int n = g->pending;
	pthread_mutex_unlock(&g->lock);
	return n;
}
