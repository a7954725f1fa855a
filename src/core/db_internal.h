/* Inside the core only: the connection and its statement cache. */
#ifndef DUTYDESK_DB_INTERNAL_H
#define DUTYDESK_DB_INTERNAL_H

#include <sqlite3.h>
#include "dutydesk/db.h"

struct stmt_slot {
	const char *sql; /* the string literal's address is the key */
	sqlite3_stmt *st;
};

struct dd_db {
	sqlite3 *h;
	char *path;
	bool readonly;
	int depth; /* dd_db_begin nesting: 1 the transaction, more savepoints */
	struct stmt_slot *stmts;
	size_t nstmts, capstmts;
	/* statements built at run time (a page's shape): keyed by their text,
	 * which the slot owns; a few dozen shapes at most */
	struct stmt_slot *built;
	size_t nbuilt, capbuilt;
};

/* Migrations, in order; migration i takes user_version i to i + 1. */
extern const char *const dd_migrations[];
extern const int dd_nmigrations;

/* A prepared statement for the literal sql, reset and with no bindings. */
sqlite3_stmt *dd_stmt(dd_db *db, const char *sql, dd_err *err);
/* The same for SQL built at run time (from fixed fragments, values always
 * bound): cached by its text. Reset, bindings cleared. */
sqlite3_stmt *dd_stmt_built(dd_db *db, const char *sql, dd_err *err);
/* Maps the connection's last error to a status and a message. */
dd_status dd_db_error(dd_db *db, dd_err *err, const char *what);
/* Steps a statement expected to return no row. */
dd_status dd_step_done(dd_db *db, sqlite3_stmt *st, dd_err *err, const char *what);

/*
 * Claims due rows for a worker (the sender, the media downloader): a cheap
 * read first (any: most turns find nothing and take no write lock), then in
 * one BEGIN IMMEDIATE the rows of pick, each read by row() (which keeps it
 * and returns its id), each then marked by mark (?1 id, ?2 mark_value).
 * any and pick get ?1 key (NULL allowed), ?2 now, ?3 limit. On failure
 * nothing is claimed; the caller frees what row() kept.
 */
dd_status dd_claim_due(dd_db *db, const char *any, const char *pick, const char *mark,
		       const char *key, int64_t now, size_t limit, int64_t mark_value,
		       int64_t (*row)(sqlite3_stmt *st, void *arg), void *arg,
		       const char *reading, const char *claiming, dd_err *err);

/* Runs sql, whose one parameter is a report's id, and leaves *st on the
 * report's row for the caller to read and then sqlite3_reset. DD_ENOTFOUND
 * "no report #N" when there is none, or the database's error. */
dd_status dd_report_row(dd_db *db, const char *sql, int64_t id, sqlite3_stmt **st,
			dd_err *err);

/* Binding helpers: NULL or 0-length string, and 0 id, bind NULL. */
void dd_bind_text(sqlite3_stmt *st, int i, const char *s);
void dd_bind_id(sqlite3_stmt *st, int i, int64_t id);
/* A column as a new string, NULL when SQL NULL. */
char *dd_col_strdup(sqlite3_stmt *st, int i);

#endif
