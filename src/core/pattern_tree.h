/* Inside the core only: the tree a limit pattern parses into, shared by
 * the parser (pattern.c) and the SQL compiler (pattern_sql.c). */
#ifndef DUTYDESK_PATTERN_TREE_H
#define DUTYDESK_PATTERN_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
