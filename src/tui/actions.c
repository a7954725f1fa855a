/* What each action does. Lifecycle changes go through the core with the
 * version the dispatcher saw, so a report changed meanwhile is refused. */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "dutydesk/clock.h"
#include "dutydesk/sanitize.h"
#include "tui.h"

#define UNDO_WINDOW_MS 30000

/* Reports an action applies to: the tagged ones after ';', else the one
 * under the cursor (with the version shown). */
struct targets {
	int64_t ids[4096];
	int64_t versions[4096];
	size_t n;
};

static bool targets(struct tui *t, struct targets *tg)
{
	tg->n = 0;
	if (t->tagged_next) {
		t->tagged_next = false;
		for (size_t i = 0; i < t->ntags && tg->n < 4096; i++) {
			tg->ids[tg->n] = t->tags[i];
			tg->versions[tg->n++] = 0; /* bulk: each as it is now */
		}
		if (!tg->n)
			tui_message(t, true, "%s", _("no reports are tagged (t tags one, T by pattern)"));
		return tg->n > 0;
	}
	const dd_report *r = tui_current(t);
	if (!r) {
		tui_message(t, true, "%s", _("no report here"));
		return false;
	}
	tg->ids[0] = r->id;
	tg->versions[0] = r->version;
	tg->n = 1;
	return true;
}

static bool may_act(struct tui *t)
{
	if (t->actor.role >= DD_ROLE_DISPATCHER)
		return true;
	if (t->actor.role == DD_ROLE_NONE)
		tui_message(t, true, _("read-only: '%s' is not a user; an admin runs: dutydesk user add %s dispatcher"),
			    t->actor.login, t->actor.login);
	else
		tui_message(t, true, _("read-only: %s is an observer"), t->actor.login);
	return false;
}

/* Applies c to every target; says what happened; remembers it for undo. */
static void apply(struct tui *t, dd_change *c, const struct targets *tg)
{
	size_t ok = 0, failed = 0;
	char first_error[512] = "";
	t->nundo = 0;
	for (size_t i = 0; i < tg->n; i++) {
		c->report = tg->ids[i];
		c->expect_version = tg->versions[i];
		dd_err err = {0};
		int64_t v;
		if (dd_report_apply(t->db, &t->actor, c, &v, &err) == DD_OK) {
			ok++;
			int64_t ev = dd_report_last_event(t->db, &t->actor, c->report);
			if (ev && t->nundo < sizeof t->undo_events / sizeof *t->undo_events)
				t->undo_events[t->nundo++] = ev;
		} else {
			failed++;
			if (!first_error[0])
				snprintf(first_error, sizeof first_error, "%s", err.msg);
		}
	}
	t->undo_at = t->nundo ? dd_now_ms() : 0;
	if (tg->n == 1 && failed)
		tui_message(t, true, "%s", first_error);
	else if (tg->n == 1)
		tui_message(t, false, _("#%lld: %s done (u undoes)"), (long long)tg->ids[0],
			    dd_action_label(c->action));
	else if (failed)
		tui_message(t, true, _("%s: %zu done, %zu refused: %s"), dd_action_label(c->action), ok, failed,
			    first_error);
	else
		tui_message(t, false, _("%s: done for %zu tagged reports (u undoes)"), dd_action_label(c->action), ok);
	/* what changed shows at once, and a refused stale action shows the
	 * report as it is now */
	t->data_version = -1;
	tui_poll(t);
}

static char *ask(struct tui *t, const char *arg, const char *label)
{
	return arg ? dd_xstrdup(arg) : tui_prompt(t, label, NULL);
}

static void do_status(struct tui *t, const char *arg)
{
	static const dd_action acts[] = {DD_ACT_ACKNOWLEDGE, DD_ACT_ON_SITE, DD_ACT_RESOLVE,
					 DD_ACT_CLOSE, DD_ACT_REOPEN};
	static const char *const names[] = {"acknowledged", "on_site", "resolved", "closed", "reopen"};
	int k = -1;
	if (arg) {
		for (int i = 0; i < 5; i++)
			if (strcmp(arg, names[i]) == 0 || strcmp(arg, dd_action_code(acts[i])) == 0)
				k = i;
		if (k < 0) {
			tui_message(t, true, _("status: one of acknowledged, on_site, resolved, closed, reopen"));
			return;
		}
	} else {
		const char *items[5];
		for (int i = 0; i < 5; i++)
			items[i] = dd_action_label(acts[i]);
		k = tui_menu(t, _(" Status "), items, 5, 0);
	}
	if (k < 0)
		return;
	struct targets tg;
	if (!targets(t, &tg))
		return;
	dd_change c = {.action = acts[k]};
	apply(t, &c, &tg);
}

static void do_limit(struct tui *t, const char *arg, bool tag)
{
	char *text = arg ? dd_xstrdup(arg) : tui_prompt(t, tag ? _("Tag pattern: ") : _("Limit: "),
						   tag ? NULL : t->limit_text);
	if (!text)
		return;
	dd_pattern *p = NULL;
	dd_err err = {0};
	size_t pos = 0;
	if (*text && dd_pattern_parse(text, &p, &pos, &err)) {
		tui_message(t, true, "%s", err.msg);
		free(text);
		return;
	}
	if (tag) {
		dd_report_filter f;
		tui_filter(t, &f);
		f.pattern = p;
		f.open_only = false;
		dd_report *rows;
		size_t n;
		if (p && dd_report_page(t->db, &f, 0, 4096, &rows, &n, &err) == DD_OK) {
			for (size_t i = 0; i < n; i++)
				if (!tui_is_tagged(t, rows[i].id))
					*(int64_t *)dd_vec_push(&t->tags, &t->ntags, &t->captags, sizeof(int64_t)) = rows[i].id;
			tui_message(t, false, _("tagged %zu reports (%zu in all)"), n, t->ntags);
			dd_report_list_free(&rows, n);
		} else if (p) {
			tui_message(t, true, "%s", err.msg);
		}
		dd_pattern_free(&p);
		free(text);
		return;
	}
	dd_pattern_free(&t->limit);
	free(t->limit_text);
	t->limit = p;
	t->limit_text = *text ? text : NULL;
	if (!*text)
		free(text);
	t->cur = t->top = 0;
	tui_load(t);
	if (t->limit && !t->npage)
		tui_message(t, false, "%s", _("nothing matches the limit"));
	else
		t->msg[0] = '\0';
}

static void save_limit(struct tui *t, const char *arg)
{
	if (!t->limit_text) {
		tui_message(t, true, "%s", _("no limit to save: set one with l first"));
		return;
	}
	char *name = ask(t, arg, _("Save the limit as: "));
	if (!name || !*name || strchr(name, '\t') || strchr(name, '\n')) {
		free(name);
		return;
	}
	char *key = dd_xasprintf("console.limits.%s", t->actor.login);
	char *old = dd_setting_get(t->db, key);
	char *val = dd_xasprintf("%s%s%s\t%s", old ? old : "", old ? "\n" : "", name, t->limit_text);
	dd_err err = {0};
	if (dd_setting_set(t->db, key, val, &err))
		tui_message(t, true, "%s", err.msg);
	else
		tui_message(t, false, _("saved to the sidebar"));
	free(key);
	free(old);
	free(val);
	free(name);
	tui_load_sidebar(t);
}

static void toggle_tag(struct tui *t)
{
	const dd_report *r = tui_current(t);
	if (!r)
		return;
	for (size_t i = 0; i < t->ntags; i++)
		if (t->tags[i] == r->id) {
			t->tags[i] = t->tags[--t->ntags];
			tui_move(t, 1);
			return;
		}
	*(int64_t *)dd_vec_push(&t->tags, &t->ntags, &t->captags, sizeof(int64_t)) = r->id;
	tui_move(t, 1);
}

static void undo(struct tui *t)
{
	if (!t->nundo) {
		tui_message(t, true, "%s", _("nothing to undo"));
		return;
	}
	if (dd_now_ms() - t->undo_at > UNDO_WINDOW_MS) {
		tui_message(t, true, "%s", _("too late to undo: more than 30 seconds have passed"));
		t->nundo = 0;
		return;
	}
	char summary[256] = "", first_error[512] = "";
	size_t ok = 0;
	/* the newest first: the reverse of how they were done */
	while (t->nundo) {
		dd_err err = {0};
		int64_t ev = t->undo_events[--t->nundo];
		if (dd_report_undo(t->db, &t->actor, ev, UNDO_WINDOW_MS, summary, sizeof summary, &err) == DD_OK)
			ok++;
		else if (!first_error[0])
			snprintf(first_error, sizeof first_error, "%s", err.msg);
	}
	if (first_error[0])
		tui_message(t, true, "%s", first_error);
	else if (ok == 1)
		tui_message(t, false, "%s", summary);
	else
		tui_message(t, false, _("undid %zu actions"), ok);
	t->data_version = -1;
	tui_poll(t);
}

static void pick_side(struct tui *t, size_t k)
{
	if (k >= t->nside)
		return;
	t->side_cur = k;
	const struct side_entry *e = &t->side[k];
	if (e->kind == SIDE_LIMIT) {
		do_limit(t, e->pattern, false);
		return;
	}
	t->cur = t->top = 0;
	tui_load(t);
}

void tui_do(struct tui *t, tui_action a, const char *arg)
{
	struct targets *tg = NULL;
	dd_change c = {0};
	char *text = NULL;
	/* finding and moving see the database as it is now; a change is made
	 * on what the dispatcher saw (its version), so it may be refused */
	bool changes = a == ACT_ASSIGN || a == ACT_STATUS || a == ACT_REJECT || a == ACT_DUPLICATE ||
		       a == ACT_NOTE || a == ACT_PRIORITY || a == ACT_CATEGORY || a == ACT_MOVE ||
		       a == ACT_UNDO || a == ACT_TAGGED || a == ACT_COMMAND;
	if (!changes)
		tui_poll(t);
	const dd_report *r = tui_current(t);
	if (a != ACT_TAGGED && t->msg[0]) {
		t->msg[0] = '\0';
		t->dirty = true;
	}
	switch (a) {
	case ACT_DOWN:
	case ACT_UP: {
		int d = a == ACT_DOWN ? 1 : -1;
		if (t->pane == PANE_SIDEBAR) {
			if ((d > 0 && t->side_cur + 1 < t->nside) || (d < 0 && t->side_cur > 0))
				pick_side(t, t->side_cur + (size_t)(ssize_t)d);
		} else {
			tui_move(t, d);
		}
		break;
	}
	case ACT_PAGE_DOWN:
	case ACT_PAGE_UP: {
		int h = tui_queue_height(t);
		tui_move(t, a == ACT_PAGE_DOWN ? h : -h);
		if (a == ACT_PAGE_DOWN && !t->more) {
			/* the last page: keep it full */
		}
		break;
	}
	case ACT_FIRST:
		if (t->pane == PANE_SIDEBAR)
			pick_side(t, 0);
		else
			tui_goto_offset(t, 0);
		break;
	case ACT_LAST:
		if (t->pane == PANE_SIDEBAR) {
			pick_side(t, t->nside - 1);
		} else if (t->total >= 0) {
			tui_goto_offset(t, t->total - 1);
		} else {
			while (t->more)
				tui_goto_offset(t, t->top + (int64_t)t->npage);
			tui_goto_offset(t, t->top + (int64_t)t->npage - 1);
		}
		break;
	case ACT_PANE:
		t->pane = t->pane == PANE_QUEUE ? PANE_SIDEBAR : PANE_QUEUE;
		t->dirty = true;
		break;
	case ACT_OPEN:
		if (t->pane == PANE_SIDEBAR) {
			t->pane = PANE_QUEUE;
			t->dirty = true;
		} else if (r) {
			text = tui_report_text(t, r);
			char title[64];
			snprintf(title, sizeof title, _(" Report #%lld"), (long long)r->id);
			tui_pager(t, title, text);
			/* reading a fresh report settles it */
			for (size_t i = 0; i < t->nfresh; i++)
				if (t->fresh[i] == r->id)
					t->fresh[i] = t->fresh[--t->nfresh];
		}
		break;
	case ACT_GOTO: {
		text = ask(t, arg, _("Go to report #"));
		if (!text)
			break;
		long long id = atoll(text[0] == '#' ? text + 1 : text);
		dd_report_filter f;
		tui_filter(t, &f);
		int64_t pos = id > 0 ? dd_report_position(t->db, &f, id) : -1;
		if (pos < 0 && id > 0) {
			/* not in this queue: in All, without a limit or search, or
			 * (closed and the like) read in the pager */
			dd_report full;
			if (dd_report_get(t->db, id, &full, NULL) != DD_OK) {
				tui_message(t, true, _("no report #%lld"), id);
				break;
			}
			if (dd_rs_is_open(full.status)) {
				dd_pattern_free(&t->limit);
				free(t->limit_text);
				t->limit_text = NULL;
				free(t->search_text);
				t->search_text = NULL;
				t->side_cur = 0;
				tui_filter(t, &f);
				pos = dd_report_position(t->db, &f, id);
			} else {
				char *body = tui_report_text(t, &full);
				char title[64];
				snprintf(title, sizeof title, _(" Report #%lld"), id);
				tui_pager(t, title, body);
				free(body);
			}
			dd_report_clear(&full);
		}
		if (pos >= 0)
			tui_goto_offset(t, pos);
		break;
	}
	case ACT_ASSIGN: {
		if (!may_act(t) || !(tg = calloc(1, sizeof *tg)) || !targets(t, tg))
			break;
		char *badge = arg ? dd_xstrdup(arg) : r ? tui_pick_officer(t, r) : NULL;
		if (!badge)
			break;
		c.action = DD_ACT_ASSIGN;
		c.officer = badge;
		apply(t, &c, tg);
		free(badge);
		break;
	}
	case ACT_STATUS:
		if (may_act(t))
			do_status(t, arg);
		break;
	case ACT_REJECT:
		if (!may_act(t) || !(text = ask(t, arg, _("Reject — the reason: "))))
			break;
		if (!(tg = calloc(1, sizeof *tg)) || !targets(t, tg))
			break;
		c.action = DD_ACT_REJECT;
		c.text = text;
		apply(t, &c, tg);
		break;
	case ACT_DUPLICATE:
		if (!may_act(t) || !(text = ask(t, arg, _("Duplicate of report #"))))
			break;
		if (!(tg = calloc(1, sizeof *tg)) || !targets(t, tg))
			break;
		c.action = DD_ACT_DUPLICATE;
		c.duplicate_of = atoll(text[0] == '#' ? text + 1 : text);
		apply(t, &c, tg);
		break;
	case ACT_NOTE:
		if (!may_act(t) || !(text = ask(t, arg, _("Note: "))))
			break;
		if (!(tg = calloc(1, sizeof *tg)) || !targets(t, tg))
			break;
		c.action = DD_ACT_NOTE;
		c.text = text;
		apply(t, &c, tg);
		break;
	case ACT_PRIORITY: {
		if (!may_act(t))
			break;
		int p = arg ? atoi(arg) : 0;
		if (!arg) {
			const char *items[] = {_("1 urgent"), _("2 high"), _("3 normal"), _("4 low")};
			p = tui_menu(t, _(" Priority "), items, 4, r ? (size_t)(r->priority - 1) : 2) + 1;
		}
		if (p < 1)
			break;
		if (!(tg = calloc(1, sizeof *tg)) || !targets(t, tg))
			break;
		c.action = DD_ACT_PRIORITY;
		c.priority = p;
		apply(t, &c, tg);
		break;
	}
	case ACT_CATEGORY: {
		if (!may_act(t))
			break;
		static const char *const cats[] = {"improvement", "smoking", "hooliganism", "noise",
						   "stolen_goods", "gambling", "other"};
		const char *cat = arg;
		if (!cat) {
			int k = tui_menu(t, _(" Category "), cats, 7, 0);
			if (k < 0)
				break;
			cat = cats[k];
		}
		if (!(tg = calloc(1, sizeof *tg)) || !targets(t, tg))
			break;
		c.action = DD_ACT_CATEGORY;
		c.category = cat;
		apply(t, &c, tg);
		break;
	}
	case ACT_MOVE: {
		if (!may_act(t))
			break;
		char *code = NULL;
		if (arg) {
			code = dd_xstrdup(arg);
		} else {
			const char **items = dd_xcalloc(t->nside + 1, sizeof *items);
			size_t n = 0, map[1024];
			items[n] = _("(unrouted)");
			map[n++] = 1;
			for (size_t i = 0; i < t->nside && n < 1024; i++)
				if (t->side[i].kind == SIDE_DISTRICT) {
					items[n] = t->side[i].label;
					map[n++] = i;
				}
			int k = tui_menu(t, _(" Move to district "), items, n, 0);
			if (k >= 0)
				code = dd_xstrdup(k == 0 ? "" : t->side[map[k]].code);
			free(items);
		}
		if (!code)
			break;
		if ((tg = calloc(1, sizeof *tg)) && targets(t, tg)) {
			c.action = DD_ACT_DISTRICT;
			c.district = strcmp(code, "none") == 0 ? "" : code;
			apply(t, &c, tg);
		}
		free(code);
		break;
	}
	case ACT_SEARCH:
		text = ask(t, arg, _("Search: "));
		if (!text)
			break;
		free(t->search_text);
		t->search_text = *text ? dd_xstrdup(text) : NULL;
		t->cur = t->top = 0;
		tui_load(t);
		if (t->search_text)
			tui_message(t, false, t->npage ? _("search: %s (newest first; / and Enter clears)")
						       : _("nothing found for %s"), text);
		break;
	case ACT_LIMIT:
		do_limit(t, arg, false);
		break;
	case ACT_SAVE_LIMIT:
		save_limit(t, arg);
		break;
	case ACT_TAG:
		toggle_tag(t);
		break;
	case ACT_TAG_PATTERN:
		do_limit(t, arg, true);
		break;
	case ACT_TAGGED:
		if (!t->ntags) {
			tui_message(t, true, "%s", _("no reports are tagged (t tags one, T by pattern)"));
			break;
		}
		t->tagged_next = true;
		t->dirty = true;
		break;
	case ACT_UNDO:
		if (may_act(t))
			undo(t);
		break;
	case ACT_ORDER: {
		static const char *const names[] = {N_("urgency, then oldest"), N_("newest first"),
						    N_("oldest first")};
		t->order = (dd_report_order)(((int)t->order + 1) % 3);
		t->cur = t->top = 0;
		tui_load(t);
		tui_message(t, false, _("order: %s"), _(names[t->order]));
		break;
	}
	case ACT_DETAIL:
		t->show_detail = !t->show_detail;
		tui_load(t);
		break;
	case ACT_COMMAND:
		tui_command_line(t);
		break;
	case ACT_REDRAW:
		clearok(curscr, TRUE);
		t->dirty = true;
		break;
	case ACT_HELP:
		tui_help(t);
		break;
	case ACT_QUIT:
		t->quit = true;
		break;
	default:
		break;
	}
	free(tg);
	free(text);
}

void tui_command_line(struct tui *t)
{
	char *line = tui_prompt(t, ":", NULL);
	if (!line)
		return;
	char *p = line;
	while (*p == ' ')
		p++;
	char *name = p;
	while (*p && *p != ' ')
		p++;
	if (*p)
		*p++ = '\0';
	while (*p == ' ')
		p++;
	if (!*name) {
		free(line);
		return;
	}
	tui_action a = tui_action_by_name(name);
	/* a few short forms people type */
	if (a == ACT_NONE && (strcmp(name, "q") == 0 || strcmp(name, "exit") == 0))
		a = ACT_QUIT;
	if (a == ACT_NONE && name[0] >= '0' && name[0] <= '9') {
		tui_do(t, ACT_GOTO, name);
		free(line);
		return;
	}
	if (a == ACT_NONE || a == ACT_COMMAND)
		tui_message(t, true, _("unknown action '%s'; ? lists them"), name);
	else
		tui_do(t, a, *p || a == ACT_LIMIT || a == ACT_SEARCH ? p : NULL);
	free(line);
}
