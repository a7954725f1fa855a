/* The database: opening, schema migrations, transactions, settings. */
#ifndef DUTYDESK_DB_H
#define DUTYDESK_DB_H

#include "dutydesk/common.h"

typedef struct dd_db dd_db;

enum {
	DD_DB_CREATE = 1 << 0,   /* create the file when missing */
	DD_DB_READONLY = 1 << 1, /* never write, never migrate */
	/* many small writes, savepoints in a shared change (group commit): temporary
	 * journals in memory, not in files; not for big sorts (export) */
	DD_DB_WRITER = 1 << 2,
};

/* The schema version this build writes (PRAGMA user_version). */
int dd_db_current_version(void);

/*
 * Opens path, sets WAL, foreign keys and a busy timeout, and migrates an older
 * schema to the current one (unless DD_DB_READONLY). A database written by a
 * newer dutydesk is refused with DD_ENEWER naming both versions; a missing
 * file without DD_DB_CREATE is DD_ENOTFOUND.
 */
dd_status dd_db_open(dd_db **out, const char *path, unsigned flags, dd_err *err);
void dd_db_close(dd_db **db);
const char *dd_db_path(const dd_db *db);
int dd_db_version(dd_db *db);

/* Migrates to version target (<= current); for tests and `init`. */
dd_status dd_db_migrate(dd_db *db, int target, dd_err *err);

/* Write transactions: BEGIN IMMEDIATE with the busy timeout. They nest:
 * inside a change, begin opens a savepoint that commit releases and
 * rollback undoes alone; only the outermost commit writes. */
dd_status dd_db_begin(dd_db *db, dd_err *err);
/* For a step that joins its caller's change or makes its own: begins one
 * when there is none (*own true: the step commits or rolls back), joins
 * the caller's otherwise. Fails, writing nothing, when SQLite rolled the
 * caller's change back by itself after an error. */
dd_status dd_db_join(dd_db *db, bool *own, dd_err *err);
dd_status dd_db_commit(dd_db *db, dd_err *err);
void dd_db_rollback(dd_db *db);

/* Changes whenever another connection commits (for live views). */
int64_t dd_db_data_version(dd_db *db);

/* Settings: small key/value pairs kept in the database. get returns a new
 * string or NULL. */
char *dd_setting_get(dd_db *db, const char *key);
dd_status dd_setting_set(dd_db *db, const char *key, const char *value, dd_err *err);

/* Integrity: PRAGMA quick_check and foreign_key_check; appends problems. */
dd_status dd_db_check(dd_db *db, struct dd_buf *report, dd_err *err);

#endif
