/*
 * Limit patterns compiled into a condition on reports with every value
 * bound, and the case fold their substring terms match with.
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "pattern_sql.h"
#include "pattern_tree.h"
#include "dutydesk/clock.h"
#include "dutydesk/report.h"

/* ---- the case fold ------------------------------------------------------ */

/* Capitals outside A-Z and А-Я, with their small letters. */
static const struct {
	unsigned upper, lower;
} fold_pairs[] = {
	{0x0401, 0x0435}, /* Ё -> е, as the full-text index folds it */
	{0x0451, 0x0435}, /* ё -> е */
	{0x0404, 0x0454}, /* Є */
	{0x0406, 0x0456}, /* І */
	{0x0407, 0x0457}, /* Ї */
	{0x040E, 0x045E}, /* Ў */
	{0x0492, 0x0493}, /* Ғ */
	{0x049A, 0x049B}, /* Қ */
	{0x04A2, 0x04A3}, /* Ң */
	{0x04AE, 0x04AF}, /* Ү */
	{0x04B0, 0x04B1}, /* Ұ */
	{0x04BA, 0x04BB}, /* Һ */
	{0x04D8, 0x04D9}, /* Ә */
	{0x04E8, 0x04E9}, /* Ө */
};

/* Folds n bytes of src into dst (n bytes too: every mapping is between
 * two-byte sequences of U+0400-U+04FF, or within ASCII). */
static void fold_bytes(char *dst, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	unsigned char *d = (unsigned char *)dst;
	for (size_t i = 0; i < n; i++) {
		unsigned c = s[i];
		if (c >= 'A' && c <= 'Z') {
			d[i] = (unsigned char)(c + 32);
			continue;
		}
		if (c < 0xD0 || c > 0xD3 || i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) {
			d[i] = (unsigned char)c;
			continue;
		}
		unsigned cp = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);
		if (cp >= 0x0410 && cp <= 0x042F) {
			cp += 0x20;
		} else {
			for (size_t k = 0; k < sizeof fold_pairs / sizeof *fold_pairs; k++)
				if (fold_pairs[k].upper == cp) {
					cp = fold_pairs[k].lower;
					break;
				}
		}
		d[i] = (unsigned char)(0xC0 | (cp >> 6));
		d[i + 1] = (unsigned char)(0x80 | (cp & 0x3F));
		i++;
	}
}

char *dd_fold(const char *s)
{
	size_t n = strlen(s);
	char *out = dd_xmalloc(n + 1);
	fold_bytes(out, s, n);
	out[n] = '\0';
	return out;
}

static void sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	int n = sqlite3_value_bytes(argv[0]);
	char *out = s ? sqlite3_malloc(n + 1) : NULL;
	if (!out) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	fold_bytes(out, s, (size_t)n);
	out[n] = '\0';
	sqlite3_result_text(ctx, out, n, sqlite3_free);
}

int dd_fold_register(sqlite3 *h)
{
	/* innocuous: it reads nothing but its argument, so it is safe even
	 * where a schema could use it */
	return sqlite3_create_function_v2(h, "dd_fold", 1,
					  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
					  NULL, sql_fold, NULL, NULL, NULL);
}

/* ---- compiling to SQL --------------------------------------------------- */

struct compiler {
	dd_db *db;
	const int64_t *tags;
	size_t ntags;
	dd_buf *sql;
	struct dd_pattern_binds *binds;
	dd_err *err;
	int64_t now;
};

static struct dd_pattern_value *param(struct compiler *C)
{
	struct dd_pattern_binds *b = C->binds;
	struct dd_pattern_value *v = dd_vec_push(&b->v, &b->n, &b->cap, sizeof *b->v);
	snprintf(v->name, sizeof v->name, ":p%zu", b->n);
	dd_buf_adds(C->sql, v->name);
	return v;
}

/* Appends a new parameter's name to the SQL; the value is text taken over
 * (owned by binds from now on) or an integer. */
static void param_text(struct compiler *C, char *text)
{
	param(C)->text = text;
}

static void param_int(struct compiler *C, int64_t num)
{
	param(C)->num = num;
}

/* The FTS5 query for one word (a prefix) or phrase; nothing typed is taken
 * as FTS syntax, and ё is folded as the index folds it. */
static void fts_add(dd_buf *q, const struct node *n)
{
	if (q->len)
		dd_buf_addc(q, ' ');
	dd_buf_addc(q, '"');
	for (const char *p = n->value; *p; p++) {
		if ((unsigned char)p[0] == 0xD1 && (unsigned char)p[1] == 0x91) {
			dd_buf_adds(q, "е");
			p++;
		} else if ((unsigned char)p[0] == 0xD0 && (unsigned char)p[1] == 0x81) {
			dd_buf_adds(q, "Е");
			p++;
		} else {
			if (*p == '"')
				dd_buf_addc(q, '"');
			dd_buf_addc(q, *p);
		}
	}
	dd_buf_adds(q, n->kind == PN_WORD ? "\"*" : "\"");
}

static void fts_where(struct compiler *C, dd_buf *q)
{
	dd_buf_adds(C->sql, "r.id IN (SELECT rowid FROM reports_fts WHERE reports_fts MATCH ");
	param_text(C, dd_buf_take(q));
	dd_buf_addc(C->sql, ')');
}

/* The stored code that a typed district or category code names, compared
 * by the pattern fold; an exact match wins over one differing in case. */
static dd_status lookup(struct compiler *C, const char *sql, const char *typed, bool want_id,
			int64_t *id, char **code)
{
	sqlite3_stmt *st = dd_stmt(C->db, sql, C->err);
	if (!st)
		return C->err ? C->err->status : DD_EDB;
	char *folded = dd_fold(typed);
	sqlite3_bind_text(st, 1, folded, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, typed, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (want_id)
			*id = sqlite3_column_int64(st, 0);
		else
			*code = dd_col_strdup(st, 0);
	}
	dd_status s = rc == SQLITE_ROW || rc == SQLITE_DONE ? DD_OK
		    : dd_db_error(C->db, C->err, _("reading a pattern's codes"));
	sqlite3_reset(st);
	free(folded);
	if (!s && rc == SQLITE_DONE)
		s = dd_fail(C->err, DD_EINVAL, want_id ? _("unknown district '%s'") : _("unknown category '%s'"),
			    typed);
	return s;
}

static dd_status compile(struct compiler *C, const struct node *n);

/* AND: the words and phrases among the operands go to the index as one
 * query, which costs one lookup instead of one per word. */
static dd_status compile_and(struct compiler *C, const struct node *n)
{
	dd_buf q = {0};
	bool first = true;
	dd_buf_addc(C->sql, '(');
	for (size_t i = 0; i < n->nkids; i++) {
		const struct node *k = n->kids[i];
		if (k->kind == PN_WORD || k->kind == PN_PHRASE) {
			fts_add(&q, k);
			continue;
		}
		if (!first)
			dd_buf_adds(C->sql, " AND ");
		first = false;
		dd_status s = compile(C, k);
		if (s) {
			dd_buf_free(&q);
			return s;
		}
	}
	if (q.len) {
		if (!first)
			dd_buf_adds(C->sql, " AND ");
		fts_where(C, &q);
	}
	dd_buf_addc(C->sql, ')');
	return DD_OK;
}

static int64_t age_ms(const struct node *n)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}, {'w', 604800000}};
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (units[i].unit == n->unit)
			return n->num * units[i].ms;
	return 0;
}

/* Every operand yields 1, 0 or NULL, NULL meaning "no match" (a column that
 * is NULL). AND and OR keep that meaning; NOT would not (NOT NULL is NULL),
 * so its operand is made 0 first. Plain column comparisons stay in the
 * form the indexes serve. */
static dd_status compile(struct compiler *C, const struct node *n)
{
	dd_buf *sql = C->sql;
	dd_status s = DD_OK;
	switch (n->kind) {
	case PN_OR:
		dd_buf_addc(sql, '(');
		for (size_t i = 0; i < n->nkids && !s; i++) {
			if (i)
				dd_buf_adds(sql, " OR ");
			s = compile(C, n->kids[i]);
		}
		dd_buf_addc(sql, ')');
		return s;
	case PN_AND:
		return compile_and(C, n);
	case PN_NOT:
		dd_buf_adds(sql, "NOT coalesce(");
		s = compile(C, n->kids[0]);
		dd_buf_adds(sql, ", 0)");
		return s;
	case PN_STATUS:
		if (n->status < 0) {
			dd_buf_adds(sql, "r.is_open = 1");
		} else {
			dd_buf_adds(sql, "r.status = ");
			param_text(C, dd_xstrdup(dd_rs_code((dd_report_status)n->status)));
		}
		return DD_OK;
	case PN_DISTRICT: {
		static const char q[] = "SELECT id FROM districts WHERE dd_fold(code) = ?1 "
					"ORDER BY code = ?2 DESC, id LIMIT 1";
		if (n->none) {
			dd_buf_adds(sql, "r.district_id IS NULL");
			return DD_OK;
		}
		int64_t id = 0;
		if ((s = lookup(C, q, n->value, true, &id, NULL)))
			return s;
		dd_buf_adds(sql, "r.district_id = ");
		param_int(C, id);
		return DD_OK;
	}
	case PN_CATEGORY: {
		static const char q[] = "SELECT code FROM categories WHERE dd_fold(code) = ?1 "
					"ORDER BY code = ?2 DESC, code LIMIT 1";
		char *code = NULL;
		if ((s = lookup(C, q, n->value, false, NULL, &code)))
			return s;
		dd_buf_adds(sql, "r.category = ");
		param_text(C, code);
		return DD_OK;
	}
	case PN_PRIORITY:
		dd_buf_adds(sql, n->lo == n->hi ? "r.priority = " : "r.priority BETWEEN ");
		param_int(C, n->lo);
		if (n->lo != n->hi) {
			dd_buf_adds(sql, " AND ");
			param_int(C, n->hi);
		}
		return DD_OK;
	case PN_OFFICER: {
		/* the officers are few: the subquery is read once, and the page
		 * then walks reports by officer */
		dd_buf_adds(sql, "r.officer_id IN (SELECT id FROM officers WHERE badge = ");
		param_text(C, dd_xstrdup(n->value));
		dd_buf_adds(sql, " OR instr(dd_fold(name), ");
		param_text(C, dd_fold(n->value));
		dd_buf_adds(sql, ") > 0)");
		return DD_OK;
	}
	case PN_REPORTER: {
		/* phones are stored without '+'; no name starts with one */
		const char *v = n->value[0] == '+' && n->value[1] >= '0' && n->value[1] <= '9'
				? n->value + 1 : n->value;
		struct dd_pattern_value *p;
		dd_buf_adds(sql, "(r.reporter_id IN (SELECT id FROM reporters WHERE instr(dd_fold(name), ");
		p = param(C);
		p->text = dd_fold(v);
		dd_buf_printf(sql, ") > 0 OR instr(phone, %s) > 0)"
			      " OR r.org_id IN (SELECT id FROM organisations WHERE instr(dd_fold(name), %s) > 0)"
			      " OR instr(dd_fold(r.sender_name), %s) > 0 OR instr(r.sender, %s) > 0)",
			      p->name, p->name, p->name, p->name);
		return DD_OK;
	}
	case PN_AGE:
		/* older than: received before now - age */
		dd_buf_adds(sql, n->op == '>' ? "r.received_at < " : "r.received_at > ");
		param_int(C, C->now - age_ms(n));
		return DD_OK;
	case PN_UNASSIGNED:
		dd_buf_adds(sql, "r.officer_id IS NULL");
		return DD_OK;
	case PN_TAGGED: {
		dd_buf ids = {0};
		dd_buf_addc(&ids, '[');
		for (size_t i = 0; C->tags && i < C->ntags; i++)
			dd_buf_printf(&ids, "%s%lld", i ? "," : "", (long long)C->tags[i]);
		dd_buf_addc(&ids, ']');
		dd_buf_adds(sql, "r.id IN (SELECT value FROM json_each(");
		param_text(C, dd_buf_take(&ids));
		dd_buf_adds(sql, "))");
		return DD_OK;
	}
	case PN_WORD:
	case PN_PHRASE: {
		dd_buf q = {0};
		fts_add(&q, n);
		fts_where(C, &q);
		return DD_OK;
	}
	}
	return DD_OK;
}

dd_status dd_pattern_where(dd_db *db, const dd_pattern *p, const int64_t *tags, size_t ntags,
			   dd_buf *sql, struct dd_pattern_binds *binds, dd_err *err)
{
	struct compiler C = {.db = db, .tags = tags, .ntags = ntags, .sql = sql, .binds = binds,
			     .err = err, .now = dd_now_ms()};
	if (!p || !p->root) {
		dd_buf_adds(sql, "1");
		return DD_OK;
	}
	return compile(&C, p->root);
}

void dd_pattern_bind(sqlite3_stmt *st, const struct dd_pattern_binds *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct dd_pattern_value *v = &b->v[i];
		int idx = sqlite3_bind_parameter_index(st, v->name);
		if (!idx)
			continue;
		if (v->text)
			sqlite3_bind_text(st, idx, v->text, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(st, idx, v->num);
	}
}

void dd_pattern_binds_free(struct dd_pattern_binds *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].text);
	free(b->v);
	memset(b, 0, sizeof *b);
}
