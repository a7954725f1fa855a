/* RFC 4180 CSV reader for imports: UTF-8, header row, quoted fields with
 * embedded commas, quotes ("") and newlines, LF or CRLF line ends. */
#ifndef DUTYDESK_CSV_H
#define DUTYDESK_CSV_H

#include <stddef.h>
#include "dutydesk/common.h"

typedef struct dd_csv dd_csv;

/* Reads from memory; name is used in messages ("FILE:LINE: ..."). The data
 * is copied. A leading UTF-8 BOM is skipped. */
dd_csv *dd_csv_new(const char *data, size_t len, const char *name);
/* Reads the whole file (or standard input when path is "-"). */
dd_status dd_csv_open(dd_csv **out, const char *path, dd_err *err);
void dd_csv_free(dd_csv **c);

/*
 * Reads the next record. Returns 1 and sets *fields and *n (valid until the next
 * call), 0 at the end, -1 on a syntax error with err->msg as
 * "NAME:LINE: what is wrong" (bare quote in an unquoted field, text after a
 * closing quote, a quote never closed, invalid UTF-8, a NUL byte).
 * A completely empty line is skipped.
 */
int dd_csv_next(dd_csv *c, char ***fields, size_t *n, dd_err *err);
/* The line on which the record last returned starts (1-based). */
long dd_csv_line(const dd_csv *c);
const char *dd_csv_name(const dd_csv *c);

/* Appends s to b as one CSV field (quoted when it needs to be). */
struct dd_buf;
void dd_csv_quote(struct dd_buf *b, const char *s);

#endif
