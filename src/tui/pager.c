/* Full-screen text: the report in full, and the help. */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dutydesk/clock.h"
#include "dutydesk/outbox.h"
#include "dutydesk/sanitize.h"
#include "tui.h"

static void add_clean(dd_buf *b, const char *s, unsigned flags)
{
	char *c = dd_clean_text(s ? s : "", s ? strlen(s) : 0, flags);
	dd_buf_adds(b, c);
	free(c);
}

/* "status new → assigned, officer — → 1101" from an event's JSON. */
char *tui_describe_change(const char *before, const char *after)
{
	dd_buf b = {0};
	json_error_t e;
	json_t *jb = before ? json_loads(before, 0, &e) : NULL;
	json_t *ja = after ? json_loads(after, 0, &e) : NULL;
	const char *key;
	json_t *v;
	json_object_foreach(ja, key, v) {
		if (strcmp(key, "version") == 0)
			continue;
		json_t *old = json_object_get(jb, key);
		char *nv = json_is_string(v) ? dd_xstrdup(json_string_value(v))
			 : json_is_null(v) ? dd_xstrdup("—") : json_dumps(v, JSON_ENCODE_ANY);
		if (b.len)
			dd_buf_adds(&b, ", ");
		if (old) {
			char *ov = json_is_string(old) ? dd_xstrdup(json_string_value(old))
				 : json_is_null(old) ? dd_xstrdup("—") : json_dumps(old, JSON_ENCODE_ANY);
			dd_buf_printf(&b, "%s %s → %s", key, ov, nv);
			free(ov);
		} else {
			dd_buf_printf(&b, "%s %s", key, nv);
		}
		free(nv);
	}
	json_decref(jb);
	json_decref(ja);
	return dd_buf_take(&b);
}

char *tui_report_text(struct tui *t, const dd_report *r)
{
	dd_buf b = {0};
	char when[40];
	dd_time_short(when, sizeof when, r->received_at);
	char *cat = dd_clean(r->category);
	dd_buf_printf(&b, _("#%lld  %s  priority %d  %s  v%lld\n"), (long long)r->id,
		      dd_rs_label(r->status), r->priority, cat, (long long)r->version);
	free(cat);
	dd_buf_printf(&b, _("Received %s by %s"), when, r->channel);
	if (r->district) {
		dd_buf_adds(&b, _(", district "));
		add_clean(&b, r->district, 0);
	} else {
		dd_buf_adds(&b, _(", unrouted"));
	}
	dd_buf_addc(&b, '\n');
	if (r->reporter_name || r->reporter_phone || r->org_name || r->sender || r->sender_name) {
		dd_buf_adds(&b, _("From: "));
		add_clean(&b, r->org_name ? r->org_name : "", 0);
		dd_buf_adds(&b, r->org_name ? ", " : "");
		add_clean(&b, r->reporter_name ? r->reporter_name : r->sender_name, 0);
		dd_buf_adds(&b, " ");
		add_clean(&b, r->reporter_phone ? r->reporter_phone : r->sender, 0);
		dd_buf_addc(&b, '\n');
	}
	if (r->address) {
		dd_buf_adds(&b, _("Address: "));
		add_clean(&b, r->address, 0);
		dd_buf_addc(&b, '\n');
	}
	if (r->has_location)
		dd_buf_printf(&b, _("Location: %.5f, %.5f\n"), r->lat, r->lon);
	if (r->officer_badge) {
		dd_buf_adds(&b, _("Officer: "));
		add_clean(&b, r->officer_badge, 0);
		dd_buf_adds(&b, " ");
		add_clean(&b, r->officer_name, 0);
		dd_buf_addc(&b, '\n');
	}
	if (r->reason) {
		dd_buf_adds(&b, _("Reason: "));
		add_clean(&b, r->reason, 0);
		dd_buf_addc(&b, '\n');
	}
	if (r->duplicate_of)
		dd_buf_printf(&b, _("Duplicate of #%lld\n"), (long long)r->duplicate_of);
	dd_buf_addc(&b, '\n');
	add_clean(&b, r->text, DD_CLEAN_MULTILINE);
	dd_buf_adds(&b, "\n");

	dd_err err = {0};
	dd_attachment *att;
	size_t natt;
	if (dd_report_attachments(t->db, r->id, &att, &natt, &err) == DD_OK) {
		if (natt)
			dd_buf_adds(&b, _("\nAttachments:\n"));
		for (size_t i = 0; i < natt; i++) {
			dd_buf_printf(&b, "  %s %lld B %s  ", att[i].kind, (long long)att[i].size,
				      att[i].state);
			add_clean(&b, att[i].path ? att[i].path : att[i].mime, 0);
			dd_buf_addc(&b, '\n');
		}
		dd_attachment_list_free(&att, natt);
	}
	dd_note *notes;
	size_t nnotes;
	if (dd_report_notes(t->db, r->id, &notes, &nnotes, &err) == DD_OK) {
		if (nnotes)
			dd_buf_adds(&b, _("\nNotes:\n"));
		for (size_t i = 0; i < nnotes; i++) {
			dd_time_short(when, sizeof when, notes[i].at);
			dd_buf_printf(&b, "  %s ", when + 5);
			add_clean(&b, notes[i].author, 0);
			dd_buf_adds(&b, ": ");
			add_clean(&b, notes[i].text, 0);
			dd_buf_addc(&b, '\n');
		}
		dd_note_list_free(&notes, nnotes);
	}
	dd_notification *nt;
	size_t nnt;
	if (dd_outbox_for_report(t->db, r->id, &nt, &nnt, &err) == DD_OK) {
		if (nnt)
			dd_buf_adds(&b, _("\nNotifications:\n"));
		for (size_t i = 0; i < nnt; i++) {
			dd_time_short(when, sizeof when, nt[i].created_at);
			dd_buf_printf(&b, "  %s %s ", when + 5, nt[i].recipient);
			add_clean(&b, nt[i].to, 0);
			dd_buf_printf(&b, " %s: %s", nt[i].channel, nt[i].state);
			if (nt[i].error) {
				dd_buf_adds(&b, " — ");
				add_clean(&b, nt[i].error, 0);
			}
			dd_buf_addc(&b, '\n');
		}
		dd_notification_list_free(&nt, nnt);
	}
	dd_event *ev;
	size_t nev;
	if (dd_report_events(t->db, r->id, &ev, &nev, &err) == DD_OK) {
		dd_buf_adds(&b, _("\nHistory:\n"));
		for (size_t i = 0; i < nev; i++) {
			dd_time_short(when, sizeof when, ev[i].at);
			dd_buf_printf(&b, "  %s ", when + 5);
			add_clean(&b, ev[i].actor, 0);
			dd_buf_printf(&b, " %s", ev[i].action);
			char *change = tui_describe_change(ev[i].before, ev[i].after);
			if (*change) {
				dd_buf_adds(&b, ": ");
				add_clean(&b, change, 0);
			}
			free(change);
			dd_buf_addc(&b, '\n');
		}
		dd_event_list_free(&ev, nev);
	}
	if (r->reporter_phone) {
		/* the reporter's other recent reports */
		dd_pattern *p = NULL;
		char *pat = dd_xasprintf("~r %s", r->reporter_phone);
		if (dd_pattern_parse(pat, &p, NULL, NULL) == DD_OK) {
			dd_report_filter f = {.pattern = p, .order = DD_ORDER_NEWEST};
			dd_report *rows;
			size_t n;
			if (dd_report_page(t->db, &f, 0, 6, &rows, &n, &err) == DD_OK) {
				bool head = false;
				for (size_t i = 0; i < n; i++) {
					if (rows[i].id == r->id)
						continue;
					if (!head)
						dd_buf_adds(&b, _("\nThe reporter's last reports:\n"));
					head = true;
					dd_time_short(when, sizeof when, rows[i].received_at);
					dd_buf_printf(&b, "  #%lld %s %s ", (long long)rows[i].id, when + 5,
						      dd_rs_code(rows[i].status));
					char *c = dd_clean(rows[i].text);
					dd_buf_add(&b, c, dd_text_prefix(c, 50, NULL));
					free(c);
					dd_buf_addc(&b, '\n');
				}
				dd_report_list_free(&rows, n);
			}
			dd_pattern_free(&p);
		}
		free(pat);
	}
	return dd_buf_take(&b);
}

void tui_pager(struct tui *t, const char *title, const char *text)
{
	int top = 0;
	for (;;) {
		getmaxyx(stdscr, t->rows, t->cols);
		int h = t->rows - 2, w = t->cols;
		size_t max = 4096, *starts = dd_xcalloc(max, sizeof *starts), *lens = dd_xcalloc(max, sizeof *lens);
		size_t n = tui_wrap(text, w - 1, starts, lens, max);
		if (n > max)
			n = max;
		if (top > (int)n - h)
			top = (int)n - h;
		if (top < 0)
			top = 0;
		erase();
		tui_put(stdscr, 0, 0, title, w, tui_attr(t, TR_HEADER));
		for (int i = 0; i < h && top + i < (int)n; i++) {
			char *line = dd_xstrndup(text + starts[top + i], lens[top + i]);
			tui_put(stdscr, 1 + i, 0, line, w, A_NORMAL);
			free(line);
		}
		char foot[160];
		snprintf(foot, sizeof foot, _("%d-%d of %zu  j/k, PgUp/PgDn, q to close"), top + 1,
			 top + h < (int)n ? top + h : (int)n, n);
		tui_put(stdscr, t->rows - 1, 0, foot, w, tui_attr(t, TR_DIM) | A_REVERSE);
		refresh();
		free(starts);
		free(lens);
		wint_t ch;
		int rc = tui_read_key(t, -1, &ch);
		if (rc == ERR)
			continue;
		if (rc == KEY_CODE_YES) {
			if (ch == KEY_DOWN) top++;
			else if (ch == KEY_UP) top--;
			else if (ch == KEY_NPAGE) top += h;
			else if (ch == KEY_PPAGE) top -= h;
			else if (ch == KEY_HOME) top = 0;
			else if (ch == KEY_END) top = (int)n;
			continue;
		}
		if (ch == 'j' || ch == '\r' || ch == '\n') top++;
		else if (ch == 'k') top--;
		else if (ch == ' ') top += h;
		else if (ch == 'b') top -= h;
		else if (ch == 'q' || ch == 27 || ch == 'Q')
			break;
	}
	t->dirty = true;
	erase();
}

void tui_help(struct tui *t)
{
	dd_buf b = {0};
	dd_buf_adds(&b, _("Keys (rebind them in the config file's [keys] section: action = key)\n\n"));
	for (int a = 0; a < ACT_COUNT; a++) {
		char key[16];
		tui_action_key(t, (tui_action)a, key, sizeof key);
		dd_buf_printf(&b, "  %-6s %-12s %s\n", key, tui_action_name((tui_action)a),
			      tui_action_help((tui_action)a));
	}
	dd_buf_adds(&b, _("\nEvery action can also be typed after ':' by its name, e.g. ':assign 1101',\n"
			  "':status resolved', ':priority 1', ':goto 42', ':limit ~u ~d PVL-01'.\n\n"
			  "Limit patterns: ~s STATUS, ~d DISTRICT (none = unrouted), ~c CATEGORY,\n"
			  "~p N (<N, >N, N-M), ~o OFFICER, ~r REPORTER, ~a >30m (age: s m h d w),\n"
			  "~u unassigned, ~t tagged, words for full text; combine with a space (and),\n"
			  "| (or), ! (not) and parentheses. The queue shows open reports unless the\n"
			  "limit names statuses with ~s; a search looks through all reports.\n\n"
			  "Rows: * tagged; highlighted rows arrived while you watched; overdue rows\n"
			  "stand out. Sidebar counts are new/in work/overdue.\n"));
	tui_pager(t, _(" dutydesk — help"), b.data);
	dd_buf_free(&b);
}
