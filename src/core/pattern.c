/*
 * Limit patterns: parsed into a small tree and printed back in a normalised
 * form (pattern_sql.c compiles the tree into a condition on reports).
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

/* Bounds that keep the parser's recursion and SQLite's expression depth
 * (1000) far away, whatever is typed or pasted. */
#define MAX_DEPTH 32
#define MAX_TERMS 200


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
