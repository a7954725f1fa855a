/* The city: districts, officers, organisations, reporters, shifts, and the
 * registry of stolen property. Writers ("put") insert or update by natural
 * key and are meant to run inside a transaction (dd_db_begin). */
#ifndef DUTYDESK_REGISTRY_H
#define DUTYDESK_REGISTRY_H

#include "dutydesk/db.h"

typedef struct dd_district {
	int64_t id;
	char *code, *name;
	char *supervisor_badge, *supervisor_name; /* NULL when none */
	int officers;   /* active officers */
	int open;       /* open reports */
} dd_district;

typedef struct dd_officer {
	int64_t id;
	char *badge, *name, *rank;
	char *phone;            /* NULL when none */
	int64_t telegram_id;    /* 0 when none */
	char *district;         /* code; NULL when none */
	bool supervisor, active, on_duty;
	int open;               /* open reports assigned */
} dd_officer;

typedef enum { DD_ORG_KSK, DD_ORG_PAWNSHOP, DD_ORG_BOOKMAKER, DD_ORG_OTHER } dd_org_kind;
const char *dd_org_kind_name(dd_org_kind k);
/* Returns -1 for an unknown kind. */
int dd_org_kind_parse(const char *s);

typedef struct dd_org {
	int64_t id;
	dd_org_kind kind;
	char *name, *address;
	char *district; /* code or NULL */
} dd_org;

typedef struct dd_reporter {
	int64_t id;
	char *name;
	char *phone;          /* NULL when none */
	int64_t telegram_id;  /* 0 when none */
	char *org;            /* organisation name or NULL */
	char *district;       /* the organisation's district code or NULL */
	bool verified;
	int reports;
} dd_reporter;

/* Writers: look up references by natural key; fail with DD_ENOTFOUND naming
 * the missing one ("district 'X' does not exist"). *id (may be NULL) gets the
 * row's id. */
dd_status dd_district_put(dd_db *db, const char *code, const char *name,
			  const char *supervisor_badge, int64_t *id, dd_err *err);
dd_status dd_officer_put(dd_db *db, const dd_officer *o, int64_t *id, dd_err *err);
dd_status dd_org_put(dd_db *db, const dd_org *o, int64_t *id, dd_err *err);
/* r->org names an organisation; org_kind narrows it when names repeat
 * across kinds (-1: any kind, must then be unambiguous). Keyed by phone, else
 * by telegram id. */
dd_status dd_reporter_put(dd_db *db, const dd_reporter *r, int org_kind, int64_t *id,
			  dd_err *err);
dd_status dd_shift_put(dd_db *db, const char *badge, int64_t starts_at, int64_t ends_at,
		       dd_err *err);
dd_status dd_stolen_put(dd_db *db, const char *case_no, const char *item, const char *serial,
			const char *description, int64_t reported_at, const char *district,
			dd_err *err);

/* Readers. Lists are freed with their _free function. */
dd_status dd_district_list(dd_db *db, dd_district **out, size_t *n, dd_err *err);
void dd_district_list_free(dd_district **list, size_t n);
/* district NULL: all officers. On duty: inside a shift now, or, when the
 * officer has no shifts at all, active. */
dd_status dd_officer_list(dd_db *db, const char *district, dd_officer **out, size_t *n,
			  dd_err *err);
void dd_officer_list_free(dd_officer **list, size_t n);
/* key is the officer's id ("#12" or "12" when no badge is "12") or badge. */
dd_status dd_officer_find(dd_db *db, const char *key, dd_officer *out, dd_err *err);
void dd_officer_clear(dd_officer *o);
dd_status dd_reporter_list(dd_db *db, bool unverified_only, dd_reporter **out, size_t *n,
			   dd_err *err);
void dd_reporter_list_free(dd_reporter **list, size_t n);
/* Finds a district id by code; DD_ENOTFOUND when none. */
dd_status dd_district_id(dd_db *db, const char *code, int64_t *id, dd_err *err);
/* Writes phone as stored (digits, country code first: "+7 (701) 123-45-67"
 * and "8 701 123 45 67" both give 77011234567); false when it is not a
 * phone number (10 to 15 digits). */
bool dd_phone_normalize(const char *phone, char out[16]);
/* Is code a known category? */
bool dd_category_exists(dd_db *db, const char *code);

#endif
