#include <config.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_internal.h"
#include "pattern_sql.h"
#include "dutydesk/clock.h"

#define BUSY_TIMEOUT_MS 5000

int dd_db_current_version(void)
{
	return dd_nmigrations;
}

const char *dd_db_path(const dd_db *db)
{
	return db->path;
}

dd_status dd_db_error(dd_db *db, dd_err *err, const char *what)
{
	int code = sqlite3_extended_errcode(db->h);
	const char *msg = sqlite3_errmsg(db->h);
	switch (code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return dd_fail(err, DD_EBUSY,
			       _("%s: the database %s stayed locked by another program for %d s; try again"),
			       what, db->path, BUSY_TIMEOUT_MS / 1000);
	case SQLITE_READONLY:
		return dd_fail(err, DD_EDB,
			       _("%s: the database %s is read-only (check the file's and its folder's permissions)"),
			       what, db->path);
	case SQLITE_FULL:
		return dd_fail(err, DD_EIO, _("%s: the disk holding %s is full; nothing was changed"),
			       what, db->path);
	case SQLITE_CONSTRAINT:
		return dd_fail(err, DD_EINVAL, _("%s: %s"), what, msg);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return dd_fail(err, DD_EDB, _("%s: %s is not a valid dutydesk database (%s)"),
			       what, db->path, msg);
	default:
		return dd_fail(err, DD_EDB, _("%s: %s"), what, msg);
	}
}

/* A cached statement, as new: reset, no bindings. */
static sqlite3_stmt *reused(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static sqlite3_stmt *prepare(dd_db *db, const char *sql, dd_err *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		dd_db_error(db, err, _("preparing a query"));
		return NULL;
	}
	return st;
}

sqlite3_stmt *dd_stmt(dd_db *db, const char *sql, dd_err *err)
{
	for (size_t i = 0; i < db->nstmts; i++)
		if (db->stmts[i].sql == sql)
			return reused(db->stmts[i].st);
	sqlite3_stmt *st = prepare(db, sql, err);
	if (!st)
		return NULL;
	if (db->nstmts == db->capstmts) {
		db->capstmts = db->capstmts ? db->capstmts * 2 : 32;
		db->stmts = dd_xrealloc(db->stmts, db->capstmts * sizeof *db->stmts);
	}
	db->stmts[db->nstmts++] = (struct stmt_slot){sql, st};
	return st;
}

sqlite3_stmt *dd_stmt_built(dd_db *db, const char *sql, dd_err *err)
{
	for (size_t i = 0; i < db->nbuilt; i++)
		if (strcmp(db->built[i].sql, sql) == 0)
			return reused(db->built[i].st);
	sqlite3_stmt *st = prepare(db, sql, err);
	if (!st)
		return NULL;
	if (db->nbuilt == 64) { /* unlikely: forget the oldest shape */
		free((char *)db->built[0].sql);
		sqlite3_finalize(db->built[0].st);
		memmove(db->built, db->built + 1, --db->nbuilt * sizeof *db->built);
	}
	if (db->nbuilt == db->capbuilt) {
		db->capbuilt = db->capbuilt ? db->capbuilt * 2 : 8;
		db->built = dd_xrealloc(db->built, db->capbuilt * sizeof *db->built);
	}
	db->built[db->nbuilt++] = (struct stmt_slot){dd_xstrdup(sql), st};
	return st;
}

static void bind_claim(sqlite3_stmt *st, const char *key, int64_t now, size_t limit)
{
	dd_bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, limit > INT32_MAX ? INT32_MAX : (int64_t)limit);
}

dd_status dd_claim_due(dd_db *db, const char *any, const char *pick, const char *mark,
		       const char *key, int64_t now, size_t limit, int64_t mark_value,
		       int64_t (*row)(sqlite3_stmt *st, void *arg), void *arg,
		       const char *reading, const char *claiming, dd_err *err)
{
	if (limit == 0)
		return DD_OK;
	sqlite3_stmt *st = dd_stmt(db, any, err);
	if (!st)
		return err ? err->status : DD_EDB;
	bind_claim(st, key, now, limit);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return DD_OK;
	if (rc != SQLITE_ROW)
		return dd_db_error(db, err, reading);
	dd_status s = dd_db_begin(db, err);
	if (s)
		return s;
	int64_t *ids = NULL;
	size_t nids = 0, cap = 0;
	if (!(st = dd_stmt(db, pick, err))) {
		s = err ? err->status : DD_EDB;
		goto fail;
	}
	bind_claim(st, key, now, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*(int64_t *)dd_vec_push(&ids, &nids, &cap, sizeof *ids) = row(st, arg);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		s = dd_db_error(db, err, reading);
		goto fail;
	}
	for (size_t i = 0; i < nids; i++) {
		sqlite3_stmt *up = dd_stmt(db, mark, err);
		if (!up) {
			s = err ? err->status : DD_EDB;
			goto fail;
		}
		sqlite3_bind_int64(up, 1, ids[i]);
		sqlite3_bind_int64(up, 2, mark_value);
		if ((s = dd_step_done(db, up, err, claiming)))
			goto fail;
	}
	free(ids);
	return dd_db_commit(db, err);
fail:
	free(ids);
	dd_db_rollback(db);
	return s;
}

dd_status dd_report_row(dd_db *db, const char *sql, int64_t id, sqlite3_stmt **out,
			dd_err *err)
{
	sqlite3_stmt *st = *out = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return DD_OK;
	*out = NULL;
	dd_status s = rc == SQLITE_DONE
		? dd_fail(err, DD_ENOTFOUND, _("no report #%lld"), (long long)id)
		: dd_db_error(db, err, _("reading the report"));
	sqlite3_reset(st);
	return s;
}

dd_status dd_step_done(dd_db *db, sqlite3_stmt *st, dd_err *err, const char *what)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		sqlite3_reset(st);
		return DD_OK;
	}
	dd_status s = dd_db_error(db, err, what);
	sqlite3_reset(st);
	return s;
}

void dd_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void dd_bind_id(sqlite3_stmt *st, int i, int64_t id)
{
	if (id)
		sqlite3_bind_int64(st, i, id);
	else
		sqlite3_bind_null(st, i);
}

char *dd_col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? dd_xstrdup((const char *)s) : NULL;
}

static int pragma_int(dd_db *db, const char *sql)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int dd_db_version(dd_db *db)
{
	return pragma_int(db, "PRAGMA user_version");
}

int64_t dd_db_data_version(dd_db *db)
{
	return pragma_int(db, "PRAGMA data_version");
}

static dd_status rolled_back(dd_db *db, dd_err *err)
{
	return dd_fail(err, DD_EDB,
		       _("the change in %s was rolled back by the database after an error; "
			 "nothing of it was saved"),
		       db->path);
}

dd_status dd_db_join(dd_db *db, bool *own, dd_err *err)
{
	*own = db->depth == 0;
	if (*own)
		return dd_db_begin(db, err);
	if (sqlite3_get_autocommit(db->h))
		return rolled_back(db, err);
	return DD_OK;
}

dd_status dd_db_begin(dd_db *db, dd_err *err)
{
	if (db->readonly)
		return dd_fail(err, DD_EDB,
			       _("the database %s is open read-only (check the file's and its folder's "
				 "permissions); nothing was changed"),
			       db->path);
	if (db->depth > 0) {
		/* SQLite rolled the outer change back by itself (an I/O error, say):
		 * going on would write outside it */
		if (sqlite3_get_autocommit(db->h))
			return rolled_back(db, err);
		/* inside a change: a savepoint, undone alone by dd_db_rollback */
		if (sqlite3_exec(db->h, "SAVEPOINT dd_nested", NULL, NULL, NULL) != SQLITE_OK)
			return dd_db_error(db, err, _("starting a change"));
		db->depth++;
		return DD_OK;
	}
	if (sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return dd_db_error(db, err, _("starting a change"));
	db->depth = 1;
	return DD_OK;
}

dd_status dd_db_commit(dd_db *db, dd_err *err)
{
	if (db->depth > 1) {
		db->depth--;
		if (sqlite3_get_autocommit(db->h))
			return rolled_back(db, err);
		if (sqlite3_exec(db->h, "RELEASE dd_nested", NULL, NULL, NULL) != SQLITE_OK)
			return dd_db_error(db, err, _("saving the change"));
		return DD_OK;
	}
	db->depth = 0;
	if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		dd_status s = dd_db_error(db, err, _("saving the change"));
		dd_db_rollback(db);
		return s;
	}
	return DD_OK;
}

void dd_db_rollback(dd_db *db)
{
	if (db->depth > 1) {
		db->depth--;
		if (!sqlite3_get_autocommit(db->h))
			sqlite3_exec(db->h, "ROLLBACK TO dd_nested; RELEASE dd_nested", NULL, NULL,
				     NULL);
		return;
	}
	db->depth = 0;
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

dd_status dd_db_migrate(dd_db *db, int target, dd_err *err)
{
	if (target > dd_nmigrations)
		target = dd_nmigrations;
	dd_status s = dd_db_begin(db, err);
	if (s)
		return s;
	/* Read inside the write lock: another process may have just migrated. */
	int v = dd_db_version(db);
	if (v > dd_nmigrations) {
		dd_db_rollback(db);
		return dd_fail(err, DD_ENEWER,
			       _("the database %s has schema version %d, written by a newer dutydesk; "
				 "this dutydesk (%s) knows up to version %d: upgrade dutydesk"),
			       db->path, v, PACKAGE_VERSION, dd_nmigrations);
	}
	for (; v < target; v++) {
		char *msg = NULL;
		if (sqlite3_exec(db->h, dd_migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
			dd_fail(err, DD_EDB, _("migrating %s to schema version %d: %s"), db->path, v + 1,
				msg ? msg : sqlite3_errmsg(db->h));
			sqlite3_free(msg);
			dd_db_rollback(db);
			return err ? err->status : DD_EDB;
		}
		char pragma[48];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
		sqlite3_exec(db->h, pragma, NULL, NULL, NULL);
	}
	return dd_db_commit(db, err);
}

static void make_parent_dir(const char *path)
{
	char *dir = dd_xstrdup(path);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0750);
		*p = '/';
	}
	free(dir);
}

/*
 * A WAL database closed cleanly (no -wal, no -shm beside it) in a folder we
 * may not write cannot be read: SQLite must create the -shm file. Nobody is
 * writing it then (a writer would have made those files), so it is opened
 * as an immutable snapshot instead. Returns true when that worked.
 */
static bool reopen_immutable(dd_db *db, const char *path)
{
	char *wal = dd_xasprintf("%s-wal", path), *shm = dd_xasprintf("%s-shm", path);
	struct stat sb;
	bool quiet = stat(wal, &sb) != 0 && stat(shm, &sb) != 0;
	free(wal);
	free(shm);
	if (!quiet)
		return false;
	char *uri = sqlite3_mprintf("file:%s?immutable=1", path);
	sqlite3 *h = NULL;
	int rc = uri ? sqlite3_open_v2(uri, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
						 SQLITE_OPEN_NOMUTEX, NULL) : SQLITE_NOMEM;
	sqlite3_free(uri);
	if (rc != SQLITE_OK) {
		sqlite3_close(h);
		return false;
	}
	sqlite3_close(db->h);
	db->h = h;
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	dd_fold_register(db->h);
	return pragma_int(db, "PRAGMA schema_version") >= 0;
}

dd_status dd_db_open(dd_db **out, const char *path, unsigned flags, dd_err *err)
{
	*out = NULL;
	struct stat sb;
	bool exists = stat(path, &sb) == 0;
	if (!exists && !(flags & DD_DB_CREATE))
		return dd_fail(err, DD_ENOTFOUND,
			       _("no database at %s; create one with 'dutydesk init' (or 'dutydesk demo')"),
			       path);
	if (exists && !S_ISREG(sb.st_mode))
		return dd_fail(err, DD_EIO, _("%s is not a regular file"), path);
	if (!exists)
		make_parent_dir(path);

	dd_db *db = dd_xcalloc(1, sizeof *db);
	db->path = dd_xstrdup(path);
	db->readonly = flags & DD_DB_READONLY;
	int oflags = db->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (flags & DD_DB_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &db->h, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		dd_fail(err, DD_EDB, _("cannot open the database %s: %s"), path,
			db->h ? sqlite3_errmsg(db->h) : strerror(errno));
		dd_db_close(&db);
		return err ? err->status : DD_EDB;
	}
	if (!db->readonly && sqlite3_db_readonly(db->h, "main") == 1)
		db->readonly = true;
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(db->h, 1);
	/* the fold limit patterns match names with (pattern_sql.h); fails
	 * only when memory runs out, and a query using it then says so */
	dd_fold_register(db->h);

	dd_status s = DD_OK;
	if (pragma_int(db, "PRAGMA schema_version") < 0 &&
	    !(db->readonly && reopen_immutable(db, path))) {
		s = dd_db_error(db, err, _("reading the database"));
		goto fail;
	}
	int v = dd_db_version(db);
	if (v > dd_nmigrations) {
		s = dd_fail(err, DD_ENEWER,
			    _("the database %s has schema version %d, written by a newer dutydesk; "
			      "this dutydesk (%s) knows up to version %d: upgrade dutydesk"),
			    path, v, PACKAGE_VERSION, dd_nmigrations);
		goto fail;
	}
	if (!db->readonly) {
		char *msg = NULL;
		if (sqlite3_exec(db->h, "PRAGMA journal_mode = WAL", NULL, NULL, &msg) != SQLITE_OK) {
			s = dd_fail(err, DD_EDB, _("cannot use %s: %s"), path, msg);
			sqlite3_free(msg);
			goto fail;
		}
		sqlite3_exec(db->h, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	}
	sqlite3_exec(db->h, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	if (flags & DD_DB_WRITER)
		sqlite3_exec(db->h, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
	if (v < dd_nmigrations) {
		if (db->readonly) {
			s = dd_fail(err, DD_EDB,
				    _("the database %s has schema version %d and needs migrating to %d, "
				      "but it is read-only; run 'dutydesk init' as its owner"),
				    path, v, dd_nmigrations);
			goto fail;
		}
		if ((s = dd_db_migrate(db, dd_nmigrations, err)))
			goto fail;
	}
	*out = db;
	return DD_OK;
fail:
	dd_db_close(&db);
	return s;
}

void dd_db_close(dd_db **dbp)
{
	dd_db *db = *dbp;
	if (!db)
		return;
	for (size_t i = 0; i < db->nstmts; i++)
		sqlite3_finalize(db->stmts[i].st);
	free(db->stmts);
	for (size_t i = 0; i < db->nbuilt; i++) {
		sqlite3_finalize(db->built[i].st);
		free((char *)db->built[i].sql);
	}
	free(db->built);
	if (db->h)
		sqlite3_close(db->h);
	free(db->path);
	free(db);
	*dbp = NULL;
}

char *dd_setting_get(dd_db *db, const char *key)
{
	static const char sql[] = "SELECT value FROM settings WHERE key = ?";
	sqlite3_stmt *st = dd_stmt(db, sql, NULL);
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	char *v = sqlite3_step(st) == SQLITE_ROW ? dd_col_strdup(st, 0) : NULL;
	sqlite3_reset(st);
	return v;
}

dd_status dd_setting_set(dd_db *db, const char *key, const char *value, dd_err *err)
{
	static const char sql[] = "INSERT INTO settings(key, value) VALUES (?, ?) "
				  "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return dd_step_done(db, st, err, _("saving a setting"));
}

dd_status dd_db_check(dd_db *db, dd_buf *report, dd_err *err)
{
	dd_status s = DD_OK;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
		return dd_db_error(db, err, _("checking the database"));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		if (r && strcmp(r, "ok") != 0) {
			dd_buf_printf(report, _("database: %s\n"), r);
			s = DD_EDB;
		}
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db->h, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
		return dd_db_error(db, err, _("checking the database"));
	while (sqlite3_step(st) == SQLITE_ROW) {
		dd_buf_printf(report, _("database: row %lld of %s points to a missing row of %s\n"),
			      (long long)sqlite3_column_int64(st, 1),
			      (const char *)sqlite3_column_text(st, 0),
			      (const char *)sqlite3_column_text(st, 2));
		s = DD_EDB;
	}
	sqlite3_finalize(st);
	if (s)
		dd_fail(err, s, _("the database has problems"));
	return s;
}
