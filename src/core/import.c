/*
 * CSV imports of the city's registries, all rows or none. The whole file runs
 * through the same writers the console uses inside one transaction; every
 * problem is collected on the way, and any problem rolls everything back. The
 * operator then gets the complete list at once, fixes the file and runs it
 * again, instead of meeting one error per attempt or untangling half an import.
 */
#include <config.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>

#include "dutydesk/audit.h"
#include "dutydesk/clock.h"
#include "dutydesk/csv.h"
#include "dutydesk/import.h"
#include "dutydesk/registry.h"
#include "dutydesk/sanitize.h"

#define MAX_PROBLEMS 50 /* lines listed; the rest are only counted */
#define MAX_COLS 16
#define SHOW_MAX 40     /* bytes of a bad value quoted back in a message */

static const struct {
	const char *name;
	const char *spec; /* "required,...|optional,..." */
} kinds[] = {
#define X(e, n, c) {n, c},
	DD_IMPORT_KINDS(X)
#undef X
};

int dd_import_kind_parse(const char *name)
{
	for (int k = 0; name && k < DD_IMPORT_COUNT; k++)
		if (strcasecmp(name, kinds[k].name) == 0)
			return k;
	return -1;
}

const char *dd_import_kind_name(dd_import_kind k)
{
	return (unsigned)k < DD_IMPORT_COUNT ? kinds[k].name : "?";
}

/* A kind's columns, split out of its spec. */
struct columns {
	size_t n, nreq;
	char name[MAX_COLS][24];
};

static void columns_of(dd_import_kind k, struct columns *c)
{
	const char *p = kinds[k].spec;
	bool optional = false;

	memset(c, 0, sizeof *c);
	while (*p && c->n < MAX_COLS) {
		size_t len = strcspn(p, ",|");
		snprintf(c->name[c->n], sizeof c->name[0], "%.*s", (int)len, p);
		c->n++;
		if (!optional)
			c->nreq = c->n;
		p += len;
		if (*p == '|')
			optional = true;
		if (*p)
			p++;
	}
}

const char *dd_import_kind_columns(dd_import_kind k)
{
	/* Built once from the X-macro so that the table stays the only truth. */
	static char built[DD_IMPORT_COUNT][256];

	if ((unsigned)k >= DD_IMPORT_COUNT)
		return "";
	if (!built[k][0]) {
		struct columns c;
		dd_buf b = {0};

		columns_of(k, &c);
		for (size_t i = 0; i < c.n; i++) {
			if (i < c.nreq)
				dd_buf_printf(&b, "%s%s", i ? "," : "", c.name[i]);
			else
				dd_buf_printf(&b, "[%s%s]", i ? "," : "", c.name[i]);
		}
		snprintf(built[k], sizeof built[k], "%s", b.data ? b.data : "");
		dd_buf_free(&b);
	}
	return built[k];
}

/*
 * Values quoted back in messages are cut to SHOW_MAX bytes on a character
 * boundary: one runaway cell should not bury the other problems. The
 * compound literal lives until the end of the enclosing block, so SHOW() can
 * be used several times in one call.
 */
#define SHOW(s) show((char[SHOW_MAX + 4]){0}, (s))

static const char *show(char *buf, const char *s)
{
	size_t cut = SHOW_MAX;

	if (strlen(s) <= SHOW_MAX)
		return s;
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(buf, s, cut);
	memcpy(buf + cut, "...", 4);
	return buf;
}

/* Keys already seen in the file, with the line that had them first. */
struct seen {
	char **key;
	long *line;
	size_t n, cap;
};

static size_t seen_hash(const char *s)
{
	size_t h = 14695981039346656037u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

/* Records key at line; returns the earlier line when key was already there,
 * else 0. Takes ownership of key. */
static long seen_add(struct seen *s, char *key, long line)
{
	if (2 * (s->n + 1) > s->cap) {
		struct seen bigger = {0};

		bigger.cap = s->cap ? 2 * s->cap : 256;
		bigger.key = dd_xcalloc(bigger.cap, sizeof *bigger.key);
		bigger.line = dd_xcalloc(bigger.cap, sizeof *bigger.line);
		for (size_t i = 0; i < s->cap; i++)
			if (s->key[i])
				seen_add(&bigger, s->key[i], s->line[i]);
		free(s->key);
		free(s->line);
		*s = bigger;
	}
	size_t i = seen_hash(key) & (s->cap - 1);
	while (s->key[i]) {
		if (strcmp(s->key[i], key) == 0) {
			free(key);
			return s->line[i];
		}
		i = (i + 1) & (s->cap - 1);
	}
	s->key[i] = key;
	s->line[i] = line;
	s->n++;
	return 0;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->key[i]);
	free(s->key);
	free(s->line);
	memset(s, 0, sizeof *s);
}

/* One import in progress. */
struct imp {
	dd_db *db;
	const dd_actor *actor;
	dd_import_kind kind;
	const char *file;       /* the name used in messages */
	struct columns cols;
	int at[MAX_COLS];       /* field index of each of the kind's columns, -1: absent */
	size_t nfields;         /* fields in the header */
	char **f;               /* the current row, trimmed */
	long line;
	bool row_bad;           /* the current row has a problem: skip its writer */
	size_t nproblems;
	dd_buf *problems;
	struct seen seen;
	dd_status fatal;        /* the database failed: stop at once */
	long fatal_line;
	char fatal_msg[sizeof ((dd_err *)0)->msg];
	/* districts without a supervisor column keep the stored supervisors */
	dd_district *districts;
	size_t ndistricts;
};

static void problem_line(struct imp *im, const char *text)
{
	if (im->nproblems++ < MAX_PROBLEMS && im->problems)
		dd_buf_printf(im->problems, "%s\n", text);
}

/* Records a problem of the current line. */
static void problem(struct imp *im, const char *fmt, ...) DD_PRINTF(2, 3);
static void problem(struct imp *im, const char *fmt, ...)
{
	char msg[sizeof ((dd_err *)0)->msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	im->row_bad = true;
	char *line = dd_xasprintf("%s:%ld: %s", im->file, im->line, msg);
	problem_line(im, line);
	free(line);
}

/* A writer's refusal is a problem of the row; a failing database ends the
 * import, since every later row would only repeat it. */
static void put_result(struct imp *im, dd_status s, const dd_err *e)
{
	switch (s) {
	case DD_OK:
		return;
	case DD_EDB:
	case DD_EBUSY:
	case DD_EIO:
	case DD_ENEWER:
		im->fatal = s;
		im->fatal_line = im->line;
		memcpy(im->fatal_msg, e->msg, sizeof im->fatal_msg);
		return;
	default:
		problem(im, "%s", e->msg);
	}
}

static int col_index(const struct imp *im, const char *name)
{
	for (size_t j = 0; j < im->cols.n; j++)
		if (strcmp(im->cols.name[j], name) == 0)
			return (int)j;
	return -1;
}

static bool has(const struct imp *im, const char *col)
{
	int j = col_index(im, col);
	return j >= 0 && im->at[j] >= 0;
}

/* The trimmed value of col in the current row; "" when empty or absent. */
static const char *val(const struct imp *im, const char *col)
{
	int j = col_index(im, col);
	return j >= 0 && im->at[j] >= 0 ? im->f[im->at[j]] : "";
}

/* Like val, but NULL for an empty or absent cell (the writers' "none"). */
static const char *opt(const struct imp *im, const char *col)
{
	const char *v = val(im, col);
	return *v ? v : NULL;
}

/* Joins the key's parts with a unit separator, which no sane cell holds,
 * and remembers it. Returns the line that had it before, else 0. */
static long seen_before(struct imp *im, const char *what, const char *a, const char *b,
			const char *c)
{
	if (!*a)
		return 0; /* an empty key is reported as empty, not as a repeat */
	char *key = dd_xasprintf("%s\x1f%s\x1f%s\x1f%s", what, a, b ? b : "", c ? c : "");
	return seen_add(&im->seen, key, im->line);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	s[n] = '\0';
	return s;
}

/* --- values ------------------------------------------------------------- */

static void check_phone(struct imp *im, const char *col, char out[16])
{
	const char *v = val(im, col);

	out[0] = '\0';
	if (*v && !dd_phone_normalize(v, out))
		problem(im, _("%s '%s' is not a phone number (10 to 15 digits, "
			      "optionally with a leading '+')"),
			col, SHOW(v));
}

/* 0 for an empty cell. */
static int64_t check_telegram_id(struct imp *im, const char *col)
{
	const char *v = val(im, col);
	size_t n = strlen(v);

	if (!n)
		return 0;
	if (n <= 19 && strspn(v, "0123456789") == n) {
		errno = 0;
		long long id = strtoll(v, NULL, 10);
		if (errno == 0 && id > 0)
			return id;
	}
	problem(im, _("%s '%s' is not a Telegram id (a positive whole number)"), col, SHOW(v));
	return 0;
}

/* Spreadsheets in Pavlodar say yes and no in three languages. */
static int parse_bool(const char *s)
{
	static const char *const yes[] = {"1", "yes", "true", "y", "да", "Да", "ДА",
					  "иә", "Иә", "ИӘ"};
	static const char *const no[] = {"0", "no", "false", "n", "нет", "Нет", "НЕТ",
					 "жоқ", "Жоқ", "ЖОҚ"};

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -1;
}

/* The cell's truth, def when it is empty. */
static bool check_bool(struct imp *im, const char *col, bool def)
{
	const char *v = val(im, col);
	int b;

	if (!*v)
		return def;
	if ((b = parse_bool(v)) < 0) {
		problem(im, _("%s '%s' is not yes or no (1/0, yes/no, true/false, да/нет)"), col,
			SHOW(v));
		return def;
	}
	return b;
}

/* 0 for an empty cell. */
static int64_t check_time(struct imp *im, const char *col)
{
	const char *v = val(im, col);
	int64_t ms;

	if (!*v)
		return 0;
	if (dd_time_parse(v, &ms) == 0)
		return ms;
	problem(im, _("%s '%s' is not a date and time (YYYY-MM-DD, YYYY-MM-DD HH:MM, "
		      "optionally with Z or +HH:MM)"),
		col, SHOW(v));
	return 0;
}

/* Codes and badges are typed as command arguments and matched exactly: one
 * word, no control characters. */
static void check_word(struct imp *im, const char *col)
{
	const char *v = val(im, col);

	if (strlen(v) > 32) {
		problem(im, _("%s '%s' is longer than 32 bytes"), col, SHOW(v));
		return;
	}
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p <= ' ' || *p == 0x7f) {
			problem(im, _("%s '%s' must be one word (no spaces or control characters)"),
				col, SHOW(v));
			return;
		}
	}
}

/* Lower-cases ASCII letters in place: "KSK" and "Admin" are meant well. */
static char *ascii_lower(char *s)
{
	for (char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

/* --- rows, one function per kind ---------------------------------------- */

static void row_district(struct imp *im)
{
	const char *code = val(im, "code");
	const char *sup = opt(im, "supervisor");
	long was;
	dd_err e = {0};

	check_word(im, "code");
	if ((was = seen_before(im, "code", code, NULL, NULL)))
		problem(im, _("code '%s' already on line %ld"), SHOW(code), was);
	if (im->row_bad)
		return;
	if (!has(im, "supervisor")) {
		for (size_t i = 0; i < im->ndistricts; i++)
			if (strcmp(im->districts[i].code, code) == 0)
				sup = im->districts[i].supervisor_badge;
	}
	put_result(im, dd_district_put(im->db, code, val(im, "name"), sup, NULL, &e), &e);
}

static void row_officer(struct imp *im)
{
	dd_officer o = {0}, old = {0};
	char phone[16];
	long was;
	dd_err e = {0};

	o.badge = (char *)val(im, "badge");
	o.name = (char *)val(im, "name");
	o.rank = (char *)val(im, "rank");
	o.district = (char *)opt(im, "district");
	check_word(im, "badge");
	if (o.badge[0] == '#')
		problem(im, _("badge '%s' must not start with '#' (that means an officer's id)"),
			SHOW(o.badge));
	check_phone(im, "phone", phone);
	o.phone = phone[0] ? phone : NULL;
	o.telegram_id = check_telegram_id(im, "telegram_id");
	o.supervisor = check_bool(im, "supervisor", false);
	o.active = check_bool(im, "active", true);
	if ((was = seen_before(im, "badge", o.badge, NULL, NULL)))
		problem(im, _("badge '%s' already on line %ld"), SHOW(o.badge), was);
	if (o.phone && (was = seen_before(im, "phone", o.phone, NULL, NULL)))
		problem(im, _("phone '%s' already on line %ld"), SHOW(val(im, "phone")), was);
	if (o.telegram_id && (was = seen_before(im, "telegram_id", val(im, "telegram_id"), NULL,
						 NULL)))
		problem(im, _("telegram_id '%s' already on line %ld"), SHOW(val(im, "telegram_id")),
			was);
	if (im->row_bad)
		return;

	/* A column the file leaves out keeps what is stored: a list of names and
	 * districts must not wipe the phones the notifications go to. An empty
	 * cell in a column that is there does clear the field. */
	if ((!has(im, "rank") || !has(im, "phone") || !has(im, "telegram_id") ||
	     !has(im, "district") || !has(im, "supervisor") || !has(im, "active")) &&
	    dd_officer_find(im->db, o.badge, &old, NULL) == DD_OK &&
	    strcmp(old.badge, o.badge) == 0) {
		if (!has(im, "rank"))
			o.rank = old.rank;
		if (!has(im, "phone"))
			o.phone = old.phone;
		if (!has(im, "telegram_id"))
			o.telegram_id = old.telegram_id;
		if (!has(im, "district"))
			o.district = old.district;
		if (!has(im, "supervisor"))
			o.supervisor = old.supervisor;
		if (!has(im, "active"))
			o.active = old.active;
	}
	put_result(im, dd_officer_put(im->db, &o, NULL, &e), &e);
	dd_officer_clear(&old);
}

static const char org_kinds_list[] = "ksk, pawnshop, bookmaker, other";

static int check_org_kind(struct imp *im, const char *col)
{
	char *v = (char *)val(im, col);
	int k;

	if (!*v)
		return -1;
	if ((k = dd_org_kind_parse(ascii_lower(v))) < 0)
		problem(im, _("%s '%s' is not one of %s"), col, SHOW(v), org_kinds_list);
	return k;
}

static void row_org(struct imp *im)
{
	dd_org o = {0};
	int kind = check_org_kind(im, "kind");
	long was;
	dd_err e = {0};

	o.name = (char *)val(im, "name");
	o.address = (char *)val(im, "address");
	o.district = (char *)opt(im, "district");
	if (kind >= 0 && (was = seen_before(im, "org", dd_org_kind_name((dd_org_kind)kind), o.name,
					     NULL)))
		problem(im, _("%s '%s' already on line %ld"), dd_org_kind_name((dd_org_kind)kind),
			SHOW(o.name), was);
	if (im->row_bad)
		return;
	o.kind = (dd_org_kind)kind;
	put_result(im, dd_org_put(im->db, &o, NULL, &e), &e);
}

static void row_reporter(struct imp *im)
{
	dd_reporter r = {0};
	char phone[16];
	int org_kind = check_org_kind(im, "org_kind");
	long was;
	dd_err e = {0};

	r.name = (char *)val(im, "name");
	r.org = (char *)opt(im, "org");
	check_phone(im, "phone", phone);
	r.phone = phone[0] ? phone : NULL;
	r.telegram_id = check_telegram_id(im, "telegram_id");
	r.verified = check_bool(im, "verified", false);
	if (!*val(im, "phone") && !*val(im, "telegram_id"))
		problem(im, _("a reporter needs a phone or a telegram_id "
			      "(that is how their messages are recognised)"));
	if (!r.org && *val(im, "org_kind"))
		problem(im, _("org_kind '%s' given without an org"), SHOW(val(im, "org_kind")));
	if (r.phone && (was = seen_before(im, "phone", r.phone, NULL, NULL)))
		problem(im, _("phone '%s' already on line %ld"), SHOW(val(im, "phone")), was);
	if (r.telegram_id && (was = seen_before(im, "telegram_id", val(im, "telegram_id"), NULL,
						 NULL)))
		problem(im, _("telegram_id '%s' already on line %ld"), SHOW(val(im, "telegram_id")),
			was);
	if (im->row_bad)
		return;
	put_result(im, dd_reporter_put(im->db, &r, org_kind, NULL, &e), &e);
}

static void row_user(struct imp *im)
{
	const char *login = val(im, "login");
	char *role_name = ascii_lower((char *)val(im, "role"));
	dd_role role = dd_role_parse(role_name);
	long was;
	dd_err e = {0};

	if (*role_name && role == DD_ROLE_NONE)
		problem(im, _("role '%s' is not one of observer, dispatcher, supervisor, admin"),
			SHOW(role_name));
	if ((was = seen_before(im, "login", login, NULL, NULL)))
		problem(im, _("login '%s' already on line %ld"), SHOW(login), was);
	if (im->row_bad)
		return;
	/* An empty or absent name keeps the one stored. */
	put_result(im, dd_user_add(im->db, im->actor, login, role, opt(im, "name"), &e), &e);
}

static void row_shift(struct imp *im)
{
	const char *badge = val(im, "badge");
	int64_t starts = check_time(im, "starts"), ends = check_time(im, "ends");
	long was;
	dd_err e = {0};

	if (starts && ends && ends <= starts)
		problem(im, _("ends '%s' is not after starts '%s'"), SHOW(val(im, "ends")),
			SHOW(val(im, "starts")));
	if (starts) {
		char ms[24];
		snprintf(ms, sizeof ms, "%lld", (long long)starts);
		if ((was = seen_before(im, "shift", badge, ms, NULL)))
			problem(im, _("a shift of '%s' starting %s already on line %ld"), SHOW(badge),
				SHOW(val(im, "starts")), was);
	}
	if (im->row_bad)
		return;
	put_result(im, dd_shift_put(im->db, badge, starts, ends, &e), &e);
}

static void row_stolen(struct imp *im)
{
	const char *case_no = val(im, "case_no"), *item = val(im, "item");
	const char *serial = val(im, "serial");
	int64_t reported = check_time(im, "reported");
	long was;
	dd_err e = {0};

	if ((was = seen_before(im, "stolen", case_no, item, serial)))
		problem(im, _("case '%s', item '%s', serial '%s' already on line %ld"),
			SHOW(case_no), SHOW(item), SHOW(serial), was);
	if (im->row_bad)
		return;
	put_result(im, dd_stolen_put(im->db, case_no, item, serial, val(im, "description"),
				     reported, opt(im, "district"), &e),
		   &e);
}

static void (*const row_of_kind[DD_IMPORT_COUNT])(struct imp *) = {
	[DD_IMPORT_DISTRICTS] = row_district,
	[DD_IMPORT_OFFICERS] = row_officer,
	[DD_IMPORT_ORGS] = row_org,
	[DD_IMPORT_REPORTERS] = row_reporter,
	[DD_IMPORT_USERS] = row_user,
	[DD_IMPORT_SHIFTS] = row_shift,
	[DD_IMPORT_STOLEN] = row_stolen,
};

/* --- the file ------------------------------------------------------------ */

static void expected_list(const struct imp *im, size_t upto, dd_buf *b)
{
	for (size_t j = 0; j < upto; j++)
		dd_buf_printf(b, "%s%s", j ? ", " : "", im->cols.name[j]);
}

/* Maps the header's names onto the kind's columns. False on any problem. */
static bool read_header(struct imp *im, char **f, size_t n)
{
	dd_buf all = {0};
	size_t before = im->nproblems;

	expected_list(im, im->cols.n, &all);
	for (size_t j = 0; j < MAX_COLS; j++)
		im->at[j] = -1;
	im->nfields = n;
	for (size_t i = 0; i < n; i++) {
		char *name = trim(f[i]);
		int j = -1;

		for (size_t k = 0; k < im->cols.n; k++)
			if (strcasecmp(name, im->cols.name[k]) == 0)
				j = (int)k;
		if (!*name)
			problem(im, _("column %zu has no name (expected: %s)"), i + 1, all.data);
		else if (j < 0)
			problem(im, _("unknown column '%s' (expected: %s)"), SHOW(name), all.data);
		else if (im->at[j] >= 0)
			problem(im, _("column '%s' appears twice (columns %d and %zu)"),
				im->cols.name[j], im->at[j] + 1, i + 1);
		else
			im->at[j] = (int)i;
	}
	for (size_t j = 0; j < im->cols.nreq; j++) {
		if (im->at[j] < 0) {
			dd_buf req = {0};
			expected_list(im, im->cols.nreq, &req);
			problem(im, _("missing column '%s' (required: %s)"), im->cols.name[j],
				req.data);
			dd_buf_free(&req);
		}
	}
	dd_buf_free(&all);
	return im->nproblems == before;
}

static void check_row(struct imp *im, char **f, size_t n)
{
	im->row_bad = false;
	if (n != im->nfields) {
		if (n == 1)
			problem(im, _("1 field, the header has %zu"), im->nfields);
		else
			problem(im, _("%zu fields, the header has %zu"), n, im->nfields);
		return;
	}
	for (size_t i = 0; i < n; i++)
		f[i] = trim(f[i]);
	im->f = f;
	for (size_t j = 0; j < im->cols.nreq; j++)
		if (!*f[im->at[j]])
			problem(im, _("%s is empty; it is required"), im->cols.name[j]);
	row_of_kind[im->kind](im);
}

/* {"kind":"officers","rows":12,"file":"officers.csv"}; the path is cleaned
 * because JSON must be UTF-8 and a file name need not be. */
static char *audit_after(dd_import_kind kind, size_t rows, const char *path)
{
	char *file = dd_clean(path);
	json_t *o = json_pack("{s:s, s:I, s:s}", "kind", dd_import_kind_name(kind), "rows",
			      (json_int_t)rows, "file", file);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	free(file);
	if (!s) {
		fputs("dutydesk: out of memory\n", stderr);
		abort();
	}
	return s;
}

dd_status dd_import_csv(dd_db *db, const dd_actor *actor, dd_import_kind kind, const char *path,
			size_t *rows, dd_buf *problems, dd_err *err)
{
	struct imp im = {.db = db, .actor = actor, .kind = kind, .problems = problems};
	dd_csv *c = NULL;
	char **f;
	size_t n, nrows = 0;
	dd_err e = {0};
	dd_status s;
	char *after;
	int r;

	if (rows)
		*rows = 0;
	if ((unsigned)kind >= DD_IMPORT_COUNT)
		return dd_fail(err, DD_EINVAL, _("unknown kind of import"));
	if ((s = dd_require_role(actor, DD_ROLE_ADMIN, _("importing"), err)))
		return s;
	if ((s = dd_csv_open(&c, path, err)))
		return s;
	im.file = dd_csv_name(c);
	columns_of(kind, &im.cols);

	r = dd_csv_next(c, &f, &n, &e);
	if (r == 0) {
		s = dd_fail(err, DD_EINVAL, _("%s: no rows"), im.file);
		goto out;
	}
	im.line = dd_csv_line(c);
	if (r < 0)
		problem_line(&im, e.msg);
	else if (!read_header(&im, f, n))
		r = -1;
	if (r < 0)
		goto report;

	if ((s = dd_db_begin(db, err)))
		goto out;
	if (kind == DD_IMPORT_DISTRICTS && !has(&im, "supervisor") &&
	    (s = dd_district_list(db, &im.districts, &im.ndistricts, err)))
		goto rollback;
	while (!im.fatal && (r = dd_csv_next(c, &f, &n, &e)) == 1) {
		im.line = dd_csv_line(c);
		nrows++;
		check_row(&im, f, n);
	}
	if (r < 0)
		problem_line(&im, e.msg);
	if (im.fatal) {
		s = dd_fail(err, im.fatal, "%s:%ld: %s", im.file, im.fatal_line, im.fatal_msg);
		goto rollback;
	}
	if (im.nproblems)
		goto rollback_report;
	if (nrows == 0) {
		s = dd_fail(err, DD_EINVAL, _("%s: no rows"), im.file);
		goto rollback;
	}

	after = audit_after(kind, nrows, path);
	s = dd_audit_append(db, actor, 0, "import", NULL, after, NULL, err);
	free(after);
	if (s)
		goto rollback;
	if ((s = dd_db_commit(db, err)))
		goto out;
	if (rows)
		*rows = nrows;
	goto out;

rollback_report:
	dd_db_rollback(db);
report:
	if (im.nproblems > MAX_PROBLEMS && problems)
		dd_buf_printf(problems, _("... and %zu more\n"), im.nproblems - MAX_PROBLEMS);
	if (im.nproblems == 1)
		s = dd_fail(err, DD_EINVAL, _("%s: 1 problem; nothing was imported"), im.file);
	else
		s = dd_fail(err, DD_EINVAL, _("%s: %zu problems; nothing was imported"), im.file,
			    im.nproblems);
	goto out;
rollback:
	dd_db_rollback(db);
out:
	dd_district_list_free(&im.districts, im.ndistricts);
	seen_free(&im.seen);
	dd_csv_free(&c);
	return s;
}
