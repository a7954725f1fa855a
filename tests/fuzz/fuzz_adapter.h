/*
 * The messenger parsers' fuzz targets (fuzz_whatsapp, fuzz_telegram) check
 * the same things: any body, no crash, no leak, and what comes out is
 * usable by the core. Every message has the target's channel, an id and a
 * sender of sane length, a known kind, coordinates in range; every status
 * is a known state.
 */
#ifndef DUTYDESK_FUZZ_ADAPTER_H
#define DUTYDESK_FUZZ_ADAPTER_H

#include <string.h>

#include "../../src/gateway/adapters.h"
#include "fuzz.h"

/* Parses data with parse and checks what comes out against channel. */
static inline int fuzz_adapter(const char *channel,
			       dd_status (*parse)(const char *, size_t, gw_batch *, dd_err *),
			       const uint8_t *data, size_t size)
{
	gw_batch b;
	dd_err err = {0};
	dd_status s = parse((const char *)data, size, &b, &err);
	if (s != DD_OK) {
		CHECK(s == DD_EINVAL, "status %s: %s", dd_status_name(s), err.msg);
		CHECK(err.msg[0] != '\0', "a refusal without a message");
	} else {
		for (size_t i = 0; i < b.nmsgs; i++) {
			const dd_inbound *in = &b.msgs[i].in;
			CHECK(in->channel && strcmp(in->channel, channel) == 0, "message %zu channel", i);
			CHECK(in->external_id && *in->external_id && strlen(in->external_id) <= 256,
			      "message %zu id", i);
			CHECK(in->sender && *in->sender && strlen(in->sender) <= 64, "message %zu sender", i);
			CHECK((unsigned)in->kind < DD_IN_COUNT, "message %zu kind %d", i, (int)in->kind);
			CHECK(in->raw != NULL, "message %zu without raw", i);
			CHECK(!in->has_location || (in->lat >= -90 && in->lat <= 90 && in->lon >= -180 &&
						    in->lon <= 180), "message %zu location", i);
			CHECK(in->kind != DD_IN_UNSUPPORTED ||
			      (in->unsupported_type && strlen(in->unsupported_type) <= 64),
			      "message %zu unsupported type", i);
			CHECK(in->at >= 0, "message %zu time %lld", i, (long long)in->at);
			/* touch every string: ASan sees a dangling one */
			const char *strs[] = {in->sender_name, in->text, in->payload, in->context_id,
					      in->media_id, in->media_mime, in->media_sha256,
					      in->media_filename, in->loc_name, in->loc_address};
			for (size_t k = 0; k < sizeof strs / sizeof *strs; k++)
				if (strs[k])
					(void)strlen(strs[k]);
		}
		for (size_t i = 0; i < b.nstatuses; i++) {
			const dd_delivery *d = &b.statuses[i];
			CHECK(d->external_id && *d->external_id, "status %zu id", i);
			CHECK(d->state && (!strcmp(d->state, "sent") || !strcmp(d->state, "delivered") ||
					   !strcmp(d->state, "read") || !strcmp(d->state, "failed")),
			      "status %zu state", i);
			if (d->error)
				(void)strlen(d->error);
		}
		CHECK((b.nskipped == 0) == (b.skipped.len == 0), "skipped count and text disagree");
	}
	gw_batch_free(&b);
	return 0;
}

#endif
