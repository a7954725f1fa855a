/* The WhatsApp webhook parser: every fixture, batches, and bodies that are
 * broken in every way we could think of. */
#include <config.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/hmac.h>

#define PARSE wa_parse_webhook
#include "parse.h"
#include "../../src/gateway/server.h"

static void text_fixture(void **state)
{
	(void)state;
	gw_batch b = parse_fixture("whatsapp/text.json");
	assert_int_equal(b.nmsgs, 1);
	assert_int_equal(b.nstatuses, 0);
	const dd_inbound *in = &b.msgs[0].in;
	assert_string_equal(in->channel, "whatsapp");
	assert_int_equal(in->kind, DD_IN_TEXT);
	assert_string_equal(in->sender, "77051230001");
	assert_string_equal(in->sender_name, "Гульнара Касымова");
	assert_string_equal(in->external_id,
			    "wamid.HBgLNzcwNTEyMzAwMDEVAgASGBQzQUIxMjM0NTY3ODkwQUJDREVGAA==");
	assert_true(in->at == INT64_C(1764321000000));
	assert_non_null(strstr(in->text, "В подъезде №3 дома 143"));
	assert_null(in->context_id);
	assert_non_null(strstr(in->raw, "whatsapp_business_account"));
	assert_null(b.msgs[0].callback_id);
	gw_batch_free(&b);
}

static void image_fixture(void **state)
{
	(void)state;
	gw_batch b = parse_fixture("whatsapp/image.json");
	assert_int_equal(b.nmsgs, 1);
	const dd_inbound *in = &b.msgs[0].in;
	assert_int_equal(in->kind, DD_IN_IMAGE);
	assert_string_equal(in->media_id, "1093380000000001");
	assert_string_equal(in->media_mime, "image/jpeg");
	assert_string_equal(in->media_sha256, "q1m1y9x3b8dQy1+3Z7kPp0oXv5mQ2r8f4Jc6nW0tL9E=");
	assert_non_null(strstr(in->text, "Мусор у контейнерной площадки"));
	assert_string_equal(in->sender_name, "Серик Жумабаев");
	gw_batch_free(&b);
}

static void location_fixture(void **state)
{
	(void)state;
	gw_batch b = parse_fixture("whatsapp/location.json");
	const dd_inbound *in = &b.msgs[0].in;
	assert_int_equal(in->kind, DD_IN_LOCATION);
	assert_true(in->has_location);
	assert_true(in->lat > 52.285 && in->lat < 52.286);
	assert_true(in->lon > 76.959 && in->lon < 76.960);
	assert_string_equal(in->loc_name, "Двор дома 143");
	assert_string_equal(in->loc_address, "ул. Естая 143, Павлодар");
	gw_batch_free(&b);
}

static void officer_reply_fixture(void **state)
{
	(void)state;
	gw_batch b = parse_fixture("whatsapp/officer_reply.json");
	const dd_inbound *in = &b.msgs[0].in;
	assert_int_equal(in->kind, DD_IN_TEXT);
	assert_string_equal(in->text, "1");
	assert_string_equal(in->context_id, "wamid.OUTBOUND0000000000000000000001");
	assert_string_equal(in->sender, "77773330017");
	gw_batch_free(&b);
}

static void button_reply_fixture(void **state)
{
	(void)state;
	gw_batch b = parse_fixture("whatsapp/button_reply.json");
	const dd_inbound *in = &b.msgs[0].in;
	assert_int_equal(in->kind, DD_IN_INTERACTIVE);
	assert_string_equal(in->payload, "onsite:1041");
	assert_string_equal(in->text, "На месте");
	assert_string_equal(in->context_id, "wamid.OUTBOUND0000000000000000000001");
	gw_batch_free(&b);
}

static void status_fixtures(void **state)
{
	(void)state;
	gw_batch b = parse_fixture("whatsapp/status_delivered.json");
	assert_int_equal(b.nmsgs, 0);
	assert_int_equal(b.nstatuses, 1);
	assert_string_equal(b.statuses[0].external_id, "wamid.OUTBOUND0000000000000000000001");
	assert_string_equal(b.statuses[0].state, "delivered");
	assert_int_equal(b.statuses[0].error_code, 0);
	gw_batch_free(&b);

	b = parse_fixture("whatsapp/status_failed_131047.json");
	assert_int_equal(b.nstatuses, 1);
	assert_string_equal(b.statuses[0].state, "failed");
	assert_int_equal(b.statuses[0].error_code, 131047);
	assert_non_null(strstr(b.statuses[0].error, "24 hours"));
	gw_batch_free(&b);
}

/* Bodies that are no webhooks at all: the send response and an error. */
static void other_fixtures_are_refused(void **state)
{
	(void)state;
	const char *names[] = {"whatsapp/send_response.json", "whatsapp/error_130429.json"};
	for (size_t i = 0; i < 2; i++) {
		size_t len;
		char *body = fixture(names[i], &len);
		parse_fails(body, len, "not a WhatsApp webhook");
		free(body);
	}
}

static void batch_of_entries_changes_messages_statuses(void **state)
{
	(void)state;
	gw_batch b = parse_ok(
		"{\"object\":\"whatsapp_business_account\",\"entry\":["
		"{\"id\":\"1\",\"changes\":[{\"field\":\"messages\",\"value\":{"
		"\"contacts\":[{\"profile\":{\"name\":\"A\"},\"wa_id\":\"7001\"},"
		"{\"profile\":{\"name\":\"B\"},\"wa_id\":\"7002\"}],"
		"\"messages\":["
		"{\"from\":\"7001\",\"id\":\"m1\",\"timestamp\":\"1700000000\",\"type\":\"text\",\"text\":{\"body\":\"one\"}},"
		"{\"from\":\"7002\",\"id\":\"m2\",\"timestamp\":\"1700000001\",\"type\":\"video\",\"video\":{\"id\":\"v1\",\"mime_type\":\"video/mp4\"}}]}},"
		"{\"field\":\"messages\",\"value\":{\"statuses\":["
		"{\"id\":\"o1\",\"status\":\"sent\"},{\"id\":\"o2\",\"status\":\"read\"}]}}]},"
		"{\"id\":\"2\",\"changes\":[{\"field\":\"messages\",\"value\":{\"messages\":["
		"{\"from\":\"7003\",\"id\":\"m3\",\"type\":\"audio\",\"audio\":{\"id\":\"a1\"}},"
		"{\"from\":\"7003\",\"id\":\"m4\",\"type\":\"document\",\"document\":{\"id\":\"d1\",\"filename\":\"act.pdf\",\"caption\":\"акт\"}},"
		"{\"from\":\"7003\",\"id\":\"m5\",\"type\":\"button\",\"button\":{\"payload\":\"done:7\",\"text\":\"Готово\"}}]}}]}]}");
	assert_int_equal(b.nmsgs, 5);
	assert_int_equal(b.nstatuses, 2);
	assert_string_equal(b.msgs[0].in.sender_name, "A");
	assert_string_equal(b.msgs[1].in.sender_name, "B");
	assert_int_equal(b.msgs[1].in.kind, DD_IN_VIDEO);
	assert_string_equal(b.msgs[1].in.media_id, "v1");
	assert_null(b.msgs[2].in.sender_name);
	assert_int_equal(b.msgs[2].in.kind, DD_IN_AUDIO);
	assert_int_equal(b.msgs[3].in.kind, DD_IN_DOCUMENT);
	assert_string_equal(b.msgs[3].in.media_filename, "act.pdf");
	assert_string_equal(b.msgs[3].in.text, "акт");
	assert_int_equal(b.msgs[4].in.kind, DD_IN_BUTTON);
	assert_string_equal(b.msgs[4].in.payload, "done:7");
	assert_string_equal(b.statuses[1].state, "read");
	assert_int_equal(b.nskipped, 0);
	gw_batch_free(&b);
}

static void unknown_types_are_unsupported(void **state)
{
	(void)state;
	gw_batch b = parse_ok(
		"{\"entry\":[{\"changes\":[{\"value\":{\"messages\":["
		"{\"from\":\"7001\",\"id\":\"s1\",\"type\":\"sticker\",\"sticker\":{\"id\":\"x\"}},"
		"{\"from\":\"7001\",\"id\":\"s2\",\"type\":\"unsupported\",\"unsupported\":{\"type\":\"edit\"},"
		"\"errors\":[{\"code\":131051,\"title\":\"Message type unknown\"}]},"
		"{\"from\":\"7001\",\"id\":\"s3\",\"type\":\"reaction\",\"reaction\":{\"emoji\":\"👍\"}},"
		"{\"from\":\"7001\",\"id\":\"s4\"},"
		"{\"from\":\"7001\",\"id\":\"s5\",\"type\":\"interactive\",\"interactive\":{\"type\":\"nfm_reply\"}}"
		"]}}]}]}");
	assert_int_equal(b.nmsgs, 5);
	const char *want[] = {"sticker", "edit", "reaction", "unknown", "nfm_reply"};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(b.msgs[i].in.kind, DD_IN_UNSUPPORTED);
		assert_string_equal(b.msgs[i].in.unsupported_type, want[i]);
		assert_non_null(strstr(b.msgs[i].in.raw, "sticker")); /* the whole body kept */
	}
	gw_batch_free(&b);
}

static void missing_fields_and_wrong_types(void **state)
{
	(void)state;
	gw_batch b = parse_ok(
		"{\"object\":\"whatsapp_business_account\",\"entry\":[7, {\"changes\":\"x\"},"
		"{\"changes\":[null, {\"value\":[]}, {\"field\":\"account_update\",\"value\":{}},"
		"{\"value\":{\"contacts\":{\"x\":1},\"messages\":["
		"{\"id\":\"n1\",\"type\":\"text\",\"text\":{\"body\":\"no sender\"}},"
		"{\"from\":\"7001\",\"type\":\"text\"},"
		"{\"from\":7001,\"id\":\"n3\",\"type\":\"text\"},"
		"{\"from\":\"7001\",\"id\":42,\"type\":\"text\"},"
		"\"a string\","
		"{\"from\":\"7001\",\"id\":\"ok1\",\"timestamp\":[1],\"type\":\"text\",\"text\":{\"body\":5}},"
		"{\"from\":\"7001\",\"id\":\"ok2\",\"timestamp\":\"soon\",\"type\":\"location\","
		"\"location\":{\"latitude\":\"52\",\"longitude\":76}},"
		"{\"from\":\"7001\",\"id\":\"ok3\",\"type\":\"location\",\"location\":{\"latitude\":500,\"longitude\":76}},"
		"{\"from\":\"7001\",\"id\":\"ok4\",\"type\":\"image\",\"image\":\"nope\"},"
		"{\"from\":\"7001\",\"id\":\"ok5\",\"type\":7,\"context\":{\"id\":9}}"
		"],\"statuses\":[{\"id\":\"x\"},{\"status\":\"read\"},{\"id\":\"y\",\"status\":\"exploded\"},"
		"{\"id\":\"z\",\"status\":\"failed\",\"errors\":\"bad\"}]}}]}]}");
	assert_int_equal(b.nmsgs, 5);
	assert_string_equal(b.msgs[0].in.external_id, "ok1");
	assert_null(b.msgs[0].in.text);
	assert_int_equal(b.msgs[0].in.at, 0);
	assert_int_equal(b.msgs[1].in.kind, DD_IN_LOCATION);
	assert_false(b.msgs[1].in.has_location);
	assert_false(b.msgs[2].in.has_location);
	assert_int_equal(b.msgs[3].in.kind, DD_IN_IMAGE);
	assert_null(b.msgs[3].in.media_id);
	assert_int_equal(b.msgs[4].in.kind, DD_IN_UNSUPPORTED);
	assert_null(b.msgs[4].in.context_id);
	assert_null(b.msgs[0].in.sender_name);
	assert_int_equal(b.nstatuses, 1);
	assert_string_equal(b.statuses[0].external_id, "z");
	assert_int_equal(b.statuses[0].error_code, 0);
	/* every part left out is said */
	assert_true(b.nskipped >= 9);
	assert_non_null(strstr(b.skipped.data, "no usable sender"));
	assert_non_null(strstr(b.skipped.data, "no usable id"));
	assert_non_null(strstr(b.skipped.data, "unknown status"));
	gw_batch_free(&b);
}

static void huge_strings(void **state)
{
	(void)state;
	size_t n = 100 * 1024;
	dd_buf body = {0};
	dd_buf_adds(&body, "{\"entry\":[{\"changes\":[{\"value\":{\"messages\":[{\"from\":\"7001\","
			   "\"id\":\"big\",\"type\":\"text\",\"text\":{\"body\":\"");
	for (size_t i = 0; i < n / 2; i++)
		dd_buf_adds(&body, "ж"); /* two bytes each */
	dd_buf_adds(&body, "\"}},{\"from\":\"7001\",\"id\":\"");
	for (size_t i = 0; i < 1000; i++)
		dd_buf_addc(&body, 'i');
	dd_buf_adds(&body, "\",\"type\":\"text\"}]}}]}]}");
	gw_batch b;
	dd_err err = {0};
	assert_int_equal(wa_parse_webhook(body.data, body.len, &b, &err), DD_OK);
	assert_int_equal(b.nmsgs, 1); /* the 1000-byte id is not an id */
	assert_int_equal(strlen(b.msgs[0].in.text), n);
	assert_int_equal(b.nskipped, 1);
	gw_batch_free(&b);
	dd_buf_free(&body);
}

static void broken_bodies(void **state)
{
	(void)state;
	parse_fails("", 0, "invalid JSON: the body is empty");
	parse_fails("{\"entry\":", 9, "invalid JSON");
	parse_fails("[1,2]", 5, "not a JSON object");
	parse_fails("{}", 2, "no \"entry\" array");
	parse_fails("{\"entry\":{}}", 12, "no \"entry\" array");
	parse_fails("{\"object\":\"page\",\"entry\":[]}", 28, "not a WhatsApp webhook");
	/* invalid UTF-8 inside a string: refused, with a clear error */
	const char bad[] = "{\"entry\":[{\"changes\":[{\"value\":{\"messages\":[{\"from\":\"7001\","
			   "\"id\":\"u\",\"type\":\"text\",\"text\":{\"body\":\"\xff\xfe\xc3\"}}]}}]}]}";
	parse_fails(bad, sizeof bad - 1, "invalid JSON");
	/* a NUL inside the body */
	const char nul[] = "{\"entry\":[]}\0trailing";
	parse_fails(nul, sizeof nul - 1, "invalid JSON");
	/* \u0000 inside a string */
	parse_fails("{\"entry\":[\"\\u0000\"]}", 20, "invalid JSON");
	/* nesting far deeper than any webhook */
	dd_buf deep = {0};
	for (int i = 0; i < 100000; i++)
		dd_buf_addc(&deep, '[');
	parse_fails(deep.data, deep.len, "invalid JSON");
	dd_buf_free(&deep);
}

static void signature(void **state)
{
	(void)state;
	const char *body = "{\"entry\":[]}";
	unsigned char md[32];
	unsigned int mdlen = 0;
	HMAC(EVP_sha256(), "s3cret", 6, (const unsigned char *)body, strlen(body), md, &mdlen);
	char hdr[80] = "sha256=";
	for (int i = 0; i < 32; i++)
		snprintf(hdr + 7 + 2 * i, 3, "%02x", md[i]);
	assert_true(gw_wa_signature_ok(hdr, body, strlen(body), "s3cret"));
	assert_false(gw_wa_signature_ok(hdr, body, strlen(body), "other"));
	assert_false(gw_wa_signature_ok(hdr, "{\"entry\":[ ]}", 13, "s3cret"));
	assert_false(gw_wa_signature_ok(NULL, body, strlen(body), "s3cret"));
	assert_false(gw_wa_signature_ok(hdr, body, strlen(body), NULL));
	assert_false(gw_wa_signature_ok(hdr, body, strlen(body), ""));
	assert_false(gw_wa_signature_ok(hdr + 7, body, strlen(body), "s3cret"));
	char upper[80];
	snprintf(upper, sizeof upper, "%s", hdr);
	for (char *p = upper + 7; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_true(gw_wa_signature_ok(upper, body, strlen(body), "s3cret"));
	hdr[70] = hdr[70] == '0' ? '1' : '0';
	assert_false(gw_wa_signature_ok(hdr, body, strlen(body), "s3cret"));
	assert_true(gw_secret_equal("tok", "tok"));
	assert_false(gw_secret_equal("tok", "tok2"));
	assert_false(gw_secret_equal("", ""));
	assert_false(gw_secret_equal(NULL, "x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_fixture),
		cmocka_unit_test(image_fixture),
		cmocka_unit_test(location_fixture),
		cmocka_unit_test(officer_reply_fixture),
		cmocka_unit_test(button_reply_fixture),
		cmocka_unit_test(status_fixtures),
		cmocka_unit_test(other_fixtures_are_refused),
		cmocka_unit_test(batch_of_entries_changes_messages_statuses),
		cmocka_unit_test(unknown_types_are_unsupported),
		cmocka_unit_test(missing_fields_and_wrong_types),
		cmocka_unit_test(huge_strings),
		cmocka_unit_test(broken_bodies),
		cmocka_unit_test(signature),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
