/*
 * The console's limit patterns, in the manner of mutt:
 *
 *   ~s STATUS    status code, or "open" for any open status
 *   ~d DISTRICT  district code (case-insensitive), or "none" for unrouted
 *   ~c CATEGORY  category code
 *   ~p N         priority: N, <N, >N, N-M
 *   ~o OFFICER   officer badge, or part of the name (case-insensitive, Cyrillic too)
 *   ~r REPORTER  part of the reporter's name or phone, the organisation's
 *                name, or the sender's profile name or number
 *   ~a AGE       age: >30m (older than), <2h (newer than); units s m h d w
 *   ~u           unassigned
 *   ~t           tagged (the caller's tag set)
 *   word         full-text: the word as a prefix; "two words" a phrase
 *   a b          both;  a | b  either;  !a  not;  ( )  grouping
 *
 * Values may be quoted ("КСК Жулдыз"); inside quotes \" and \\ stand for
 * " and \. A value with a space or ( ) | ", or starting with ~ or !, must
 * be. AND binds tighter than |. Substring terms, districts and categories
 * ignore case in Latin, Cyrillic and Kazakh letters and take ё as е; a
 * badge is matched exactly. Districts and categories are checked against
 * the database when the pattern is used (report.h: dd_report_filter).
 */
#ifndef DUTYDESK_PATTERN_H
#define DUTYDESK_PATTERN_H

#include "dutydesk/common.h"

typedef struct dd_pattern dd_pattern;

/*
 * Parses text. On a bad pattern returns DD_EINVAL, *errpos (may be NULL)
 * gets the byte offset where it is wrong, and err->msg says what, starting
 * "column N: " (N = 1-based column in characters), e.g.
 * "column 4: unknown status 'nw' (new, assigned, acknowledged, on_site,
 * resolved, closed, rejected, duplicate, open)".
 */
dd_status dd_pattern_parse(const char *text, dd_pattern **out, size_t *errpos, dd_err *err);
void dd_pattern_free(dd_pattern **p);

/* The pattern in a normalised text form: parsing it gives the same
 * pattern. Caller frees. */
char *dd_pattern_text(const dd_pattern *p);

/* Does the pattern use ~t (so the caller must pass its tag set)? */
bool dd_pattern_uses_tags(const dd_pattern *p);

#endif
