/* Inside the core only: limit patterns compiled to SQL, and the case fold
 * their substring terms match with. */
#ifndef DUTYDESK_PATTERN_SQL_H
#define DUTYDESK_PATTERN_SQL_H

#include <sqlite3.h>
#include "dutydesk/db.h"
#include "dutydesk/pattern.h"

/* One value for a named parameter (":p1", ":p2", ...) of a compiled
 * pattern. */
struct dd_pattern_value {
	char name[16];
	char *text; /* NULL: an integer */
	int64_t num;
};

struct dd_pattern_binds {
	struct dd_pattern_value *v;
	size_t n, cap;
};

/*
 * Appends to sql a condition on the reports row "r" that holds when the
 * pattern matches, and adds the values of its parameters to binds (start
 * with both zeroed; the caller frees both, also on failure). Districts and
 * categories are looked up now: an unknown one fails with DD_EINVAL. tags
 * (ntags ids, may be NULL) is the set ~t matches; ~a counts from
 * dd_now_ms(). The condition reads the tables by their names, so the
 * statement must not give another table the alias "r".
 */
dd_status dd_pattern_where(dd_db *db, const dd_pattern *p, const int64_t *tags, size_t ntags,
			   dd_buf *sql, struct dd_pattern_binds *binds, dd_err *err);
/* Binds the values to the statement's parameters of the same names. */
void dd_pattern_bind(sqlite3_stmt *st, const struct dd_pattern_binds *b);
void dd_pattern_binds_free(struct dd_pattern_binds *b);

/*
 * The case fold of patterns: lower-cases A-Z, Cyrillic А-Я, the Kazakh
 * letters Ә Ғ Қ Ң Ө Ұ Ү Һ І, and Є Ї Ў; folds Ё and ё to е, as the
 * full-text index does. Every mapping keeps the length in bytes, and any
 * other byte (invalid UTF-8 too) is copied as it is. Caller frees.
 */
char *dd_fold(const char *s);
/* Registers dd_fold(text) as a deterministic SQL function on h; returns an
 * SQLite result code. */
int dd_fold_register(sqlite3 *h);

#endif
