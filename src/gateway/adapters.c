/* What the messenger adapters share: the batch and careful JSON access. */
#include <config.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "adapters.h"

void gw_batch_free(gw_batch *b)
{
	free(b->msgs);
	free(b->statuses);
	dd_buf_free(&b->skipped);
	if (b->root)
		json_decref(b->root);
	free(b->raw);
	for (size_t i = 0; i < b->nstrs; i++)
		free(b->strs[i]);
	free(b->strs);
	memset(b, 0, sizeof *b);
}

const char *gw_batch_keep(gw_batch *b, char *s)
{
	char **slot = dd_vec_push(&b->strs, &b->nstrs, &b->capstrs, sizeof *b->strs);
	*slot = s;
	return s;
}

gw_message *gw_batch_add(gw_batch *b)
{
	return dd_vec_push(&b->msgs, &b->nmsgs, &b->capmsgs, sizeof *b->msgs);
}

void gw_batch_skip(gw_batch *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dd_buf_vprintf(&b->skipped, fmt, ap);
	va_end(ap);
	dd_buf_addc(&b->skipped, '\n');
	b->nskipped++;
}

json_t *gw_parse_json(const char *body, size_t len, const char *what, dd_err *err)
{
	if (!body || len == 0) {
		dd_fail(err, DD_EINVAL, _("invalid JSON: the body is empty"));
		return NULL;
	}
	json_error_t je;
	json_t *root = json_loadb(body, len, 0, &je);
	if (!root) {
		dd_fail(err, DD_EINVAL, _("invalid JSON: %s (line %d, column %d)"), je.text, je.line,
			je.column);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		dd_fail(err, DD_EINVAL, _("not a %s: the body is not a JSON object"), what);
		return NULL;
	}
	return root;
}

const char *gw_jstr(json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

bool gw_jnum(json_t *o, const char *key, double *out)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

bool gw_jint(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return true;
	}
	/* WhatsApp writes its numbers (timestamps) as strings */
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	if (s && *s && strlen(s) < 20) {
		char *end;
		long long n = strtoll(s, &end, 10);
		if (!*end) {
			*out = n;
			return true;
		}
	}
	return false;
}
