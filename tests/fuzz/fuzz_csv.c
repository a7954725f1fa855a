/*
 * libFuzzer target: the CSV reader (csv.h). For any bytes:
 *   - every field returned is valid UTF-8 without a NUL byte, and record
 *     lines only grow;
 *   - an error is "NAME:LINE: what" and stays (the next call fails too);
 *   - the records read, written back with dd_csv_quote, read back the same
 *     (the importer's own export path relies on this).
 */
#include <config.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dutydesk/common.h"
#include "dutydesk/csv.h"

#define FUZZ_NAME "fuzz_csv"
#include "fuzz.h"

static bool valid_utf8(const unsigned char *s)
{
	while (*s) {
		size_t need;
		uint32_t v, min;
		if (*s < 0x80) {
			s++;
			continue;
		} else if (*s >= 0xC2 && *s < 0xE0) {
			need = 1, v = *s & 0x1F, min = 0x80;
		} else if (*s >= 0xE0 && *s < 0xF0) {
			need = 2, v = *s & 0x0F, min = 0x800;
		} else if (*s >= 0xF0 && *s < 0xF5) {
			need = 3, v = *s & 0x07, min = 0x10000;
		} else {
			return false;
		}
		for (size_t i = 1; i <= need; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return false;
			v = v << 6 | (s[i] & 0x3F);
		}
		if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			return false;
		s += need + 1;
	}
	return true;
}

/* All records of a reader, each field copied; NULL-terminated lists. */
typedef struct rec {
	char **f;
	size_t n;
} rec;

static rec *read_all(dd_csv *c, size_t *nrec, bool *failed, dd_err *err)
{
	rec *recs = NULL;
	size_t cap = 0;
	char **fields;
	size_t n;
	int r;
	long last_line = 0;
	*nrec = 0;
	while ((r = dd_csv_next(c, &fields, &n, err)) == 1) {
		CHECK(n >= 1, "a record without fields");
		CHECK(dd_csv_line(c) > last_line, "record line %ld after %ld", dd_csv_line(c),
		      last_line);
		last_line = dd_csv_line(c);
		rec *rc = dd_vec_push(&recs, nrec, &cap, sizeof *recs);
		rc->n = n;
		rc->f = dd_xcalloc(n, sizeof *rc->f);
		for (size_t i = 0; i < n; i++) {
			CHECK(fields[i] != NULL, "field %zu NULL", i);
			CHECK(valid_utf8((const unsigned char *)fields[i]), "field %zu not UTF-8", i);
			rc->f[i] = dd_xstrdup(fields[i]);
		}
	}
	*failed = r < 0;
	return recs;
}

static void free_all(rec *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < recs[i].n; k++)
			free(recs[i].f[k]);
		free(recs[i].f);
	}
	free(recs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dd_csv *c = dd_csv_new((const char *)data, size, "fuzz.csv");
	dd_err err = {0};
	size_t nrec;
	bool failed;
	rec *recs = read_all(c, &nrec, &failed, &err);
	if (failed) {
		CHECK(err.status == DD_EINVAL, "error status %d", (int)err.status);
		CHECK(strncmp(err.msg, "fuzz.csv:", 9) == 0, "message '%s'", err.msg);
		char **fields;
		size_t n;
		dd_err again = {0};
		CHECK(dd_csv_next(c, &fields, &n, &again) == -1, "a second call after an error");
		CHECK(strcmp(again.msg, err.msg) == 0, "'%s' then '%s'", err.msg, again.msg);
	}
	dd_csv_free(&c);
	CHECK(c == NULL, "dd_csv_free did not clear the pointer");

	/* write what was read, read it back: the same records */
	dd_buf out = {0};
	dd_buf_add(&out, "\xef\xbb\xbf", 3); /* a field may start with U+FEFF itself */
	for (size_t i = 0; i < nrec; i++) {
		for (size_t k = 0; k < recs[i].n; k++) {
			if (k)
				dd_buf_addc(&out, ',');
			dd_csv_quote(&out, recs[i].f[k]);
		}
		dd_buf_add(&out, i % 2 ? "\r\n" : "\n", i % 2 ? 2 : 1);
	}
	dd_csv *c2 = dd_csv_new(out.data, out.len, "again.csv");
	size_t nrec2;
	bool failed2;
	rec *recs2 = read_all(c2, &nrec2, &failed2, &err);
	CHECK(!failed2, "the written records do not read back: %s", err.msg);
	CHECK(nrec2 == nrec, "%zu records written, %zu read back", nrec, nrec2);
	for (size_t i = 0; i < nrec; i++) {
		CHECK(recs2[i].n == recs[i].n, "record %zu: %zu fields, then %zu", i, recs[i].n,
		      recs2[i].n);
		for (size_t k = 0; k < recs[i].n; k++)
			CHECK(strcmp(recs[i].f[k], recs2[i].f[k]) == 0, "record %zu field %zu: '%s' then '%s'",
			      i, k, recs[i].f[k], recs2[i].f[k]);
	}
	dd_csv_free(&c2);
	dd_buf_free(&out);
	free_all(recs, nrec);
	free_all(recs2, nrec2);
	return 0;
}
