/* CSV imports of the city's registries: every row or none. */
#ifndef DUTYDESK_IMPORT_H
#define DUTYDESK_IMPORT_H

#include "dutydesk/user.h"

/* X(enum, name, header columns (required ones first; optional after '|')) */
#define DD_IMPORT_KINDS(X)                                                             \
	X(DD_IMPORT_DISTRICTS, "districts", "code,name|supervisor")                    \
	X(DD_IMPORT_OFFICERS, "officers", "badge,name|rank,phone,telegram_id,district,supervisor,active") \
	X(DD_IMPORT_ORGS, "orgs", "kind,name|address,district")                        \
	X(DD_IMPORT_REPORTERS, "reporters", "name|phone,telegram_id,org,org_kind,verified") \
	X(DD_IMPORT_USERS, "users", "login,role|name")                                 \
	X(DD_IMPORT_SHIFTS, "shifts", "badge,starts,ends")                             \
	X(DD_IMPORT_STOLEN, "stolen", "case_no,item|serial,description,reported,district")

typedef enum {
#define X(e, n, c) e,
	DD_IMPORT_KINDS(X)
#undef X
	DD_IMPORT_COUNT
} dd_import_kind;

/* Returns -1 for an unknown kind. */
int dd_import_kind_parse(const char *name);
const char *dd_import_kind_name(dd_import_kind k);
/* The header line the kind expects, e.g. "code,name[,supervisor]". */
const char *dd_import_kind_columns(dd_import_kind k);

/*
 * Imports the CSV file at path ("-": standard input) as kind, acting as
 * actor (admin required, else DD_EPERM). Checks every row; on any problem
 * imports nothing, appends one "FILE:LINE: what is wrong" line per problem
 * (at most 50, then "... and N more") to problems (may be NULL) and returns
 * DD_EINVAL with err saying "FILE: N problems; nothing was imported". On
 * success *rows gets the number of rows written (inserted or updated by
 * natural key) and one "import" audit event records kind, rows and file.
 *
 * The header names the columns in any order and case; values are trimmed.
 * Natural keys: districts code; officers badge (phone and telegram_id are
 * unique too); orgs kind + name; reporters phone, else telegram_id (one is
 * needed); users login; shifts badge + starts; stolen case_no + item + serial.
 * A key repeated within the file is a problem naming the first line.
 * Phones: 10-15 digits, '+', spaces, '-', '(' and ')' allowed; stored as
 * digits only, "8" + 10 digits becoming "7" + 10 digits (Kazakhstan, Russia).
 * Yes/no columns: 1/0, yes/no, true/false, y/n, да/нет, иә/жоқ. Times as
 * dd_time_parse. Districts' supervisor is an existing officer's badge;
 * officers' supervisor says whether the officer is one.
 * For districts and officers, a column left out of the header keeps what is
 * stored for an existing row (defaults for a new one); an empty cell clears it.
 * Users keep their name when it is empty or left out. For orgs, reporters
 * and stolen items a left-out optional column is written as empty.
 * Other failures (database, file) return their own status with nothing
 * imported.
 */
dd_status dd_import_csv(dd_db *db, const dd_actor *actor, dd_import_kind kind, const char *path,
			size_t *rows, struct dd_buf *problems, dd_err *err);

#endif
