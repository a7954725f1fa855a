/*
 * libFuzzer target: the limit-pattern parser (pattern.h). For any text:
 *   - a refused pattern has a status of DD_EINVAL, an error position inside
 *     the text and a message starting "column N: ";
 *   - an accepted one has a normalised text form that parses again, to the
 *     same normalised text (parse(text(p)) gives text(p)).
 */
#include <config.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dutydesk/common.h"
#include "dutydesk/pattern.h"

#define FUZZ_NAME "fuzz_pattern"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return -1;
	char *text = dd_xstrndup((const char *)data, size);
	size_t tlen = strlen(text);
	dd_pattern *p = NULL;
	size_t errpos = SIZE_MAX;
	dd_err err = {0};
	dd_status s = dd_pattern_parse(text, &p, &errpos, &err);
	if (s != DD_OK) {
		CHECK(p == NULL, "a pattern returned with status %d", (int)s);
		CHECK(s == DD_EINVAL, "status %s for '%s': %s", dd_status_name(s), text, err.msg);
		CHECK(errpos <= tlen, "error position %zu past the end (%zu) of '%s'", errpos, tlen,
		      text);
		CHECK(strncmp(err.msg, "column ", 7) == 0, "message '%s' for '%s'", err.msg, text);
		free(text);
		return 0;
	}
	CHECK(p != NULL, "DD_OK without a pattern for '%s'", text);
	char *t1 = dd_pattern_text(p);
	CHECK(t1 != NULL, "no text for '%s'", text);
	bool tags = dd_pattern_uses_tags(p);

	dd_pattern *p2 = NULL;
	dd_err err2 = {0};
	size_t pos2 = 0;
	s = dd_pattern_parse(t1, &p2, &pos2, &err2);
	CHECK(s == DD_OK, "the normalised text '%s' of '%s' does not parse: %s", t1, text,
	      err2.msg);
	char *t2 = dd_pattern_text(p2);
	CHECK(strcmp(t1, t2) == 0, "'%s' -> '%s' -> '%s'", text, t1, t2);
	CHECK(dd_pattern_uses_tags(p2) == tags, "uses_tags changed for '%s' -> '%s'", text, t1);
	free(t2);
	free(t1);
	dd_pattern_free(&p2);
	dd_pattern_free(&p);
	CHECK(p == NULL, "dd_pattern_free did not clear the pointer");
	free(text);
	return 0;
}
