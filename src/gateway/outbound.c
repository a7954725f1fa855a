#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <jansson.h>

#include "dutydesk/common.h"
#include "outbound.h"

/* WhatsApp limits: interactive body 1024 characters, text 4096, a button
 * title 20, a template parameter 1024 (and no newlines or tabs);
 * Telegram: 4096 characters of text. */
#define WA_INTERACTIVE_MAX 1024
#define WA_TEXT_MAX 4096
#define WA_TITLE_MAX 20
#define WA_PARAM_MAX 1000
#define TG_TEXT_MAX 4096

/* The answers an officer can give, as button ids "ack:123". */
static const struct {
	const char *id;
	const char *title;
} answers[] = {
	{ "ack", N_("Accept") },
	{ "onsite", N_("On site") },
	{ "done", N_("Done") },
};

/* A copy of s cut to at most max characters (UTF-8 code points), with "…"
 * at the end when cut. */
static char *utf8_cut(const char *s, size_t max)
{
	size_t chars = 0, i = 0;
	while (s[i]) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (chars == max)
				break;
			chars++;
		}
		i++;
	}
	if (!s[i])
		return dd_xstrdup(s);
	/* cut one character earlier to make room for the ellipsis */
	size_t j = i;
	do
		j--;
	while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80);
	return dd_xasprintf("%.*s…", (int)j, s);
}

bool gw_wants_buttons(const dd_outbox_job *j)
{
	return j->report && j->recipient && strcmp(j->recipient, "officer") == 0 && j->kind &&
	       (strcmp(j->kind, "assigned") == 0 || strcmp(j->kind, "assign") == 0 ||
		strcmp(j->kind, "reminder") == 0 || strcmp(j->kind, "escalation") == 0);
}

void gw_wa_to(const char *address, char *out, size_t size)
{
	size_t k = 0;
	for (const char *p = address; *p && k + 1 < size; p++)
		if (*p >= '0' && *p <= '9')
			out[k++] = *p;
	out[k] = '\0';
}

const char *gw_wa_template_name(const dd_config *cfg, const dd_outbox_job *j)
{
	const char *t = j->recipient && strcmp(j->recipient, "officer") == 0
				? cfg->wa_template_officer
				: cfg->wa_template_reporter;
	return t && *t ? t : NULL;
}

static char *dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s) {
		fputs("dutydesk: out of memory\n", stderr);
		abort();
	}
	return s;
}

/* The text as one template parameter: no newlines, tabs or runs of spaces. */
static char *one_line(const char *s)
{
	dd_buf b = {0};
	int spaces = 0;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
			if (c == '\n' && b.len && !spaces)
				dd_buf_adds(&b, " ·");
			spaces++;
			continue;
		}
		if (spaces && b.len)
			dd_buf_addc(&b, ' ');
		spaces = 0;
		dd_buf_addc(&b, c);
	}
	char *cut = utf8_cut(b.data ? b.data : "", WA_PARAM_MAX);
	dd_buf_free(&b);
	return cut;
}

char *gw_wa_message(const dd_config *cfg, const dd_outbox_job *j, bool as_template)
{
	char to[32];
	gw_wa_to(j->address, to, sizeof to);
	json_t *m = json_object();
	json_object_set_new(m, "messaging_product", json_string("whatsapp"));
	json_object_set_new(m, "recipient_type", json_string("individual"));
	json_object_set_new(m, "to", json_string(to));
	const char *tpl = gw_wa_template_name(cfg, j);
	if (as_template && tpl) {
		char *param = one_line(j->body);
		json_object_set_new(m, "type", json_string("template"));
		json_object_set_new(m, "template", json_pack("{s:s, s:{s:s}, s:[{s:s, s:[{s:s, s:s}]}]}",
			"name", tpl, "language", "code",
			cfg->wa_template_lang ? cfg->wa_template_lang : "ru",
			"components", "type", "body", "parameters", "type", "text", "text", param));
		free(param);
	} else if (gw_wants_buttons(j)) {
		json_t *buttons = json_array();
		for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
			char id[48];
			snprintf(id, sizeof id, "%s:%lld", answers[i].id, (long long)j->report);
			char *title = utf8_cut(_(answers[i].title), WA_TITLE_MAX);
			json_array_append_new(buttons, json_pack("{s:s, s:{s:s, s:s}}", "type", "reply",
				"reply", "id", id, "title", title));
			free(title);
		}
		char *body = utf8_cut(j->body, WA_INTERACTIVE_MAX);
		json_object_set_new(m, "type", json_string("interactive"));
		json_object_set_new(m, "interactive", json_pack("{s:s, s:{s:s}, s:{s:o}}",
			"type", "button", "body", "text", body, "action", "buttons", buttons));
		free(body);
	} else {
		char *body = utf8_cut(j->body, WA_TEXT_MAX);
		json_object_set_new(m, "type", json_string("text"));
		json_object_set_new(m, "text", json_pack("{s:b, s:s}", "preview_url", 0, "body", body));
		free(body);
	}
	return dump(m);
}

char *gw_tg_message(const dd_outbox_job *j)
{
	json_t *m = json_object();
	char *end;
	long long chat = strtoll(j->address, &end, 10);
	if (*j->address && !*end)
		json_object_set_new(m, "chat_id", json_integer(chat));
	else
		json_object_set_new(m, "chat_id", json_string(j->address));
	char *text = utf8_cut(j->body, TG_TEXT_MAX);
	json_object_set_new(m, "text", json_string(text));
	free(text);
	if (gw_wants_buttons(j)) {
		json_t *row = json_array();
		for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
			char data[48];
			snprintf(data, sizeof data, "%s:%lld", answers[i].id, (long long)j->report);
			json_array_append_new(row, json_pack("{s:s, s:s}", "text", _(answers[i].title),
							     "callback_data", data));
		}
		json_object_set_new(m, "reply_markup",
				    json_pack("{s:[o]}", "inline_keyboard", row));
	}
	return dump(m);
}

/* No answer, or an answer without a usable body. */
static bool transport_failure(const gw_answer *a, const char *who, gw_result *r)
{
	if (a->curl_code == CURLE_OK)
		return false;
	r->verdict = GW_RETRY;
	r->channel_fault = true;
	snprintf(r->error, sizeof r->error, _("%s: network: %s"), who,
		 a->curl_error && *a->curl_error ? a->curl_error
						 : curl_easy_strerror((CURLcode)a->curl_code));
	return true;
}

static void retry_http(const gw_answer *a, const char *who, const char *what, gw_result *r)
{
	r->verdict = GW_RETRY;
	r->code = (int)a->http;
	r->channel_fault = a->http >= 500 || a->http == 0;
	if (a->http == 429)
		r->rate_scope = GW_SCOPE_CHANNEL;
	r->retry_after_ms = a->retry_after_hdr_ms;
	snprintf(r->error, sizeof r->error, _("%s: HTTP %ld: %s"), who, a->http, what);
}

void gw_wa_classify(const gw_answer *a, gw_result *r)
{
	memset(r, 0, sizeof *r);
	if (transport_failure(a, "WhatsApp", r))
		return;
	json_t *root = a->body ? json_loadb(a->body, a->len, 0, NULL) : NULL;
	json_t *err = json_object_get(root, "error");
	if (a->http >= 200 && a->http < 300 && !err) {
		const char *id = json_string_value(
			json_object_get(json_array_get(json_object_get(root, "messages"), 0), "id"));
		if (id && *id) {
			r->verdict = GW_SENT;
			snprintf(r->external_id, sizeof r->external_id, "%s", id);
		} else {
			retry_http(a, "WhatsApp", _("an answer without a message id"), r);
			r->channel_fault = true;
		}
		json_decref(root);
		return;
	}
	if (!json_is_object(err)) {
		if (a->http == 401) {
			r->verdict = GW_PAUSE;
			r->code = 401;
			snprintf(r->error, sizeof r->error,
				 _("WhatsApp: HTTP 401: the access token was refused"));
		} else if (a->http >= 500 || a->http == 429 || a->http == 408) {
			retry_http(a, "WhatsApp", _("the server could not take the message"), r);
		} else {
			r->verdict = GW_FAIL;
			r->code = (int)a->http;
			snprintf(r->error, sizeof r->error, _("WhatsApp: HTTP %ld"), a->http);
		}
		json_decref(root);
		return;
	}
	int code = (int)json_integer_value(json_object_get(err, "code"));
	const char *msg = json_string_value(json_object_get(err, "message"));
	const char *details = json_string_value(
		json_object_get(json_object_get(err, "error_data"), "details"));
	r->code = code ? code : (int)a->http;
	snprintf(r->error, sizeof r->error, "WhatsApp %d: %s%s%s%s", r->code,
		 msg ? msg : _("(no message)"), details ? " (" : "", details ? details : "",
		 details ? ")" : "");
	r->retry_after_ms = a->retry_after_hdr_ms;
	switch (code) {
	case 190:          /* access token expired or invalid */
		r->verdict = GW_PAUSE;
		break;
	case 131047:       /* re-engagement: more than 24 hours since they wrote */
		r->verdict = GW_TEMPLATE;
		break;
	case 130429:       /* throughput reached */
	case 80007:        /* account rate limit */
	case 131048:       /* spam rate limit */
	case 4:            /* application request limit */
		r->verdict = GW_RETRY;
		r->rate_scope = GW_SCOPE_CHANNEL;
		break;
	case 131056:       /* too many messages to this one recipient */
		r->verdict = GW_RETRY;
		r->rate_scope = GW_SCOPE_PEER;
		break;
	case 1:            /* unknown API error */
	case 2:            /* service temporarily unavailable */
	case 131000:       /* something went wrong */
	case 131016:       /* service unavailable */
	case 133004:       /* server temporarily unavailable */
		r->verdict = GW_RETRY;
		r->channel_fault = true;
		break;
	default:
		if (a->http == 401) {
			r->verdict = GW_PAUSE;
		} else if (a->http >= 500 || a->http == 429) {
			r->verdict = GW_RETRY;
			r->channel_fault = a->http >= 500;
			if (a->http == 429)
				r->rate_scope = GW_SCOPE_CHANNEL;
		} else {
			/* 131026 undeliverable, 132000/132001 template, other 4xx */
			r->verdict = GW_FAIL;
		}
	}
	json_decref(root);
}

void gw_tg_classify(const gw_answer *a, const char *chat_id, gw_result *r)
{
	memset(r, 0, sizeof *r);
	if (transport_failure(a, "Telegram", r))
		return;
	json_t *root = a->body ? json_loadb(a->body, a->len, 0, NULL) : NULL;
	if (json_is_true(json_object_get(root, "ok"))) {
		json_t *id = json_object_get(json_object_get(root, "result"), "message_id");
		if (json_is_integer(id)) {
			r->verdict = GW_SENT;
			snprintf(r->external_id, sizeof r->external_id, "%s:%lld", chat_id,
				 (long long)json_integer_value(id));
		} else {
			retry_http(a, "Telegram", _("an answer without a message id"), r);
			r->channel_fault = true;
		}
		json_decref(root);
		return;
	}
	int code = (int)json_integer_value(json_object_get(root, "error_code"));
	if (!code)
		code = (int)a->http;
	const char *desc = json_string_value(json_object_get(root, "description"));
	json_t *ra = json_object_get(json_object_get(root, "parameters"), "retry_after");
	r->code = code;
	r->retry_after_ms = json_is_integer(ra) && json_integer_value(ra) > 0
				    ? json_integer_value(ra) * 1000
				    : a->retry_after_hdr_ms;
	snprintf(r->error, sizeof r->error, "Telegram %d: %s", code,
		 desc ? desc : _("(no description)"));
	if (code == 429 || code == 80007) {
		r->verdict = GW_RETRY;
		r->rate_scope = GW_SCOPE_CHANNEL;
	} else if (code == 401 || code == 404) {
		/* 404 on /bot{token}/sendMessage: no such bot, a wrong token */
		r->verdict = GW_PAUSE;
	} else if (code >= 500 || code == 0) {
		r->verdict = GW_RETRY;
		r->channel_fault = true;
	} else {
		r->verdict = GW_FAIL; /* 400 chat not found, 403 blocked by the user */
	}
	json_decref(root);
}

int64_t gw_parse_retry_after(const char *value, int64_t now_ms)
{
	while (*value == ' ' || *value == '\t')
		value++;
	char *end;
	long long secs = strtoll(value, &end, 10);
	if (end != value && (*end == '\0' || *end == '\r' || *end == '\n' || *end == ' ')) {
		if (secs <= 0)
			return 0;
		return secs > 86400 ? 86400 * INT64_C(1000) : secs * 1000;
	}
	time_t t = curl_getdate(value, NULL);
	if (t <= 0)
		return 0;
	int64_t ms = (int64_t)t * 1000 - now_ms;
	return ms > 0 ? ms : 0;
}

void gw_scrub(const char *s, const char *const *secrets, char *out, size_t size)
{
	size_t k = 0;
	if (size == 0)
		return;
	while (*s && k + 1 < size) {
		size_t hit = 0;
		for (const char *const *p = secrets; *p; p++) {
			size_t n = strlen(*p);
			if (n >= 4 && strncmp(s, *p, n) == 0) {
				hit = n;
				break;
			}
		}
		if (hit) {
			const char *mask = "[secret]";
			for (const char *m = mask; *m && k + 1 < size; m++)
				out[k++] = *m;
			s += hit;
		} else {
			out[k++] = *s++;
		}
	}
	out[k] = '\0';
}
