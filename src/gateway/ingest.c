/* One body, every message in it, through the core's inbound path. */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "adapters.h"
#include "ingest.h"

void gw_ingest_out_free(gw_ingest_out *o)
{
	dd_buf_free(&o->lines);
	for (size_t i = 0; i < o->nanswers; i++) {
		free(o->answers[i].id);
		free(o->answers[i].text);
	}
	free(o->answers);
	memset(o, 0, sizeof *o);
}

static void count(gw_ingest_out *o, const dd_inbound_result *r)
{
	switch (r->outcome) {
	case DD_INR_NEW: o->stored++; break;
	case DD_INR_JOINED: o->joined++; break;
	case DD_INR_DUPLICATE: o->duplicates++; break;
	case DD_INR_EDITED: o->edited++; break;
	case DD_INR_OFFICER: o->officer++; break;
	case DD_INR_HELP: o->help++; break;
	case DD_INR_STATUS: o->statuses++; break;
	case DD_INR_IGNORED: o->ignored++; break;
	}
}

static void answer(gw_ingest_out *o, const char *id, const dd_inbound_result *r)
{
	gw_callback_answer *a = dd_vec_push(&o->answers, &o->nanswers, &o->capanswers,
					    sizeof *o->answers);
	a->id = dd_xstrdup(id);
	if (r->outcome == DD_INR_OFFICER)
		a->text = dd_xasprintf(_("Report #%lld: done"), (long long)r->report);
	else if (r->outcome == DD_INR_DUPLICATE)
		a->text = dd_xstrdup(_("Already received"));
	else
		a->text = dd_xstrdup(_("Not understood; see the message"));
}

dd_status gw_ingest(dd_db *db, const char *channel, const char *body, size_t len,
		    int join_window_s, gw_ingest_out *out, dd_err *err)
{
	gw_batch b;
	dd_status s;
	bool tg = strcmp(channel, "telegram") == 0;
	if (!tg && strcmp(channel, "whatsapp") != 0)
		return dd_fail(err, DD_EINVAL, _("unknown channel '%s' (whatsapp or telegram)"),
			       channel);
	s = tg ? tg_parse_updates(body, len, &b, err) : wa_parse_webhook(body, len, &b, err);
	if (s) {
		gw_batch_free(&b);
		return s;
	}
	out->last_update_id = b.last_update_id;
	if (b.skipped.len) {
		dd_buf_printf(&out->lines, "%s", b.skipped.data);
		out->skipped += b.nskipped;
	}
	for (size_t i = 0; i < b.nmsgs; i++) {
		dd_inbound_result r;
		if ((s = dd_inbound_store(db, &b.msgs[i].in, join_window_s, &r, err))) {
			if (s != DD_EINVAL)
				goto out;
			/* a message the core cannot use is skipped, not retried forever */
			dd_buf_printf(&out->lines, "skipped: %s\n", err ? err->msg : "bad message");
			out->skipped++;
			s = DD_OK;
			continue;
		}
		count(out, &r);
		dd_buf_printf(&out->lines, "%s\n", r.summary);
		if (b.msgs[i].callback_id)
			answer(out, b.msgs[i].callback_id, &r);
	}
	for (size_t i = 0; i < b.nstatuses; i++) {
		dd_inbound_result r;
		if ((s = dd_inbound_status(db, &b.statuses[i], &r, err))) {
			if (s != DD_EINVAL)
				goto out;
			dd_buf_printf(&out->lines, "skipped: %s\n", err ? err->msg : "bad status");
			out->skipped++;
			s = DD_OK;
			continue;
		}
		count(out, &r);
		dd_buf_printf(&out->lines, "%s\n", r.summary);
	}
out:
	gw_batch_free(&b);
	return s;
}
