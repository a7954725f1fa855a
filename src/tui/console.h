/* The full-screen console: what the command line calls. */
#ifndef DUTYDESK_CONSOLE_H
#define DUTYDESK_CONSOLE_H

#include "dutydesk/config.h"
#include "dutydesk/db.h"
#include "dutydesk/user.h"

struct tui_options {
	bool bell;              /* ring on a new report */
	int overdue_min;        /* an open report older than this is overdue */
	int unassigned_min;     /* a new report unassigned this long stands out */
	const char *keys;       /* "action=key,action=key" rebindings, or NULL */
};

/* Runs the console on db as actor until the user quits. Returns 0, or 1
 * after printing why (the terminal restored first). */
int tui_run(dd_db *db, const dd_actor *actor, const dd_config *cfg, const struct tui_options *opt);

#endif
