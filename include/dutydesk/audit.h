/* The audit trail: append-only events chained by SHA-256. */
#ifndef DUTYDESK_AUDIT_H
#define DUTYDESK_AUDIT_H

#include "dutydesk/user.h"

/*
 * Appends an event inside the caller's transaction. before/after are JSON
 * objects (or NULL). hash = SHA-256 of the previous event's hash and this
 * event's fields, so editing or deleting any event breaks the chain.
 * *id (may be NULL) gets the event's id.
 */
dd_status dd_audit_append(dd_db *db, const dd_actor *actor, int64_t report, const char *action,
			  const char *before, const char *after, int64_t *id, dd_err *err);

/* The same, for history written after the fact (the demo city): the event
 * says it happened at when (UTC ms; 0: now). */
dd_status dd_audit_append_at(dd_db *db, const dd_actor *actor, int64_t report, const char *action,
			     const char *before, const char *after, int64_t when, int64_t *id,
			     dd_err *err);

/* Walks the chain. On a break returns DD_EDB with the first bad event's id
 * in *bad and a message saying what does not match; *checked gets how many
 * events were read. */
dd_status dd_audit_verify(dd_db *db, int64_t *checked, int64_t *bad, dd_err *err);

#endif
