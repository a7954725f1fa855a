/* The sender's messenger side without a network: request bodies for
 * WhatsApp and Telegram, and what each kind of answer means. */
#include <config.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "fixture.h"
#include "dutydesk/config.h"
#include "../../src/gateway/outbound.h"

static dd_outbox_job officer_job(const char *body)
{
	dd_outbox_job j = {.id = 7, .report = 42, .attempts = 1};
	j.recipient = (char *)"officer";
	j.channel = (char *)"whatsapp";
	j.address = (char *)"77011110001";
	j.kind = (char *)"assigned";
	j.body = (char *)body;
	return j;
}

static dd_config config(void)
{
	dd_config c = {0};
	c.wa_template_officer = (char *)"officer_alert";
	c.wa_template_reporter = NULL;
	c.wa_template_lang = (char *)"kk";
	return c;
}

static json_t *parse(char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	if (!j)
		fail_msg("not JSON (%s): %s", e.text, s);
	free(s);
	return j;
}

static const char *str(json_t *j, const char *path)
{
	/* "a.b.0.c" */
	char buf[200];
	snprintf(buf, sizeof buf, "%s", path);
	json_t *cur = j;
	for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, ".")) {
		if (json_is_array(cur))
			cur = json_array_get(cur, (size_t)atoi(tok));
		else
			cur = json_object_get(cur, tok);
	}
	if (json_is_integer(cur)) {
		static char num[32];
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(cur));
		return num;
	}
	return json_string_value(cur);
}

static void wa_officer_gets_reply_buttons(void **state)
{
	(void)state;
	dd_config c = config();
	dd_outbox_job j = officer_job("Report #42 (smoking)\nReply 1, 2, 3.");
	json_t *m = parse(gw_wa_message(&c, &j, false));
	assert_string_equal(str(m, "messaging_product"), "whatsapp");
	assert_string_equal(str(m, "to"), "77011110001");
	assert_string_equal(str(m, "type"), "interactive");
	assert_string_equal(str(m, "interactive.type"), "button");
	assert_string_equal(str(m, "interactive.body.text"), "Report #42 (smoking)\nReply 1, 2, 3.");
	assert_string_equal(str(m, "interactive.action.buttons.0.reply.id"), "ack:42");
	assert_string_equal(str(m, "interactive.action.buttons.1.reply.id"), "onsite:42");
	assert_string_equal(str(m, "interactive.action.buttons.2.reply.id"), "done:42");
	assert_string_equal(str(m, "interactive.action.buttons.0.type"), "reply");
	json_decref(m);
}

static void wa_reporter_gets_text_and_long_text_is_cut(void **state)
{
	(void)state;
	dd_config c = config();
	dd_outbox_job j = officer_job("Your report #42 has been dealt with.");
	j.recipient = (char *)"reporter";
	j.kind = (char *)"resolved";
	j.address = (char *)"+7 701 111-00-01";
	json_t *m = parse(gw_wa_message(&c, &j, true)); /* no reporter template: text */
	assert_string_equal(str(m, "type"), "text");
	assert_string_equal(str(m, "to"), "77011110001");
	assert_string_equal(str(m, "text.body"), "Your report #42 has been dealt with.");
	assert_true(json_is_false(json_object_get(json_object_get(m, "text"), "preview_url")));
	json_decref(m);

	/* an officer's long Cyrillic text: at most 1024 characters, ends with … */
	dd_buf b = {0};
	for (int i = 0; i < 1500; i++)
		dd_buf_adds(&b, "ж");
	j = officer_job(b.data);
	m = parse(gw_wa_message(&c, &j, false));
	const char *t = str(m, "interactive.body.text");
	size_t chars = 0;
	for (const char *p = t; *p; p++)
		chars += ((unsigned char)*p & 0xC0) != 0x80;
	assert_int_equal(chars, 1024);
	assert_non_null(strstr(t, "…"));
	json_decref(m);
	dd_buf_free(&b);
}

static void wa_template_has_one_line_parameter(void **state)
{
	(void)state;
	dd_config c = config();
	dd_outbox_job j = officer_job("Report #42\n\nAddress:\tул. Ленина   5\nReply");
	json_t *m = parse(gw_wa_message(&c, &j, true));
	assert_string_equal(str(m, "type"), "template");
	assert_string_equal(str(m, "template.name"), "officer_alert");
	assert_string_equal(str(m, "template.language.code"), "kk");
	assert_string_equal(str(m, "template.components.0.type"), "body");
	const char *p = str(m, "template.components.0.parameters.0.text");
	assert_string_equal(p, "Report #42 · Address: ул. Ленина 5 · Reply");
	assert_null(strchr(p, '\n'));
	assert_null(strchr(p, '\t'));
	json_decref(m);
}

static void tg_message_and_keyboard(void **state)
{
	(void)state;
	dd_outbox_job j = officer_job("Report #42");
	j.channel = (char *)"telegram";
	j.address = (char *)"512000101";
	json_t *m = parse(gw_tg_message(&j));
	assert_true(json_is_integer(json_object_get(m, "chat_id")));
	assert_string_equal(str(m, "chat_id"), "512000101");
	assert_string_equal(str(m, "text"), "Report #42");
	assert_string_equal(str(m, "reply_markup.inline_keyboard.0.0.callback_data"), "ack:42");
	assert_string_equal(str(m, "reply_markup.inline_keyboard.0.2.callback_data"), "done:42");
	json_decref(m);
	j.recipient = (char *)"reporter";
	j.address = (char *)"@someone";
	m = parse(gw_tg_message(&j));
	assert_string_equal(str(m, "chat_id"), "@someone");
	assert_null(json_object_get(m, "reply_markup"));
	json_decref(m);
}

static gw_result wa(long http, const char *body, int curl_code)
{
	gw_answer a = {.curl_code = curl_code, .curl_error = "Connection refused", .http = http,
		       .body = body, .len = body ? strlen(body) : 0};
	gw_result r;
	gw_wa_classify(&a, &r);
	return r;
}

static char *wa_err(int code)
{
	return dd_xasprintf("{\"error\":{\"message\":\"(#%d) x\",\"type\":\"OAuthException\","
			    "\"code\":%d,\"error_data\":{\"details\":\"why\"}}}", code, code);
}

static void wa_answers(void **state)
{
	(void)state;
	char *ok = fixture("whatsapp/send_response.json", NULL);
	gw_result r = wa(200, ok, CURLE_OK);
	assert_int_equal(r.verdict, GW_SENT);
	assert_string_equal(r.external_id, "wamid.OUTBOUND0000000000000000000001");
	free(ok);

	char *rate = fixture("whatsapp/error_130429.json", NULL);
	r = wa(400, rate, CURLE_OK);
	assert_int_equal(r.verdict, GW_RETRY);
	assert_int_equal(r.code, 130429);
	assert_int_equal(r.rate_scope, GW_SCOPE_CHANNEL);
	assert_false(r.channel_fault);
	assert_non_null(strstr(r.error, "130429"));
	assert_non_null(strstr(r.error, "throughput"));
	free(rate);

	static const struct {
		int code;
		long http;
		gw_verdict v;
	} cases[] = {
		{131047, 400, GW_TEMPLATE}, {131026, 400, GW_FAIL}, {132000, 400, GW_FAIL},
		{132001, 400, GW_FAIL},     {190, 401, GW_PAUSE},   {131056, 400, GW_RETRY},
		{80007, 400, GW_RETRY},     {131000, 500, GW_RETRY}, {100, 400, GW_FAIL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *b = wa_err(cases[i].code);
		r = wa(cases[i].http, b, CURLE_OK);
		if (r.verdict != cases[i].v)
			fail_msg("code %d: verdict %d, expected %d", cases[i].code, r.verdict, cases[i].v);
		assert_int_equal(r.code, cases[i].code);
		free(b);
	}
	r = wa(400, "{\"error\":{\"code\":131056}}", CURLE_OK);
	assert_int_equal(r.rate_scope, GW_SCOPE_PEER);

	r = wa(503, "<html>busy</html>", CURLE_OK);
	assert_int_equal(r.verdict, GW_RETRY);
	assert_true(r.channel_fault);
	r = wa(0, NULL, CURLE_COULDNT_CONNECT);
	assert_int_equal(r.verdict, GW_RETRY);
	assert_true(r.channel_fault);
	assert_non_null(strstr(r.error, "Connection refused"));
	r = wa(200, "{\"messages\":[]}", CURLE_OK);
	assert_int_equal(r.verdict, GW_RETRY);
	r = wa(404, "", CURLE_OK);
	assert_int_equal(r.verdict, GW_FAIL);
	r = wa(401, "", CURLE_OK);
	assert_int_equal(r.verdict, GW_PAUSE);
}

static gw_result tg(long http, const char *body)
{
	gw_answer a = {.curl_code = CURLE_OK, .http = http, .body = body,
		       .len = body ? strlen(body) : 0};
	gw_result r;
	gw_tg_classify(&a, "512000101", &r);
	return r;
}

static void tg_answers(void **state)
{
	(void)state;
	gw_result r = tg(200, "{\"ok\":true,\"result\":{\"message_id\":77,\"chat\":{\"id\":1}}}");
	assert_int_equal(r.verdict, GW_SENT);
	assert_string_equal(r.external_id, "512000101:77");
	char *rate = fixture("telegram/error_429.json", NULL);
	r = tg(429, rate);
	assert_int_equal(r.verdict, GW_RETRY);
	assert_int_equal(r.retry_after_ms, 7000);
	assert_int_equal(r.rate_scope, GW_SCOPE_CHANNEL);
	free(rate);
	r = tg(401, "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}");
	assert_int_equal(r.verdict, GW_PAUSE);
	r = tg(400, "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: chat not found\"}");
	assert_int_equal(r.verdict, GW_FAIL);
	assert_non_null(strstr(r.error, "chat not found"));
	r = tg(403, "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden: bot was blocked\"}");
	assert_int_equal(r.verdict, GW_FAIL);
	r = tg(502, "Bad Gateway");
	assert_int_equal(r.verdict, GW_RETRY);
	assert_true(r.channel_fault);
}

static void retry_after_and_scrub(void **state)
{
	(void)state;
	assert_int_equal(gw_parse_retry_after(" 5\r\n", 0), 5000);
	assert_int_equal(gw_parse_retry_after("0", 0), 0);
	assert_int_equal(gw_parse_retry_after("soon", 0), 0);
	/* an HTTP date 30 s after "now" */
	int64_t now = (int64_t)1764321300 * 1000; /* Fri, 28 Nov 2025 09:15:00 GMT */
	assert_int_equal(gw_parse_retry_after("Fri, 28 Nov 2025 09:15:30 GMT", now), 30000);

	const char *secrets[] = {"123456:SECRET-token", "EAAGxyz", NULL};
	char out[128];
	gw_scrub("POST /bot123456:SECRET-token/sendMessage failed; EAAGxyz", secrets, out, sizeof out);
	assert_string_equal(out, "POST /bot[secret]/sendMessage failed; [secret]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wa_officer_gets_reply_buttons),
		cmocka_unit_test(wa_reporter_gets_text_and_long_text_is_cut),
		cmocka_unit_test(wa_template_has_one_line_parameter),
		cmocka_unit_test(tg_message_and_keyboard),
		cmocka_unit_test(wa_answers),
		cmocka_unit_test(tg_answers),
		cmocka_unit_test(retry_after_and_scrub),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
