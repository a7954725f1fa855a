#include <config.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_internal.h"
#include "dutydesk/clock.h"
#include "dutydesk/user.h"

static const char *const role_names[] = {
#define X(e, n) n,
	DD_ROLE_LIST(X)
#undef X
};

const char *dd_role_name(dd_role r)
{
	return (size_t)r < sizeof role_names / sizeof *role_names ? role_names[r] : "none";
}

dd_role dd_role_parse(const char *name)
{
	for (size_t i = 1; i < sizeof role_names / sizeof *role_names; i++)
		if (name && strcmp(name, role_names[i]) == 0)
			return (dd_role)i;
	return DD_ROLE_NONE;
}

const char *dd_current_login(void)
{
	static char login[64];
	if (!login[0]) {
		struct passwd *pw = getpwuid(geteuid());
		if (pw && pw->pw_name)
			snprintf(login, sizeof login, "%s", pw->pw_name);
		else
			snprintf(login, sizeof login, "uid%ld", (long)geteuid());
	}
	return login;
}

dd_status dd_actor_for_login(dd_db *db, const char *login, dd_actor *out, dd_err *err)
{
	static const char sql[] = "SELECT id, name, role FROM users WHERE login = ?";
	memset(out, 0, sizeof *out);
	out->kind = DD_ACTOR_USER;
	snprintf(out->login, sizeof out->login, "%s", login);
	snprintf(out->name, sizeof out->name, "%s", login);
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		if (name && *name)
			snprintf(out->name, sizeof out->name, "%s", name);
		out->role = dd_role_parse((const char *)sqlite3_column_text(st, 2));
	} else if (rc != SQLITE_DONE) {
		dd_status s = dd_db_error(db, err, _("looking up the user"));
		sqlite3_reset(st);
		return s;
	}
	sqlite3_reset(st);
	return DD_OK;
}

dd_actor dd_actor_system(void)
{
	dd_actor a = {.kind = DD_ACTOR_SYSTEM, .role = DD_ROLE_ADMIN};
	strcpy(a.login, "system");
	strcpy(a.name, "system");
	return a;
}

void dd_actor_label(const dd_actor *a, char *buf, size_t size)
{
	switch (a->kind) {
	case DD_ACTOR_USER:
		snprintf(buf, size, "user:%s", a->login);
		break;
	case DD_ACTOR_OFFICER:
		snprintf(buf, size, "officer:%s", a->login);
		break;
	case DD_ACTOR_SENDER:
		snprintf(buf, size, "sender:%s", a->login);
		break;
	default:
		snprintf(buf, size, "system");
	}
}

dd_status dd_require_role(const dd_actor *a, dd_role need, const char *what, dd_err *err)
{
	if (a->role >= need)
		return DD_OK;
	if (a->kind == DD_ACTOR_USER && a->role == DD_ROLE_NONE)
		return dd_fail(err, DD_EPERM,
			       _("%s: the login '%s' is not a dutydesk user and may only read; "
				 "an admin can add it with 'dutydesk user add %s dispatcher'"),
			       what, a->login, a->login);
	return dd_fail(err, DD_EPERM, _("%s: needs the role %s; '%s' is %s"), what,
		       dd_role_name(need), a->login, dd_role_name(a->role));
}

static int64_t count_users(dd_db *db)
{
	static const char sql[] = "SELECT count(*) FROM users";
	sqlite3_stmt *st = dd_stmt(db, sql, NULL);
	int64_t n = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return n;
}

static dd_status put_user(dd_db *db, const char *login, dd_role role, const char *name,
			  dd_err *err)
{
	static const char sql[] =
		"INSERT INTO users(login, name, role, created_at) VALUES (?1, coalesce(?2, ''), ?3, ?4) "
		"ON CONFLICT(login) DO UPDATE SET role = ?3, name = coalesce(?2, name)";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	if (name)
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, dd_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, dd_now_ms());
	return dd_step_done(db, st, err, _("saving the user"));
}

static bool login_ok(const char *login)
{
	size_t n = strlen(login);
	if (n == 0 || n > 32)
		return false;
	for (const char *p = login; *p; p++)
		if (!(*p == '_' || *p == '-' || *p == '.' || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

dd_status dd_user_add(dd_db *db, const dd_actor *by, const char *login, dd_role role,
		      const char *name, dd_err *err)
{
	if (!login_ok(login))
		return dd_fail(err, DD_EINVAL,
			       _("'%s' is not a Unix login (letters, digits, '.', '_', '-'; at most 32)"),
			       login);
	if (role == DD_ROLE_NONE)
		return dd_fail(err, DD_EINVAL,
			       _("unknown role; use observer, dispatcher, supervisor or admin"));
	if (count_users(db) > 0) {
		dd_status s = dd_require_role(by, DD_ROLE_ADMIN, _("adding a user"), err);
		if (s)
			return s;
	}
	return put_user(db, login, role, name, err);
}

dd_status dd_user_bootstrap(dd_db *db, const char *login, bool *added, dd_err *err)
{
	*added = false;
	if (count_users(db) != 0)
		return DD_OK;
	dd_status s = put_user(db, login, DD_ROLE_ADMIN, NULL, err);
	if (s == DD_OK)
		*added = true;
	return s;
}

dd_status dd_user_list(dd_db *db, dd_user **out, size_t *n, dd_err *err)
{
	static const char sql[] = "SELECT id, login, name, role, created_at FROM users ORDER BY login";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	size_t cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		dd_user *u = dd_vec_push(out, n, &cap, sizeof **out);
		u->id = sqlite3_column_int64(st, 0);
		u->login = dd_col_strdup(st, 1);
		u->name = dd_col_strdup(st, 2);
		u->role = dd_role_parse((const char *)sqlite3_column_text(st, 3));
		u->created_at = sqlite3_column_int64(st, 4);
	}
	sqlite3_reset(st);
	return DD_OK;
}

void dd_user_list_free(dd_user **list, size_t n)
{
	if (!*list)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*list)[i].login);
		free((*list)[i].name);
	}
	free(*list);
	*list = NULL;
}
