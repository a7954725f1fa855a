/* A synthetic city shaped like a real one, for trying dutydesk out. */
#ifndef DUTYDESK_DEMO_H
#define DUTYDESK_DEMO_H

#include "dutydesk/user.h"

typedef struct dd_demo_stats {
	int districts, officers, supervisors, orgs, reporters;
	int64_t reports;
} dd_demo_stats;

/*
 * Fills an empty database in one transaction: 25 districts (PVL-01..25),
 * 122 district officers and a supervisor for each district, shifts around
 * now, 130 housing cooperatives, 20 pawnshops, 10 bookmakers, reporters for
 * half of the cooperatives and for the businesses, and nreports reports
 * over the last 90 days (denser near now), in Russian and some Kazakh,
 * across all categories, statuses and channels. Each report has its
 * "create" event; those of the last two days and the open ones have their
 * whole history, with notes, and the latest assignments have queued
 * notifications. The setting "demo_seed" marks the database as made up:
 * its phone numbers and Telegram ids are random.
 *
 * The same seed gives the same districts, officers and organisations
 * whatever nreports, and the same reports for the same nreports; times are
 * laid back from dd_now_ms(), so with DUTYDESK_NOW pinned the whole
 * database is the same.
 *
 * Refused with DD_EINVAL if the database already holds districts, officers,
 * organisations, reporters or reports (users are fine). progress (may be
 * NULL) is called every 10,000 reports and after the last one. *stats (may be NULL)
 * gets what was made.
 */
dd_status dd_demo_build(dd_db *db, uint64_t seed, int64_t nreports,
			void (*progress)(int64_t done, int64_t total, void *arg), void *arg,
			dd_demo_stats *stats, dd_err *err);

#endif
