/* Shared helpers for the unit tests: scratch folders and databases. */
#ifndef DUTYDESK_TESTUTIL_H
#define DUTYDESK_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "dutydesk/db.h"
#include "dutydesk/user.h"

/* A new empty folder under $TMPDIR (removed at exit). Caller frees. */
char *dd_test_tmpdir(void);
/* The path of a fresh, migrated database file in a new scratch folder. */
char *dd_test_db_path(void);
/* Opens a fresh, migrated database. */
dd_db *dd_test_db(void);
/* An actor with the given role, added to users (login "t_<role>"). */
dd_actor dd_test_actor(dd_db *db, dd_role role);
dd_actor dd_test_admin(dd_db *db);
/* Two districts (D1, D2), three officers (B1 and B2 in D1 with phone and
 * Telegram, B3 in D2 without any contact), a KSK in D1 with a verified
 * reporter (phone 77010000001). */
void dd_test_city(dd_db *db);
/* Runs one SQL statement returning one integer (or text as *text). */
int64_t dd_test_int(dd_db *db, const char *sql, ...);
char *dd_test_text(dd_db *db, const char *sql, ...);
/* Runs SQL directly (bypassing the core), failing the test on error. */
void dd_test_exec(dd_db *db, const char *sql);

#endif
