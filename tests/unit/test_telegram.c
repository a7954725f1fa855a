/* The Telegram update parser: every fixture, getUpdates answers, and broken
 * updates. */
#include <config.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define PARSE tg_parse_updates
#include "parse.h"

static void text_fixture(void **state)
{
	(void)state;
	gw_batch b = parse_fixture("telegram/text.json");
	assert_int_equal(b.nmsgs, 1);
	const dd_inbound *in = &b.msgs[0].in;
	assert_string_equal(in->channel, "telegram");
	assert_int_equal(in->kind, DD_IN_TEXT);
	assert_string_equal(in->sender, "5200000101");
	assert_string_equal(in->sender_name, "Марат Ахметов");
	assert_string_equal(in->external_id, "5200000101:311");
	assert_true(in->at == INT64_C(1764323000000));
	assert_non_null(strstr(in->text, "Ломбард \"Алтын\""));
	assert_non_null(strstr(in->raw, "700000101"));
	assert_int_equal(b.last_update_id, 700000101);
	gw_batch_free(&b);
}

static void photo_fixture_takes_the_largest(void **state)
{
	(void)state;
	gw_batch b = parse_fixture("telegram/photo.json");
	const dd_inbound *in = &b.msgs[0].in;
	assert_int_equal(in->kind, DD_IN_IMAGE);
	assert_string_equal(in->media_id, "AgACAgIAAxkBAAIBOGZ0large");
	assert_string_equal(in->media_mime, "image/jpeg");
	assert_string_equal(in->text, "Фото кольца и гравировки");
	assert_string_equal(in->sender_name, "Марат");
	gw_batch_free(&b);
}

static void location_fixture(void **state)
{
	(void)state;
	gw_batch b = parse_fixture("telegram/location.json");
	const dd_inbound *in = &b.msgs[0].in;
	assert_int_equal(in->kind, DD_IN_LOCATION);
	assert_true(in->has_location);
	assert_true(in->lat > 52.287 && in->lat < 52.288);
	assert_true(in->lon > 76.967 && in->lon < 76.968);
	gw_batch_free(&b);
}

static void callback_fixture(void **state)
{
	(void)state;
	gw_batch b = parse_fixture("telegram/callback_query.json");
	assert_int_equal(b.nmsgs, 1);
	const gw_message *m = &b.msgs[0];
	assert_int_equal(m->in.kind, DD_IN_BUTTON);
	assert_string_equal(m->in.payload, "ack:1041");
	assert_string_equal(m->callback_id, "4382000000000000104");
	assert_string_equal(m->in.external_id, "cb:4382000000000000104");
	assert_string_equal(m->in.sender, "5300000017");
	assert_string_equal(m->in.context_id, "5300000017:900");
	gw_batch_free(&b);
}

static void getupdates_with_an_edit(void **state)
{
	(void)state;
	gw_batch b = parse_fixture("telegram/getupdates_response.json");
	assert_int_equal(b.nmsgs, 2);
	assert_int_equal(b.last_update_id, 700000106);
	assert_int_equal(b.msgs[0].in.kind, DD_IN_TEXT);
	assert_string_equal(b.msgs[0].in.external_id, "5200000222:314");
	assert_non_null(strstr(b.msgs[0].in.raw, "700000105"));
	assert_null(strstr(b.msgs[0].in.raw, "700000106")); /* each update its own evidence */
	const dd_inbound *e = &b.msgs[1].in;
	assert_int_equal(e->kind, DD_IN_EDITED);
	assert_string_equal(e->edit_of, "5200000222:314");
	assert_string_equal(e->external_id, "5200000222:314:edit:1764323340");
	assert_non_null(strstr(e->text, "подъезд 2"));
	assert_non_null(strstr(e->raw, "edited_message"));
	gw_batch_free(&b);
}

static void error_answer_is_refused(void **state)
{
	(void)state;
	size_t len;
	char *body = fixture("telegram/error_429.json", &len);
	parse_fails(body, len, "not a Telegram update");
	free(body);
}

static void other_message_kinds(void **state)
{
	(void)state;
	gw_batch b = parse_ok(
		"{\"ok\":true,\"result\":["
		"{\"update_id\":1,\"message\":{\"message_id\":1,\"from\":{\"id\":9,\"username\":\"petya\"},"
		"\"chat\":{\"id\":9},\"date\":1,\"video\":{\"file_id\":\"V\",\"mime_type\":\"video/mp4\"},\"caption\":\"c\"}},"
		"{\"update_id\":2,\"message\":{\"message_id\":2,\"from\":{\"id\":9},\"date\":1,"
		"\"document\":{\"file_id\":\"D\",\"file_name\":\"a.pdf\",\"mime_type\":\"application/pdf\"}}},"
		"{\"update_id\":3,\"message\":{\"message_id\":3,\"from\":{\"id\":9},\"voice\":{\"file_id\":\"A\"}}},"
		"{\"update_id\":4,\"message\":{\"message_id\":4,\"from\":{\"id\":9},\"sticker\":{\"file_id\":\"S\"}}},"
		"{\"update_id\":5,\"message\":{\"message_id\":5,\"from\":{\"id\":9},\"venue\":{\"location\":"
		"{\"latitude\":1.5,\"longitude\":2.5},\"title\":\"Кафе\",\"address\":\"ул. 1\"}}},"
		"{\"update_id\":6,\"message\":{\"message_id\":6,\"from\":{\"id\":9},\"text\":\"ответ\","
		"\"reply_to_message\":{\"message_id\":77}}},"
		"{\"update_id\":7,\"message\":{\"message_id\":7,\"from\":{\"id\":9}}},"
		"{\"update_id\":8,\"my_chat_member\":{}}"
		"]}");
	assert_int_equal(b.nmsgs, 7);
	assert_int_equal(b.msgs[0].in.kind, DD_IN_VIDEO);
	assert_string_equal(b.msgs[0].in.media_id, "V");
	assert_string_equal(b.msgs[0].in.text, "c");
	assert_string_equal(b.msgs[0].in.sender_name, "@petya");
	assert_int_equal(b.msgs[1].in.kind, DD_IN_DOCUMENT);
	assert_string_equal(b.msgs[1].in.media_filename, "a.pdf");
	assert_string_equal(b.msgs[1].in.external_id, "9:2"); /* no chat: the sender's */
	assert_int_equal(b.msgs[2].in.kind, DD_IN_AUDIO);
	assert_int_equal(b.msgs[3].in.kind, DD_IN_UNSUPPORTED);
	assert_string_equal(b.msgs[3].in.unsupported_type, "sticker");
	assert_int_equal(b.msgs[4].in.kind, DD_IN_LOCATION);
	assert_true(b.msgs[4].in.has_location);
	assert_string_equal(b.msgs[4].in.loc_address, "ул. 1");
	assert_string_equal(b.msgs[5].in.context_id, "9:77");
	assert_int_equal(b.msgs[6].in.kind, DD_IN_UNSUPPORTED);
	assert_string_equal(b.msgs[6].in.unsupported_type, "unknown");
	assert_int_equal(b.nskipped, 1);
	assert_int_equal(b.last_update_id, 8);
	gw_batch_free(&b);
}

static void missing_fields_and_wrong_types(void **state)
{
	(void)state;
	gw_batch b = parse_ok(
		"{\"ok\":true,\"result\":[7, null, {\"message\":{}},"
		"{\"update_id\":\"x\"},"
		"{\"update_id\":10,\"message\":{\"from\":{\"id\":9},\"text\":\"no id\"}},"
		"{\"update_id\":11,\"message\":{\"message_id\":1,\"text\":\"no from\"}},"
		"{\"update_id\":12,\"message\":{\"message_id\":1,\"from\":{\"id\":\"9\"},\"text\":\"id as string\"}},"
		"{\"update_id\":13,\"message\":{\"message_id\":1,\"from\":{\"id\":-5},\"text\":\"negative\"}},"
		"{\"update_id\":14,\"message\":{\"message_id\":1,\"from\":{\"id\":6,\"is_bot\":true},\"text\":\"bot\"}},"
		"{\"update_id\":15,\"message\":{\"message_id\":2,\"from\":{\"id\":9,\"first_name\":5},"
		"\"text\":[1],\"date\":\"later\",\"photo\":[{\"width\":1},\"x\",{\"file_id\":\"P\",\"width\":\"9\"}]}},"
		"{\"update_id\":16,\"message\":{\"message_id\":3,\"from\":{\"id\":9},\"location\":{\"latitude\":\"1\"}}},"
		"{\"update_id\":17,\"callback_query\":{\"from\":{\"id\":9},\"data\":\"ack:1\"}},"
		"{\"update_id\":18,\"callback_query\":{\"id\":\"q\",\"data\":\"ack:1\"}},"
		"{\"update_id\":19,\"callback_query\":{\"id\":\"q2\",\"from\":{\"id\":9},\"data\":5}}"
		"]}");
	/* 12: "9" as a string still names the sender (WhatsApp-style numbers) */
	assert_int_equal(b.nmsgs, 4);
	assert_string_equal(b.msgs[0].in.sender, "9");
	assert_int_equal(b.msgs[1].in.kind, DD_IN_IMAGE);
	assert_string_equal(b.msgs[1].in.media_id, "P");
	assert_null(b.msgs[1].in.text);
	assert_null(b.msgs[1].in.sender_name);
	assert_int_equal(b.msgs[1].in.at, 0);
	assert_int_equal(b.msgs[2].in.kind, DD_IN_LOCATION);
	assert_false(b.msgs[2].in.has_location);
	assert_int_equal(b.msgs[3].in.kind, DD_IN_BUTTON);
	assert_null(b.msgs[3].in.payload);
	assert_int_equal(b.nskipped, 10);
	assert_non_null(strstr(b.skipped.data, "from a bot"));
	assert_non_null(strstr(b.skipped.data, "callback_query without id"));
	gw_batch_free(&b);
}

static void huge_text(void **state)
{
	(void)state;
	dd_buf body = {0};
	dd_buf_adds(&body, "{\"update_id\":1,\"message\":{\"message_id\":1,\"from\":{\"id\":9},\"text\":\"");
	for (int i = 0; i < 100 * 1024; i++)
		dd_buf_addc(&body, 'a' + i % 26);
	dd_buf_adds(&body, "\"}}");
	gw_batch b;
	dd_err err = {0};
	assert_int_equal(tg_parse_updates(body.data, body.len, &b, &err), DD_OK);
	assert_int_equal(strlen(b.msgs[0].in.text), 100 * 1024);
	gw_batch_free(&b);
	dd_buf_free(&body);
}

static void broken_bodies(void **state)
{
	(void)state;
	parse_fails("", 0, "invalid JSON: the body is empty");
	parse_fails("{\"update_id\":1", 14, "invalid JSON");
	parse_fails("\"text\"", 6, "invalid JSON");
	parse_fails("[{\"update_id\":1}]", 17, "not a JSON object");
	parse_fails("{\"message\":{}}", 14, "no update_id");
	const char bad[] = "{\"update_id\":1,\"message\":{\"message_id\":1,\"from\":{\"id\":9},"
			   "\"text\":\"\xed\xa0\x80 surrogate\"}}";
	parse_fails(bad, sizeof bad - 1, "invalid JSON");
	const char overlong[] = "{\"update_id\":1,\"message\":{\"text\":\"\xc0\xaf\"}}";
	parse_fails(overlong, sizeof overlong - 1, "invalid JSON");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_fixture),
		cmocka_unit_test(photo_fixture_takes_the_largest),
		cmocka_unit_test(location_fixture),
		cmocka_unit_test(callback_fixture),
		cmocka_unit_test(getupdates_with_an_edit),
		cmocka_unit_test(error_answer_is_refused),
		cmocka_unit_test(other_message_kinds),
		cmocka_unit_test(missing_fields_and_wrong_types),
		cmocka_unit_test(huge_text),
		cmocka_unit_test(broken_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
