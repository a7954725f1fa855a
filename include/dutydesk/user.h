/* Who is acting: Unix logins with roles, officers answering by messenger. */
#ifndef DUTYDESK_USER_H
#define DUTYDESK_USER_H

#include "dutydesk/db.h"

/* X(enum, name): in order of power; each role may do what those before it may. */
#define DD_ROLE_LIST(X)                         \
	X(DD_ROLE_NONE, "none")                 \
	X(DD_ROLE_OBSERVER, "observer")         \
	X(DD_ROLE_DISPATCHER, "dispatcher")     \
	X(DD_ROLE_SUPERVISOR, "supervisor")     \
	X(DD_ROLE_ADMIN, "admin")

typedef enum {
#define X(e, n) e,
	DD_ROLE_LIST(X)
#undef X
} dd_role;

const char *dd_role_name(dd_role r);
/* Returns DD_ROLE_NONE for an unknown name. */
dd_role dd_role_parse(const char *name);

typedef enum {
	DD_ACTOR_USER,    /* a Unix login at a console or the CLI */
	DD_ACTOR_OFFICER, /* an officer answering through a messenger */
	DD_ACTOR_SYSTEM,  /* the gateway's timers, the demo */
	DD_ACTOR_SENDER,  /* whoever wrote a message ("whatsapp:77011234567") */
} dd_actor_kind;

typedef struct dd_actor {
	dd_actor_kind kind;
	int64_t id;       /* users.id or officers.id; 0 for an unknown login */
	dd_role role;
	char login[64];   /* the Unix login, the officer's badge, or "system" */
	char name[128];
} dd_actor;

/* The Unix login of the effective user (getpwuid(geteuid())). */
const char *dd_current_login(void);
/* Looks login up; an unknown login gets DD_ROLE_NONE (may read, not act). */
dd_status dd_actor_for_login(dd_db *db, const char *login, dd_actor *out, dd_err *err);
dd_actor dd_actor_system(void);
/* "user:ivanov", "officer:1234", "sender:whatsapp:7701...", "system": the
 * actor as stored in events. */
void dd_actor_label(const dd_actor *a, char *buf, size_t size);

/* Fails with DD_EPERM and a message saying what role is needed and how an
 * admin grants it. */
dd_status dd_require_role(const dd_actor *a, dd_role need, const char *what, dd_err *err);

/* Adds login or changes its role and name (name NULL keeps it). Needs admin,
 * except on a database with no users yet (the first user). */
dd_status dd_user_add(dd_db *db, const dd_actor *by, const char *login, dd_role role,
		      const char *name, dd_err *err);
/* Adds login as admin when the database has no users at all. Returns DD_OK
 * and *added says whether it did. */
dd_status dd_user_bootstrap(dd_db *db, const char *login, bool *added, dd_err *err);

typedef struct dd_user {
	int64_t id;
	char *login, *name;
	dd_role role;
	int64_t created_at;
} dd_user;
dd_status dd_user_list(dd_db *db, dd_user **out, size_t *n, dd_err *err);
void dd_user_list_free(dd_user **list, size_t n);

#endif
