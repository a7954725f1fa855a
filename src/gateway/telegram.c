/* Telegram Bot API updates: messages, edits, button presses. */
#include <config.h>
#include <stdio.h>
#include <string.h>

#include "adapters.h"

/* "First Last", else "@username". */
static const char *sender_name(gw_batch *b, json_t *from)
{
	const char *first = gw_jstr(from, "first_name"), *last = gw_jstr(from, "last_name");
	const char *user = gw_jstr(from, "username");
	if (first && last)
		return gw_batch_keep(b, dd_xasprintf("%s %s", first, last));
	if (first || last)
		return first ? first : last;
	if (user)
		return gw_batch_keep(b, dd_xasprintf("@%s", user));
	return NULL;
}

/* The largest photo size (by pixels, then by bytes). */
static json_t *largest_photo(json_t *sizes)
{
	json_t *best = NULL, *p;
	double best_px = -1, best_bytes = -1;
	size_t i;
	json_array_foreach(sizes, i, p) {
		if (!gw_jstr(p, "file_id"))
			continue;
		double w = 0, h = 0, bytes = 0;
		gw_jnum(p, "width", &w);
		gw_jnum(p, "height", &h);
		gw_jnum(p, "file_size", &bytes);
		if (w * h > best_px || (w * h == best_px && bytes > best_bytes)) {
			best = p;
			best_px = w * h;
			best_bytes = bytes;
		}
	}
	return best;
}

static void file(dd_inbound *in, dd_inbound_kind kind, json_t *f, const char *mime)
{
	in->kind = kind;
	in->media_id = gw_jstr(f, "file_id");
	in->media_mime = gw_jstr(f, "mime_type") ? gw_jstr(f, "mime_type") : mime;
	in->media_filename = gw_jstr(f, "file_name");
	if (!in->media_id) {
		in->kind = DD_IN_UNSUPPORTED;
		in->unsupported_type = "file without file_id";
	}
}

/* The kinds of message Telegram has that we do not take. */
static const char *const unsupported_keys[] = {
	"sticker", "contact", "poll", "dice", "game", "invoice", "story",
	"new_chat_members", "left_chat_member", "pinned_message",
};

/* A message or edited_message; what is "message" or "edited_message". */
static void message(gw_batch *b, json_t *msg, int64_t update_id, bool edited)
{
	int64_t mid, chat_id, from_id;
	json_t *from = json_object_get(msg, "from");
	if (!gw_jint(msg, "message_id", &mid)) {
		gw_batch_skip(b, "update %lld: message without message_id", (long long)update_id);
		return;
	}
	if (!gw_jint(from, "id", &from_id) || from_id <= 0) {
		gw_batch_skip(b, "update %lld: message without a sender", (long long)update_id);
		return;
	}
	json_t *is_bot = json_object_get(from, "is_bot");
	if (json_is_true(is_bot)) {
		gw_batch_skip(b, "update %lld: message from a bot", (long long)update_id);
		return;
	}
	if (!gw_jint(json_object_get(msg, "chat"), "id", &chat_id))
		chat_id = from_id;
	gw_message *m = gw_batch_add(b);
	dd_inbound *in = &m->in;
	in->channel = "telegram";
	char *ext = dd_xasprintf("%lld:%lld", (long long)chat_id, (long long)mid);
	if (edited) {
		int64_t when = 0;
		gw_jint(msg, "edit_date", &when);
		in->edit_of = gw_batch_keep(b, ext);
		in->external_id = gw_batch_keep(b, dd_xasprintf("%s:edit:%lld", ext, (long long)when));
	} else {
		in->external_id = gw_batch_keep(b, ext);
	}
	in->sender = gw_batch_keep(b, dd_xasprintf("%lld", (long long)from_id));
	in->sender_name = sender_name(b, from);
	int64_t date;
	if (gw_jint(msg, edited ? "edit_date" : "date", &date) && date > 0 &&
	    date < INT64_C(100000000000))
		in->at = date * 1000;
	json_t *reply = json_object_get(msg, "reply_to_message");
	int64_t rid;
	if (gw_jint(reply, "message_id", &rid))
		in->context_id = gw_batch_keep(b, dd_xasprintf("%lld:%lld", (long long)chat_id,
								(long long)rid));
	in->raw = b->raw;
	const char *text = gw_jstr(msg, "text");
	const char *caption = gw_jstr(msg, "caption");
	in->text = text ? text : caption;
	json_t *x;
	json_t *loc = json_object_get(msg, "location");
	json_t *venue = json_object_get(msg, "venue");
	if (json_is_object(venue) && !json_is_object(loc))
		loc = json_object_get(venue, "location");
	if (edited) {
		in->kind = DD_IN_EDITED;
		return;
	}
	if (text) {
		in->kind = DD_IN_TEXT;
	} else if (json_is_array(x = json_object_get(msg, "photo"))) {
		json_t *p = largest_photo(x);
		file(in, DD_IN_IMAGE, p, "image/jpeg");
	} else if (json_is_object(x = json_object_get(msg, "video")) ||
		   json_is_object(x = json_object_get(msg, "video_note")) ||
		   json_is_object(x = json_object_get(msg, "animation"))) {
		file(in, DD_IN_VIDEO, x, "video/mp4");
	} else if (json_is_object(x = json_object_get(msg, "voice")) ||
		   json_is_object(x = json_object_get(msg, "audio"))) {
		file(in, DD_IN_AUDIO, x, "audio/ogg");
	} else if (json_is_object(x = json_object_get(msg, "document"))) {
		file(in, DD_IN_DOCUMENT, x, NULL);
	} else if (json_is_object(loc)) {
		in->kind = DD_IN_LOCATION;
		double lat, lon;
		if (gw_jnum(loc, "latitude", &lat) && gw_jnum(loc, "longitude", &lon) &&
		    lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
			in->has_location = true;
			in->lat = lat;
			in->lon = lon;
		}
		in->loc_name = gw_jstr(venue, "title");
		in->loc_address = gw_jstr(venue, "address");
	} else {
		in->kind = DD_IN_UNSUPPORTED;
		in->unsupported_type = "unknown";
		for (size_t i = 0; i < sizeof unsupported_keys / sizeof *unsupported_keys; i++)
			if (json_object_get(msg, unsupported_keys[i])) {
				in->unsupported_type = unsupported_keys[i];
				break;
			}
	}
}

static void callback(gw_batch *b, json_t *cq, int64_t update_id)
{
	const char *id = gw_jstr(cq, "id");
	int64_t from_id;
	if (!id || !*id || strlen(id) > 128) {
		gw_batch_skip(b, "update %lld: callback_query without id", (long long)update_id);
		return;
	}
	if (!gw_jint(json_object_get(cq, "from"), "id", &from_id) || from_id <= 0) {
		gw_batch_skip(b, "update %lld: callback_query without a sender",
			      (long long)update_id);
		return;
	}
	gw_message *m = gw_batch_add(b);
	dd_inbound *in = &m->in;
	m->callback_id = id;
	in->channel = "telegram";
	in->kind = DD_IN_BUTTON;
	in->external_id = gw_batch_keep(b, dd_xasprintf("cb:%s", id));
	in->sender = gw_batch_keep(b, dd_xasprintf("%lld", (long long)from_id));
	in->sender_name = sender_name(b, json_object_get(cq, "from"));
	in->payload = gw_jstr(cq, "data");
	in->raw = b->raw;
	json_t *msg = json_object_get(cq, "message");
	int64_t mid, chat_id;
	if (gw_jint(msg, "message_id", &mid)) {
		if (!gw_jint(json_object_get(msg, "chat"), "id", &chat_id))
			chat_id = from_id;
		in->context_id = gw_batch_keep(b, dd_xasprintf("%lld:%lld", (long long)chat_id,
								(long long)mid));
	}
}

static void update(gw_batch *b, json_t *u, size_t idx)
{
	int64_t uid = 0;
	if (!json_is_object(u) || !gw_jint(u, "update_id", &uid)) {
		gw_batch_skip(b, "update %zu: no update_id", idx + 1);
		return;
	}
	if (uid > b->last_update_id)
		b->last_update_id = uid;
	json_t *x;
	if (json_is_object(x = json_object_get(u, "message")))
		message(b, x, uid, false);
	else if (json_is_object(x = json_object_get(u, "edited_message")))
		message(b, x, uid, true);
	else if (json_is_object(x = json_object_get(u, "callback_query")))
		callback(b, x, uid);
	else
		gw_batch_skip(b, "update %lld: nothing we take", (long long)uid);
}

dd_status tg_parse_updates(const char *body, size_t len, gw_batch *b, dd_err *err)
{
	memset(b, 0, sizeof *b);
	b->root = gw_parse_json(body, len, "Telegram update", err);
	if (!b->root)
		return err ? err->status : DD_EINVAL;
	json_t *result = json_object_get(b->root, "result");
	if (json_is_array(result)) {
		/* a getUpdates answer: keep each update as its own evidence */
		size_t i;
		json_t *u;
		json_array_foreach(result, i, u) {
			size_t before = b->nmsgs;
			char *raw = json_dumps(u, JSON_COMPACT | JSON_PRESERVE_ORDER);
			update(b, u, i);
			if (raw) {
				gw_batch_keep(b, raw);
				for (size_t k = before; k < b->nmsgs; k++)
					b->msgs[k].in.raw = raw;
			}
		}
		return DD_OK;
	}
	json_t *ok = json_object_get(b->root, "ok");
	if (json_is_false(ok))
		return dd_fail(err, DD_EINVAL, _("not a Telegram update: an error answer (%s)"),
			       gw_jstr(b->root, "description") ? "see description" : "no description");
	if (!json_object_get(b->root, "update_id"))
		return dd_fail(err, DD_EINVAL, _("not a Telegram update: no update_id"));
	b->raw = dd_xstrndup(body, len);
	update(b, b->root, 0);
	return DD_OK;
}
