/* Reading the messenger fixtures: the copies in tests/data/fixtures (so
 * that the tarball is self-contained), else $SHARED/fixtures. */
#ifndef DUTYDESK_TEST_FIXTURE_H
#define DUTYDESK_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "dutydesk/common.h"

/* The whole file name ("whatsapp/text.json"); fails the test when missing.
 * Caller frees. */
static inline char *fixture(const char *name, size_t *len)
{
	const char *bases[2] = {getenv("SRCDIR"), getenv("SHARED")};
	const char *subs[2] = {"tests/data/fixtures", "fixtures"};
	for (int i = 0; i < 2; i++) {
		if (!bases[i] || !*bases[i])
			continue;
		char *p = dd_xasprintf("%s/%s/%s", bases[i], subs[i], name);
		FILE *f = fopen(p, "rb");
		free(p);
		if (!f)
			continue;
		dd_buf b = {0};
		char chunk[4096];
		size_t n;
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			dd_buf_add(&b, chunk, n);
		fclose(f);
		/* the files end with a newline; the bodies as sent do not matter */
		if (len)
			*len = b.len;
		return dd_buf_take(&b);
	}
	fail_msg("fixture %s not found (set SRCDIR or SHARED)", name);
	return NULL;
}

#endif
