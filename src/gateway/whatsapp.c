/* WhatsApp Cloud API webhooks: messages and delivery statuses. */
#include <config.h>
#include <string.h>

#include "adapters.h"

/* Ids and numbers longer than this are not what WhatsApp sends. */
#define MAX_ID 256

static bool usable(const char *s, size_t max)
{
	return s && *s && strlen(s) <= max;
}

/* The profile name WhatsApp gives for wa_id (contacts[] of the change);
 * a single contact without wa_id is taken as the sender. */
static const char *profile_name(json_t *contacts, const char *wa_id)
{
	size_t i;
	json_t *c;
	if (!json_is_array(contacts))
		return NULL;
	json_array_foreach(contacts, i, c) {
		const char *name = gw_jstr(json_object_get(c, "profile"), "name");
		const char *id = gw_jstr(c, "wa_id");
		if (name && id && wa_id && strcmp(id, wa_id) == 0)
			return name;
	}
	c = json_array_get(contacts, 0);
	if (json_array_size(contacts) == 1 && !gw_jstr(c, "wa_id"))
		return gw_jstr(json_object_get(c, "profile"), "name");
	return NULL;
}

static void media(json_t *m, dd_inbound *in)
{
	in->media_id = gw_jstr(m, "id");
	in->media_mime = gw_jstr(m, "mime_type");
	in->media_sha256 = gw_jstr(m, "sha256");
	in->media_filename = gw_jstr(m, "filename");
	in->text = gw_jstr(m, "caption");
}

static void message(gw_batch *b, json_t *msg, json_t *contacts, size_t idx)
{
	const char *id = gw_jstr(msg, "id"), *from = gw_jstr(msg, "from");
	const char *type = gw_jstr(msg, "type");
	if (!json_is_object(msg)) {
		gw_batch_skip(b, "message %zu: not an object", idx + 1);
		return;
	}
	if (!usable(id, MAX_ID)) {
		gw_batch_skip(b, "message %zu: no usable id", idx + 1);
		return;
	}
	if (!usable(from, 64)) {
		gw_batch_skip(b, "message %zu: no usable sender ('from')", idx + 1);
		return;
	}
	gw_message *m = gw_batch_add(b);
	dd_inbound *in = &m->in;
	in->channel = "whatsapp";
	in->external_id = id;
	in->sender = from;
	in->sender_name = profile_name(contacts, from);
	in->raw = b->raw;
	int64_t ts;
	if (gw_jint(msg, "timestamp", &ts) && ts > 0 && ts < INT64_C(100000000000))
		in->at = ts * 1000;
	const char *ctx = gw_jstr(json_object_get(msg, "context"), "id");
	if (usable(ctx, MAX_ID))
		in->context_id = ctx;
	if (!type)
		type = "unknown";
	json_t *body = json_object_get(msg, type);
	if (strcmp(type, "text") == 0) {
		in->kind = DD_IN_TEXT;
		in->text = gw_jstr(body, "body");
	} else if (strcmp(type, "image") == 0) {
		in->kind = DD_IN_IMAGE;
		media(body, in);
	} else if (strcmp(type, "video") == 0) {
		in->kind = DD_IN_VIDEO;
		media(body, in);
	} else if (strcmp(type, "audio") == 0) {
		in->kind = DD_IN_AUDIO;
		media(body, in);
	} else if (strcmp(type, "document") == 0) {
		in->kind = DD_IN_DOCUMENT;
		media(body, in);
	} else if (strcmp(type, "location") == 0) {
		in->kind = DD_IN_LOCATION;
		double lat, lon;
		if (gw_jnum(body, "latitude", &lat) && gw_jnum(body, "longitude", &lon) &&
		    lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
			in->has_location = true;
			in->lat = lat;
			in->lon = lon;
		}
		in->loc_name = gw_jstr(body, "name");
		in->loc_address = gw_jstr(body, "address");
	} else if (strcmp(type, "interactive") == 0) {
		in->kind = DD_IN_INTERACTIVE;
		const char *itype = gw_jstr(body, "type");
		json_t *reply = itype ? json_object_get(body, itype) : NULL;
		in->payload = gw_jstr(reply, "id");
		in->text = gw_jstr(reply, "title");
		if (!in->payload && !in->text) {
			in->kind = DD_IN_UNSUPPORTED;
			/* a type name as long as anything the platform sends, no longer */
			in->unsupported_type = usable(itype, 64) ? itype : "interactive";
		}
	} else if (strcmp(type, "button") == 0) {
		in->kind = DD_IN_BUTTON;
		in->payload = gw_jstr(body, "payload");
		in->text = gw_jstr(body, "text");
	} else {
		in->kind = DD_IN_UNSUPPORTED;
		const char *sub = gw_jstr(json_object_get(msg, "unsupported"), "type");
		in->unsupported_type = strcmp(type, "unsupported") == 0 && sub ? sub : type;
		if (strlen(in->unsupported_type) > 64)
			in->unsupported_type = "unknown";
	}
}

static void status(gw_batch *b, json_t *st, size_t idx)
{
	const char *id = gw_jstr(st, "id"), *state = gw_jstr(st, "status");
	if (!usable(id, MAX_ID) || !usable(state, 32)) {
		gw_batch_skip(b, "status %zu: no usable id or status", idx + 1);
		return;
	}
	if (strcmp(state, "sent") && strcmp(state, "delivered") && strcmp(state, "read") &&
	    strcmp(state, "failed")) {
		gw_batch_skip(b, "status %zu: unknown status", idx + 1);
		return;
	}
	dd_delivery *d = dd_vec_push(&b->statuses, &b->nstatuses, &b->capstatuses,
				     sizeof *b->statuses);
	d->channel = "whatsapp";
	d->external_id = id;
	d->state = state;
	json_t *errors = json_object_get(st, "errors");
	json_t *e = json_is_array(errors) ? json_array_get(errors, 0) : NULL;
	if (json_is_object(e)) {
		int64_t code;
		if (gw_jint(e, "code", &code) && code > 0 && code < 100000000)
			d->error_code = (int)code;
		const char *details = gw_jstr(json_object_get(e, "error_data"), "details");
		d->error = details ? details : gw_jstr(e, "title") ? gw_jstr(e, "title")
			 : gw_jstr(e, "message");
	}
}

dd_status wa_parse_webhook(const char *body, size_t len, gw_batch *b, dd_err *err)
{
	memset(b, 0, sizeof *b);
	b->root = gw_parse_json(body, len, "WhatsApp webhook", err);
	if (!b->root)
		return err ? err->status : DD_EINVAL;
	b->raw = dd_xstrndup(body, len);
	const char *object = gw_jstr(b->root, "object");
	if (object && strcmp(object, "whatsapp_business_account") != 0)
		return dd_fail(err, DD_EINVAL, _("not a WhatsApp webhook: object is not "
						 "whatsapp_business_account"));
	json_t *entries = json_object_get(b->root, "entry");
	if (!json_is_array(entries))
		return dd_fail(err, DD_EINVAL, _("not a WhatsApp webhook: no \"entry\" array"));
	size_t i, j, k;
	json_t *entry, *change, *x;
	json_array_foreach(entries, i, entry) {
		json_t *changes = json_object_get(entry, "changes");
		if (!json_is_array(changes)) {
			gw_batch_skip(b, "entry %zu: no changes", i + 1);
			continue;
		}
		json_array_foreach(changes, j, change) {
			json_t *value = json_object_get(change, "value");
			const char *field = gw_jstr(change, "field");
			if (!json_is_object(value) || (field && strcmp(field, "messages") != 0)) {
				gw_batch_skip(b, "entry %zu change %zu: not a messages change", i + 1,
					      j + 1);
				continue;
			}
			json_t *contacts = json_object_get(value, "contacts");
			json_t *msgs = json_object_get(value, "messages");
			json_t *sts = json_object_get(value, "statuses");
			if (json_is_array(msgs))
				json_array_foreach(msgs, k, x)
					message(b, x, contacts, k);
			if (json_is_array(sts))
				json_array_foreach(sts, k, x)
					status(b, x, k);
		}
	}
	return DD_OK;
}
