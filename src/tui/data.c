/* What the console shows, read from the core a page at a time. */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "dutydesk/clock.h"
#include "dutydesk/gateway_state.h"
#include "dutydesk/sanitize.h"
#include "tui.h"

void tui_message(struct tui *t, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof t->msg, fmt, ap);
	va_end(ap);
	t->msg_error = error;
	t->dirty = true;
}

static void side_free(struct tui *t)
{
	for (size_t i = 0; i < t->nside; i++) {
		free(t->side[i].code);
		free(t->side[i].label);
		free(t->side[i].pattern);
	}
	free(t->side);
	t->side = NULL;
	t->nside = 0;
}

/* Saved limits live in the settings, one list per login. */
static char *limits_key(struct tui *t)
{
	return dd_xasprintf("console.limits.%s", t->actor.login);
}

static void add_saved_limits(struct tui *t, size_t *cap)
{
	char *key = limits_key(t);
	char *saved = dd_setting_get(t->db, key);
	free(key);
	if (!saved)
		return;
	/* one "name\tpattern" per line */
	char *save = NULL;
	for (char *line = strtok_r(saved, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		struct side_entry *e = dd_vec_push(&t->side, &t->nside, cap, sizeof *e);
		e->kind = SIDE_LIMIT;
		char *clean = dd_clean(line);
		e->label = dd_xasprintf("= %s", clean);
		free(clean);
		e->pattern = dd_xstrdup(tab + 1);
	}
	free(saved);
}

bool tui_is_overdue(const struct tui *t, const dd_report *r)
{
	if (!dd_rs_is_open(r->status))
		return false;
	int64_t age = dd_now_ms() - r->received_at;
	if (r->status == DD_RS_NEW && age > (int64_t)t->opt->unassigned_min * 60000)
		return true;
	return age > (int64_t)t->opt->overdue_min * 60000;
}

void tui_load_sidebar(struct tui *t)
{
	char *cur_code = NULL, *cur_label = NULL;
	int cur_kind = SIDE_ALL;
	if (t->nside) {
		struct side_entry *c = &t->side[t->side_cur];
		cur_kind = c->kind;
		cur_code = c->code ? dd_xstrdup(c->code) : NULL;
		cur_label = c->label ? dd_xstrdup(c->label) : NULL;
	}
	side_free(t);
	size_t cap = 0;
	dd_err err = {0};
	dd_district *d = NULL;
	size_t nd = 0;
	dd_report_count *c = NULL;
	size_t nc = 0;
	if (dd_district_list(t->db, &d, &nd, &err) || dd_report_counts(t->db, &c, &nc, &err))
		tui_message(t, true, "%s", err.msg);
	struct side_entry *e0 = dd_vec_push(&t->side, &t->nside, &cap, sizeof *e0);
	e0->kind = SIDE_ALL;
	e0->label = dd_xstrdup(_("All"));
	e0 = dd_vec_push(&t->side, &t->nside, &cap, sizeof *e0);
	e0->kind = SIDE_UNROUTED;
	e0->label = dd_xstrdup(_("Unrouted"));
	for (size_t i = 0; i < nd; i++) {
		struct side_entry *e = dd_vec_push(&t->side, &t->nside, &cap, sizeof *e);
		e->kind = SIDE_DISTRICT;
		e->code = dd_xstrdup(d[i].code);
		char *name = dd_clean(d[i].name), *code = dd_clean(d[i].code);
		e->label = dd_xasprintf("%s %s", code, name);
		free(name);
		free(code);
	}
	/* the array has stopped growing: entries 0 and 1 are All and Unrouted */
	struct side_entry *all = &t->side[0], *unr = &t->side[1];
	t->new_total = 0;
	for (size_t i = 0; i < nc; i++) {
		int64_t n_new = c[i].n[DD_RS_NEW];
		int64_t n_work = c[i].n[DD_RS_ASSIGNED] + c[i].n[DD_RS_ACKNOWLEDGED] + c[i].n[DD_RS_ON_SITE];
		t->new_total += n_new;
		all->n_new += n_new;
		all->n_work += n_work;
		struct side_entry *e = NULL;
		if (!c[i].district)
			e = unr;
		for (size_t j = 2; !e && j < t->nside; j++)
			if (strcmp(t->side[j].code, c[i].district) == 0)
				e = &t->side[j];
		if (e) {
			e->n_new = n_new;
			e->n_work = n_work;
		}
	}
	/* overdue needs the clock: counted over open reports only */
	dd_report_count *od = NULL;
	size_t nod = 0;
	int64_t now = dd_now_ms();
	t->overdue_total = 0;
	if (dd_report_overdue_counts(t->db, now - (int64_t)t->opt->unassigned_min * 60000,
				     now - (int64_t)t->opt->overdue_min * 60000, &od, &nod, &err) == DD_OK) {
		for (size_t i = 0; i < nod; i++) {
			int64_t n = od[i].n[0];
			t->overdue_total += n;
			all->n_overdue += n;
			for (size_t j = 1; j < t->nside; j++) {
				struct side_entry *e = &t->side[j];
				if ((!od[i].district && e->kind == SIDE_UNROUTED) ||
				    (od[i].district && e->code && strcmp(e->code, od[i].district) == 0))
					e->n_overdue = n;
			}
		}
		dd_report_counts_free(&od, nod);
	}
	add_saved_limits(t, &cap);
	dd_district_list_free(&d, nd);
	dd_report_counts_free(&c, nc);

	t->side_cur = 0;
	for (size_t i = 0; i < t->nside; i++) {
		struct side_entry *e = &t->side[i];
		if ((int)e->kind == cur_kind &&
		    ((e->code && cur_code && strcmp(e->code, cur_code) == 0) ||
		     (!e->code && !cur_code && (e->kind != SIDE_LIMIT || (cur_label && strcmp(e->label, cur_label) == 0))))) {
			t->side_cur = i;
			break;
		}
	}
	free(cur_code);
	free(cur_label);
	t->counts_at = now;
	t->dirty = true;
}

void tui_filter(const struct tui *t, dd_report_filter *f)
{
	memset(f, 0, sizeof *f);
	f->order = t->order;
	const struct side_entry *e = t->nside ? &t->side[t->side_cur] : NULL;
	if (e && e->kind == SIDE_DISTRICT)
		f->district = e->code;
	if (e && e->kind == SIDE_UNROUTED)
		f->unrouted = true;
	/* the queue shows open reports, unless a limit asks for statuses
	 * itself (~s) or a search looks through everything */
	f->open_only = !(t->limit_text && strstr(t->limit_text, "~s")) &&
		       !(t->search_text && *t->search_text);
	f->pattern = t->limit;
	f->search = t->search_text;
	f->tagged = t->tags;
	f->ntagged = t->ntags;
}

static int64_t queue_total(struct tui *t, const dd_report_filter *f)
{
	if (f->pattern || f->search)
		return -1;
	const struct side_entry *e = &t->side[t->side_cur];
	return e->n_new + e->n_work;
}

void tui_load(struct tui *t)
{
	dd_report_filter f;
	tui_filter(t, &f);
	int h = tui_queue_height(t);
	t->loaded_height = h;
	if (h < 1)
		h = 1;
	t->total = queue_total(t, &f);
	if (t->cur < 0)
		t->cur = 0;
	if (t->total >= 0 && t->cur >= t->total)
		t->cur = t->total ? t->total - 1 : 0;
	/* the page keeps the cursor in view */
	if (t->cur < t->top)
		t->top = t->cur;
	if (t->cur >= t->top + h)
		t->top = t->cur - h + 1;
	dd_report_list_free(&t->page, t->npage);
	t->npage = 0;
	dd_err err = {0};
	dd_report *rows;
	size_t n;
	if (dd_report_page(t->db, &f, t->top, h + 1, &rows, &n, &err)) {
		tui_message(t, true, "%s", err.msg);
		return;
	}
	t->more = (int)n > h;
	if (t->more)
		dd_report_clear(&rows[--n]);
	t->page = rows;
	t->npage = n;
	if (t->cur >= t->top + (int64_t)n && n)
		t->cur = t->top + (int64_t)n - 1;
	if (!n && t->top > 0) { /* the page emptied under us */
		t->top = t->cur = 0;
		tui_load(t);
		return;
	}
	const dd_report *r = tui_current(t);
	t->cur_id = r ? r->id : 0;
	t->dirty = true;
}

const dd_report *tui_current(const struct tui *t)
{
	int64_t i = t->cur - t->top;
	return i >= 0 && i < (int64_t)t->npage ? &t->page[i] : NULL;
}

void tui_goto_offset(struct tui *t, int64_t off)
{
	t->cur = off < 0 ? 0 : off;
	tui_load(t);
}

void tui_move(struct tui *t, int64_t delta)
{
	int64_t target = t->cur + delta;
	if (target < 0)
		target = 0;
	if (t->total >= 0 && target >= t->total)
		target = t->total - 1;
	int h = tui_queue_height(t);
	/* within the page already loaded: no query */
	if (target >= t->top && target < t->top + (int64_t)t->npage && h == (int)t->npage + 0) {
		t->cur = target;
		t->cur_id = t->page[target - t->top].id;
		t->dirty = true;
		return;
	}
	if (target >= t->top && target < t->top + (int64_t)t->npage) {
		t->cur = target;
		t->cur_id = t->page[target - t->top].id;
		t->dirty = true;
		return;
	}
	if (delta > 0 && !t->more && target >= t->top + (int64_t)t->npage)
		target = t->top + (int64_t)t->npage - 1;
	t->cur = target;
	tui_load(t);
}

bool tui_is_tagged(const struct tui *t, int64_t id)
{
	for (size_t i = 0; i < t->ntags; i++)
		if (t->tags[i] == id)
			return true;
	return false;
}

bool tui_is_fresh(const struct tui *t, int64_t id)
{
	for (size_t i = 0; i < t->nfresh; i++)
		if (t->fresh[i] == id)
			return true;
	return false;
}

/* Keeps the cursor on its report when rows move under it. */
static void follow_cursor(struct tui *t)
{
	int64_t id = t->cur_id;
	tui_load(t);
	if (!id)
		return;
	for (size_t i = 0; i < t->npage; i++)
		if (t->page[i].id == id) {
			t->cur = t->top + (int64_t)i;
			t->cur_id = id;
			return;
		}
	/* it left this page (moved, or its status took it out of the queue):
	 * look for it a few pages around; else the cursor stays put */
	dd_report_filter f;
	tui_filter(t, &f);
	int64_t pos = dd_report_position(t->db, &f, id);
	if (pos >= 0) {
		t->cur = pos;
		tui_load(t);
	}
}

void tui_poll(struct tui *t)
{
	int64_t now = dd_now_ms();
	int64_t v = dd_db_data_version(t->db);
	bool changed = v != t->data_version;
	if (changed) {
		t->data_version = v;
		int64_t max = dd_report_max_id(t->db);
		if (t->max_id && max > t->max_id) {
			/* reports that arrived while we watched stand out */
			for (int64_t id = t->max_id + 1; id <= max && t->nfresh < 4096; id++)
				*(int64_t *)dd_vec_push(&t->fresh, &t->nfresh, &t->capfresh, sizeof(int64_t)) = id;
			if (t->opt->bell)
				beep();
		}
		t->max_id = max;
	}
	if (changed || now - t->counts_at > 30000) {
		tui_load_sidebar(t);
		follow_cursor(t);
	}
	dd_gw_status gs;
	char gw[sizeof t->gateway];
	if (dd_gateway_status(t->db, &gs, NULL) == DD_OK) {
		char *clean = dd_clean(gs.text);
		snprintf(gw, sizeof gw, "%s", clean);
		free(clean);
	} else {
		snprintf(gw, sizeof gw, "%s", _("gateway unknown"));
	}
	/* a gateway never started (a fresh site, a demo) is not an alarm */
	t->gateway_bad = gs.state != DD_GWS_ALIVE && gs.state != DD_GWS_NEVER;
	if (strcmp(gw, t->gateway) != 0) {
		snprintf(t->gateway, sizeof t->gateway, "%s", gw);
		t->dirty = true;
	}
	if (now / 60000 != t->clock_at / 60000) { /* the clock and the ages */
		t->clock_at = now;
		t->dirty = true;
	}
}
