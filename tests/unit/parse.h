/* Parsing helpers for the messenger parsers' tests: define PARSE (the
 * adapter's parse function, wa_parse_webhook or tg_parse_updates) before
 * including. */
#ifndef DUTYDESK_TEST_PARSE_H
#define DUTYDESK_TEST_PARSE_H

#include <string.h>

#include "fixture.h"
#include "../../src/gateway/adapters.h"

/* The body parsed, or the test fails saying why. */
static gw_batch parse_ok(const char *body)
{
	gw_batch b;
	dd_err err = {0};
	if (PARSE(body, strlen(body), &b, &err))
		fail_msg("parse: %s", err.msg);
	return b;
}

/* A fixture ("whatsapp/text.json") parsed. */
static gw_batch parse_fixture(const char *name)
{
	size_t len;
	char *body = fixture(name, &len);
	gw_batch b;
	dd_err err = {0};
	if (PARSE(body, len, &b, &err))
		fail_msg("%s: %s", name, err.msg);
	free(body);
	return b;
}

/* The body refused as a whole, the message saying words, nothing kept. */
static void parse_fails(const char *body, size_t len, const char *words)
{
	gw_batch b;
	dd_err err = {0};
	assert_int_equal(PARSE(body, len, &b, &err), DD_EINVAL);
	if (!strstr(err.msg, words))
		fail_msg("error '%s' does not say '%s'", err.msg, words);
	assert_int_equal(b.nmsgs, 0);
	gw_batch_free(&b);
}

#endif
