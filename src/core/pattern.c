/*
 * Limit patterns: parsed into a small tree, printed back in a normalised
 * form, and compiled into a condition on reports with every value bound.
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "pattern_sql.h"
#include "dutydesk/clock.h"
#include "dutydesk/report.h"

/* Bounds that keep the parser's recursion and SQLite's expression depth
 * (1000) far away, whatever is typed or pasted. */
#define MAX_DEPTH 32
#define MAX_TERMS 200

typedef enum {
	PN_OR,
	PN_AND,
	PN_NOT,
	PN_STATUS,
	PN_DISTRICT,
	PN_CATEGORY,
	PN_PRIORITY,
	PN_OFFICER,
	PN_REPORTER,
	PN_AGE,
	PN_UNASSIGNED,
	PN_TAGGED,
	PN_WORD,   /* full-text, as a prefix */
	PN_PHRASE, /* full-text, the words in this order */
} node_kind;

struct node {
	node_kind kind;
	struct node **kids; /* OR, AND: two or more; NOT: one */
	size_t nkids;
	char *value;        /* as typed (unquoted); words and phrases too */
	int status;         /* ~s: a dd_report_status, or -1 for "open" */
	bool none;          /* ~d none */
	char op;            /* ~p: '=' '<' '>' '-'; ~a: '<' '>' */
	int a, b;           /* ~p: the numbers as typed */
	int lo, hi;         /* ~p: the range they mean */
	int64_t num;        /* ~a: the number */
	char unit;          /* ~a: s m h d w */
};

struct dd_pattern {
	struct node *root;
};

/* The terms; the second letter is the one on the same key in the Russian
 * layout, for the hint when the keyboard was left in Cyrillic. */
static const struct term {
	char letter;
	const char *ru;
	node_kind kind;
	const char *wants; /* what the value is; NULL: takes none */
} terms[] = {
	{'s', "ы", PN_STATUS, N_("a status")},
	{'d', "в", PN_DISTRICT, N_("a district code or none")},
	{'c', "с", PN_CATEGORY, N_("a category code")},
	{'p', "з", PN_PRIORITY, N_("a priority: N, <N, >N or N-M, from 1 to 4")},
	{'o', "щ", PN_OFFICER, N_("an officer's badge or part of the name")},
	{'r', "к", PN_REPORTER, N_("part of a reporter's name, phone or organisation")},
	{'a', "ф", PN_AGE, N_(">30m or <2h")},
	{'u', "г", PN_UNASSIGNED, NULL},
	{'t', "е", PN_TAGGED, NULL},
};
#define NTERMS (sizeof terms / sizeof *terms)

static const struct term *term_of(node_kind k)
{
	for (size_t i = 0; i < NTERMS; i++)
		if (terms[i].kind == k)
			return &terms[i];
	return NULL;
}

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

/* ---- the tree ----------------------------------------------------------- */

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->value);
	free(n);
}

static struct node *node_new(node_kind kind)
{
	struct node *n = dd_xcalloc(1, sizeof *n);
	n->kind = kind;
	return n;
}

static void node_add(struct node *n, struct node *kid)
{
	n->kids = dd_xrealloc(n->kids, (n->nkids + 1) * sizeof *n->kids);
	n->kids[n->nkids++] = kid;
}

/* Adds kid to an AND or OR, taking in the kids of one of the same kind
 * (from parentheses), so that "a (b c)" and "a b c" are one tree. */
static void node_join(struct node *n, struct node *kid)
{
	if (kid->kind != n->kind) {
		node_add(n, kid);
		return;
	}
	for (size_t i = 0; i < kid->nkids; i++)
		node_add(n, kid->kids[i]);
	kid->nkids = 0;
	node_free(kid);
}

void dd_pattern_free(dd_pattern **p)
{
	if (!*p)
		return;
	node_free((*p)->root);
	free(*p);
	*p = NULL;
}

static bool uses_tags(const struct node *n)
{
	if (n->kind == PN_TAGGED)
		return true;
	for (size_t i = 0; i < n->nkids; i++)
		if (uses_tags(n->kids[i]))
			return true;
	return false;
}

bool dd_pattern_uses_tags(const dd_pattern *p)
{
	return p && p->root && uses_tags(p->root);
}

/* ---- parsing ------------------------------------------------------------ */

struct parser {
	const char *text;
	size_t pos;
	int depth, nterms;
	bool failed;
	size_t errpos;
	dd_err *err;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Ends a bare value or word. */
static bool is_stop(char c)
{
	return c == '\0' || is_space(c) || c == '(' || c == ')' || c == '|' || c == '"';
}

static void skip_space(struct parser *P)
{
	while (is_space(P->text[P->pos]))
		P->pos++;
}

static void pfail(struct parser *P, size_t at, const char *fmt, ...) DD_PRINTF(3, 4);
static void pfail(struct parser *P, size_t at, const char *fmt, ...)
{
	if (P->failed)
		return;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* columns count characters, as the user sees them, not bytes */
	size_t col = 1;
	for (size_t i = 0; i < at && P->text[i]; i++)
		if (((unsigned char)P->text[i] & 0xC0) != 0x80)
			col++;
	P->failed = true;
	P->errpos = at;
	dd_fail(P->err, DD_EINVAL, _("column %zu: %s"), col, msg);
}

/* The UTF-8 sequence of the character at s. */
static size_t char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	for (size_t i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			return i;
	return n;
}

/* Is there anything the full-text index would keep as a word? Letters and
 * digits are; ASCII punctuation, Latin-1 signs and the punctuation and
 * symbol blocks are not. */
static bool has_word_chars(const char *s)
{
	for (const char *p = s; *p; p += char_len(p)) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x80) {
			if ((c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z'))
				return true;
			continue;
		}
		size_t n = char_len(p);
		unsigned cp = n == 2 ? ((c & 0x1Fu) << 6) | (p[1] & 0x3F)
			    : n == 3 ? ((c & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3F)
			    : 0x10000;
		if ((cp >= 0x80 && cp <= 0xBF) || (cp >= 0x2000 && cp <= 0x2BFF) ||
		    (cp >= 0x3000 && cp <= 0x303F))
			continue;
		return true;
	}
	return false;
}

/* A quoted string at P->pos: backslash escapes '"' and '\'. */
static char *read_quoted(struct parser *P)
{
	size_t start = P->pos++;
	dd_buf b = {0};
	for (;;) {
		char c = P->text[P->pos];
		if (!c) {
			pfail(P, start, _("unclosed quote"));
			dd_buf_free(&b);
			return NULL;
		}
		if (c == '\\' && (P->text[P->pos + 1] == '"' || P->text[P->pos + 1] == '\\')) {
			dd_buf_addc(&b, P->text[P->pos + 1]);
			P->pos += 2;
			continue;
		}
		P->pos++;
		if (c == '"')
			break;
		dd_buf_addc(&b, c);
	}
	return dd_buf_take(&b);
}

static char *read_bare(struct parser *P)
{
	size_t start = P->pos;
	while (!is_stop(P->text[P->pos]))
		P->pos++;
	return dd_xstrndup(P->text + start, P->pos - start);
}

static void status_list(dd_buf *b)
{
	for (int i = 0; i < DD_RS_COUNT; i++)
		dd_buf_printf(b, "%s, ", dd_rs_code((dd_report_status)i));
	dd_buf_adds(b, "open");
}

static bool parse_status(struct parser *P, struct node *n, size_t at)
{
	char *v = dd_fold(n->value);
	n->status = strcmp(v, "open") == 0 ? -1 : dd_rs_parse(v);
	bool ok = strcmp(v, "open") == 0 || n->status >= 0;
	free(v);
	if (!ok) {
		dd_buf list = {0};
		status_list(&list);
		pfail(P, at, _("unknown status '%s' (%s)"), n->value, list.data);
		dd_buf_free(&list);
	}
	return ok;
}

/* N, <N, >N, N-M with N and M in 1..4, naming a non-empty range. */
static bool parse_priority(struct parser *P, struct node *n, size_t at)
{
	const char *s = n->value;
	int x = 0, y = 0;
	bool ok = false;
	if ((s[0] == '<' || s[0] == '>') && s[1] >= '1' && s[1] <= '4' && !s[2]) {
		n->op = s[0];
		x = s[1] - '0';
		ok = true;
	} else if (s[0] >= '1' && s[0] <= '4' && !s[1]) {
		n->op = '=';
		x = s[0] - '0';
		ok = true;
	} else if (s[0] >= '1' && s[0] <= '4' && s[1] == '-' && s[2] >= '1' && s[2] <= '4' && !s[3]) {
		n->op = '-';
		x = s[0] - '0';
		y = s[2] - '0';
		ok = true;
	}
	n->a = x;
	n->b = y;
	n->lo = n->op == '<' ? 1 : n->op == '>' ? x + 1 : x;
	n->hi = n->op == '<' ? x - 1 : n->op == '>' ? 4 : n->op == '-' ? y : x;
	if (ok && n->lo <= n->hi)
		return true;
	pfail(P, at, _("bad priority '%s': ~p wants N, <N, >N or N-M, from 1 (urgent) to 4 (low)"),
	      n->value);
	return false;
}

/* >30m (older than), <2h (newer than); up to six digits keep the
 * milliseconds of any age well inside 64 bits. */
static bool parse_age(struct parser *P, struct node *n, size_t at)
{
	const char *s = n->value;
	size_t digits = 0;
	n->num = 0;
	if (s[0] == '<' || s[0] == '>') {
		while (s[1 + digits] >= '0' && s[1 + digits] <= '9' && digits < 7)
			n->num = n->num * 10 + (s[1 + digits++] - '0');
	}
	char u = digits ? s[1 + digits] : 0;
	if (digits >= 1 && digits <= 6 && u && strchr("smhdw", u) && !s[2 + digits]) {
		n->op = s[0];
		n->unit = u;
		return true;
	}
	pfail(P, at, _("bad age '%s': ~a wants >30m or <2h (units s, m, h, d, w)"), n->value);
	return false;
}

static bool count_term(struct parser *P, size_t at)
{
	if (++P->nterms <= MAX_TERMS)
		return true;
	pfail(P, at, _("too many terms (at most %d)"), MAX_TERMS);
	return false;
}

/* ~X [VALUE] at P->pos. */
static struct node *parse_term(struct parser *P)
{
	size_t at = P->pos++;
	const char *l = P->text + P->pos;
	const struct term *t = NULL;
	for (size_t i = 0; i < NTERMS && !t; i++)
		if (*l == terms[i].letter)
			t = &terms[i];
	if (!t) {
		dd_buf list = {0};
		for (size_t i = 0; i < NTERMS; i++)
			dd_buf_printf(&list, "%s~%c", i ? " " : "", terms[i].letter);
		if (is_stop(*l)) {
			pfail(P, at, _("'~' wants a letter: %s"), list.data);
		} else {
			size_t n = char_len(l);
			const struct term *ru = NULL;
			for (size_t i = 0; i < NTERMS && !ru; i++)
				if (strlen(terms[i].ru) == n && memcmp(l, terms[i].ru, n) == 0)
					ru = &terms[i];
			if (ru)
				pfail(P, at, _("unknown term '~%.*s' (is the keyboard in Russian? ~%c is on that key)"),
				      (int)n, l, ru->letter);
			else
				pfail(P, at, _("unknown term '~%.*s' (%s)"), (int)n, l, list.data);
		}
		dd_buf_free(&list);
		return NULL;
	}
	if (!count_term(P, at))
		return NULL;
	P->pos++;
	struct node *n = node_new(t->kind);
	if (!t->wants) {
		char c = P->text[P->pos];
		if (!is_stop(c) && c != '~' && c != '!') {
			pfail(P, P->pos, _("~%c takes no value"), t->letter);
			node_free(n);
			return NULL;
		}
		return n;
	}
	skip_space(P);
	size_t vat = P->pos;
	char c = P->text[vat];
	if (c == '"')
		n->value = read_quoted(P);
	else if (!is_stop(c) && c != '~' && c != '!')
		n->value = read_bare(P);
	if (!P->failed && (!n->value || !*n->value))
		pfail(P, vat, _("~%c wants %s"), t->letter, _(t->wants));
	if (P->failed) {
		node_free(n);
		return NULL;
	}
	bool ok = true;
	switch (t->kind) {
	case PN_STATUS:
		ok = parse_status(P, n, vat);
		break;
	case PN_PRIORITY:
		ok = parse_priority(P, n, vat);
		break;
	case PN_AGE:
		ok = parse_age(P, n, vat);
		break;
	case PN_DISTRICT: {
		char *v = dd_fold(n->value);
		n->none = strcmp(v, "none") == 0;
		free(v);
		break;
	}
	default:
		break;
	}
	if (!ok) {
		node_free(n);
		return NULL;
	}
	return n;
}

static struct node *parse_or(struct parser *P);

/* A bare word or a quoted phrase at P->pos. */
static struct node *parse_words(struct parser *P)
{
	size_t at = P->pos;
	if (!count_term(P, at))
		return NULL;
	bool quoted = P->text[at] == '"';
	char *v = quoted ? read_quoted(P) : read_bare(P);
	if (!v)
		return NULL;
	if (quoted && !*v)
		pfail(P, at, _("empty quotes"));
	else if (!has_word_chars(v))
		pfail(P, at, _("nothing to search for in '%s'"), v);
	if (P->failed) {
		free(v);
		return NULL;
	}
	struct node *n = node_new(quoted ? PN_PHRASE : PN_WORD);
	n->value = v;
	return n;
}

/* One operand: !x, (x), a term, a word or a phrase. NULL when there is none
 * here (or on failure: P->failed). */
static struct node *parse_unary(struct parser *P)
{
	skip_space(P);
	size_t at = P->pos;
	switch (P->text[at]) {
	case '\0':
	case ')':
	case '|':
		return NULL;
	case '!':
	case '(':
		break;
	case '~':
		return parse_term(P);
	default:
		return parse_words(P);
	}
	if (++P->depth > MAX_DEPTH) {
		pfail(P, at, _("nested too deeply (at most %d levels)"), MAX_DEPTH);
		return NULL;
	}
	P->pos++;
	struct node *k;
	if (P->text[at] == '!') {
		k = parse_unary(P);
		P->depth--;
		if (!k) {
			pfail(P, at, _("nothing after '!'"));
			return NULL;
		}
		struct node *n = node_new(PN_NOT);
		node_add(n, k);
		return n;
	}
	k = parse_or(P);
	P->depth--;
	if (P->failed)
		return NULL;
	skip_space(P);
	if (P->text[P->pos] != ')') {
		node_free(k);
		pfail(P, at, _("'(' is never closed"));
		return NULL;
	}
	if (!k) {
		pfail(P, at, _("empty parentheses"));
		return NULL;
	}
	P->pos++;
	return k;
}

/* Operands side by side: all of them. */
static struct node *parse_and(struct parser *P)
{
	struct node *n = NULL, *k;
	while ((k = parse_unary(P))) {
		if (!n) {
			n = k;
			continue;
		}
		if (n->kind != PN_AND) {
			struct node *and = node_new(PN_AND);
			node_join(and, n);
			n = and;
		}
		node_join(n, k);
	}
	if (P->failed) {
		node_free(n);
		return NULL;
	}
	return n;
}

/* Alternatives separated by '|': any of them. AND binds tighter. */
static struct node *parse_or(struct parser *P)
{
	struct node *n = parse_and(P);
	if (P->failed)
		return NULL;
	for (;;) {
		skip_space(P);
		if (P->text[P->pos] != '|')
			return n;
		size_t bar = P->pos++;
		if (!n) {
			pfail(P, bar, _("nothing before '|'"));
			return NULL;
		}
		struct node *k = parse_and(P);
		if (!k) {
			pfail(P, bar, _("nothing after '|'"));
			node_free(n);
			return NULL;
		}
		if (n->kind != PN_OR) {
			struct node *or = node_new(PN_OR);
			node_join(or, n);
			n = or;
		}
		node_join(n, k);
	}
}

dd_status dd_pattern_parse(const char *text, dd_pattern **out, size_t *errpos, dd_err *err)
{
	*out = NULL;
	struct parser P = {.text = text ? text : "", .err = err};
	skip_space(&P);
	struct node *root = NULL;
	if (!P.text[P.pos])
		pfail(&P, 0, _("empty pattern"));
	else
		root = parse_or(&P);
	if (!P.failed && P.text[P.pos] == ')')
		pfail(&P, P.pos, _("')' without '('"));
	if (P.failed) {
		node_free(root);
		if (errpos)
			*errpos = P.errpos;
		return DD_EINVAL;
	}
	*out = dd_xcalloc(1, sizeof **out);
	(*out)->root = root;
	return DD_OK;
}

/* ---- the normalised text ------------------------------------------------ */

static void print_quoted(dd_buf *b, const char *v)
{
	dd_buf_addc(b, '"');
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			dd_buf_addc(b, '\\');
		dd_buf_addc(b, *p);
	}
	dd_buf_addc(b, '"');
}

/* Bare when it reads back as the same value, else quoted. */
static void print_value(dd_buf *b, const char *v)
{
	bool bare = *v && *v != '~' && *v != '!';
	for (const char *p = v; *p && bare; p++)
		bare = !is_stop(*p);
	if (bare)
		dd_buf_adds(b, v);
	else
		print_quoted(b, v);
}

static void print_node(dd_buf *b, const struct node *n)
{
	switch (n->kind) {
	case PN_OR:
	case PN_AND:
		for (size_t i = 0; i < n->nkids; i++) {
			const struct node *k = n->kids[i];
			if (i)
				dd_buf_adds(b, n->kind == PN_OR ? " | " : " ");
			bool paren = n->kind == PN_AND && k->kind == PN_OR;
			if (paren)
				dd_buf_addc(b, '(');
			print_node(b, k);
			if (paren)
				dd_buf_addc(b, ')');
		}
		return;
	case PN_NOT: {
		const struct node *k = n->kids[0];
		bool paren = k->kind == PN_OR || k->kind == PN_AND;
		dd_buf_adds(b, paren ? "!(" : "!");
		print_node(b, k);
		if (paren)
			dd_buf_addc(b, ')');
		return;
	}
	case PN_WORD:
		dd_buf_adds(b, n->value);
		return;
	case PN_PHRASE:
		print_quoted(b, n->value);
		return;
	default:
		break;
	}
	dd_buf_printf(b, "~%c", term_of(n->kind)->letter);
	switch (n->kind) {
	case PN_STATUS:
		dd_buf_printf(b, " %s", n->status < 0 ? "open" : dd_rs_code((dd_report_status)n->status));
		break;
	case PN_DISTRICT:
		if (n->none) {
			dd_buf_adds(b, " none");
			break;
		}
		/* fall through */
	case PN_CATEGORY:
	case PN_OFFICER:
	case PN_REPORTER:
		dd_buf_addc(b, ' ');
		print_value(b, n->value);
		break;
	case PN_PRIORITY:
		if (n->op == '=')
			dd_buf_printf(b, " %d", n->a);
		else if (n->op == '-')
			dd_buf_printf(b, " %d-%d", n->a, n->b);
		else
			dd_buf_printf(b, " %c%d", n->op, n->a);
		break;
	case PN_AGE:
		dd_buf_printf(b, " %c%lld%c", n->op, (long long)n->num, n->unit);
		break;
	default:
		break;
	}
}

char *dd_pattern_text(const dd_pattern *p)
{
	dd_buf b = {0};
	if (p && p->root)
		print_node(&b, p->root);
	return dd_buf_take(&b);
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
