/* A synthetic city shaped like a real one, for trying dutydesk out. */
#ifndef DUTYDESK_DEMO_H
#define DUTYDESK_DEMO_H

#include "dutydesk/user.h"

typedef struct dd_demo_stats {
	int districts, officers, supervisors, orgs, reporters;
	int64_t reports;
} dd_demo_stats;

/*
 * Fills an empty database (refused with DD_EINVAL if it already holds
 * districts or reports): about 25 districts, 122 district officers and their
 * supervisors, 130 housing cooperatives, 20 pawnshops, 10 bookmakers,
 * reporters for half of the cooperatives and for the businesses, and
 * nreports reports in Russian and some Kazakh across all categories and
 * statuses, with their events and notifications. The same seed gives the
 * same city; report times are laid back from dd_now_ms().
 * progress (may be NULL) is called now and then with the reports done.
 */
dd_status dd_demo_build(dd_db *db, uint64_t seed, int64_t nreports,
			void (*progress)(int64_t done, int64_t total, void *arg), void *arg,
			dd_demo_stats *stats, dd_err *err);

#endif
