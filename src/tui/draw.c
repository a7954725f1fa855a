/* Drawing: header, sidebar, queue, detail pane, status line. Everything is
 * drawn into curses' buffer; curses sends the terminal only what changed. */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "dutydesk/clock.h"
#include "dutydesk/sanitize.h"
#include "tui.h"

#define MIN_COLS 60
#define MIN_ROWS 16

void tui_put(WINDOW *w, int y, int x, const char *clean, int width, int attr)
{
	if (width <= 0)
		return;
	dd_buf b = {0};
	dd_text_fit(&b, clean ? clean : "", width);
	wattrset(w, attr);
	mvwaddstr(w, y, x, b.data);
	wattrset(w, A_NORMAL);
	dd_buf_free(&b);
}

static int sidebar_width(const struct tui *t)
{
	return t->cols >= 100 ? 26 : t->cols >= 80 ? 20 : 16;
}

/* Where the detail pane goes: 0 none, 1 right, 2 bottom. */
static int detail_place(const struct tui *t, int *size)
{
	if (!t->show_detail)
		return 0;
	int qw = t->cols - sidebar_width(t) - 1;
	if (qw >= 150) {
		*size = qw / 2;
		return 1;
	}
	if (t->rows >= 30) {
		*size = (t->rows - 3) / 2;
		return 2;
	}
	return 0;
}

int tui_queue_height(const struct tui *t)
{
	int size, place = detail_place(t, &size);
	int h = t->rows - 3;
	if (place == 2)
		h -= size + 1;
	return h;
}

static void draw_header(struct tui *t)
{
	char clock[32], line[512];
	dd_time_short(clock, sizeof clock, dd_now_ms());
	char *site = dd_clean(t->cfg->site_name);
	char *login = dd_clean(t->actor.login);
	const char *role = t->actor.role == DD_ROLE_NONE ? _("read-only") : dd_role_name(t->actor.role);
	snprintf(line, sizeof line, " %s | %s | %s (%s) | %s | %s %lld  %s %lld", site, clock + 11,
		 login, role, t->gateway, _("new"), (long long)t->new_total, _("overdue"),
		 (long long)t->overdue_total);
	free(site);
	free(login);
	tui_put(stdscr, 0, 0, line, t->cols, tui_attr(t, t->gateway_bad ? TR_ERROR : TR_HEADER));
}

static void draw_sidebar(struct tui *t, int x, int y, int w, int h)
{
	if (t->side_cur < t->side_top)
		t->side_top = t->side_cur;
	if (t->side_cur >= t->side_top + (size_t)h)
		t->side_top = t->side_cur - (size_t)h + 1;
	for (int i = 0; i < h; i++) {
		size_t k = t->side_top + (size_t)i;
		if (k >= t->nside) {
			tui_put(stdscr, y + i, x, "", w, A_NORMAL);
			continue;
		}
		const struct side_entry *e = &t->side[k];
		char counts[48] = "";
		if (e->kind != SIDE_LIMIT)
			snprintf(counts, sizeof counts, "%lld/%lld/%lld", (long long)e->n_new,
				 (long long)e->n_work, (long long)e->n_overdue);
		int cw = (int)strlen(counts);
		int attr = A_NORMAL;
		if (k == t->side_cur)
			attr = t->pane == PANE_SIDEBAR ? tui_attr(t, TR_SELECTED) : (int)A_BOLD;
		else if (e->n_overdue)
			attr = tui_attr(t, TR_OVERDUE);
		tui_put(stdscr, y + i, x, e->label, w - cw - 1, attr);
		tui_put(stdscr, y + i, x + w - cw - 1, " ", 1, attr);
		tui_put(stdscr, y + i, x + w - cw, counts, cw, attr);
	}
}

static const char *pri_mark(int p)
{
	return p == 1 ? "!" : p == 2 ? "+" : p == 4 ? "-" : " ";
}

static const char *notify_mark(const char *state)
{
	if (!state)
		return "";
	/* the officer's notification: [q]ueued, [s]ent, [d]elivered, [r]ead */
	if (strcmp(state, "queued") == 0 || strcmp(state, "sending") == 0)
		return " [q]";
	if (strcmp(state, "sent") == 0)
		return " [s]";
	if (strcmp(state, "delivered") == 0)
		return " [d]";
	if (strcmp(state, "read") == 0)
		return " [r]";
	if (strcmp(state, "failed") == 0)
		return _(" [FAIL]");
	return "";
}

static void draw_row(struct tui *t, const struct col_layout *L, int y, int x, int w,
		     const dd_report *r, bool selected)
{
	char id[24], age[16], status[64];
	snprintf(id, sizeof id, "%c%lld", tui_is_tagged(t, r->id) ? '*' : '#', (long long)r->id);
	dd_time_age(age, sizeof age, r->received_at, dd_now_ms());
	snprintf(status, sizeof status, "%s%s", dd_rs_label(r->status), notify_mark(r->notify_state));
	const char *from = r->org_name ? r->org_name
			 : r->reporter_name ? r->reporter_name
			 : r->sender_name ? r->sender_name : r->sender;
	char *cfrom = dd_clean(from ? from : "?");
	char *ctext = dd_clean(r->text);
	char *cdist = dd_clean(r->district ? r->district : "—");
	char *coff = dd_clean(r->officer_badge ? r->officer_badge : "—");
	char *ccat = dd_clean(r->category);
	const char *cells[NCOLS] = {
		[COL_ID] = id, [COL_AGE] = age, [COL_PRI] = pri_mark(r->priority),
		[COL_CAT] = ccat, [COL_DISTRICT] = cdist, [COL_FROM] = cfrom,
		[COL_TEXT] = ctext, [COL_OFFICER] = coff, [COL_STATUS] = status,
	};
	int attr = A_NORMAL;
	if (selected)
		attr = tui_attr(t, t->pane == PANE_QUEUE ? TR_SELECTED : TR_DIM) | (t->pane == PANE_QUEUE ? 0 : A_REVERSE);
	else if (tui_is_fresh(t, r->id))
		attr = tui_attr(t, TR_FRESH);
	else if (tui_is_overdue(t, r))
		attr = tui_attr(t, TR_OVERDUE);
	else if (tui_is_tagged(t, r->id))
		attr = tui_attr(t, TR_TAGGED);
	else if (r->status == DD_RS_NEW)
		attr = tui_attr(t, TR_NEW);
	/* one line: the cells, each fitted to its width, with the spaces between */
	dd_buf line = {0};
	for (int c = 0; c < NCOLS; c++) {
		if (L->x[c] < 0)
			continue;
		if (line.len)
			dd_buf_addc(&line, ' ');
		dd_text_fit(&line, cells[c] ? cells[c] : "", L->width[c]);
	}
	tui_put(stdscr, y, x, line.data, w, attr);
	if (!selected && r->priority == 1 && L->x[COL_PRI] >= 0)
		tui_put(stdscr, y, x + L->x[COL_PRI], "!", 1, tui_attr(t, TR_URGENT));
	if (!selected && r->notify_state && strcmp(r->notify_state, "failed") == 0 && L->x[COL_STATUS] >= 0)
		tui_put(stdscr, y, x + L->x[COL_STATUS], status, L->width[COL_STATUS], tui_attr(t, TR_ERROR));
	dd_buf_free(&line);
	free(cfrom);
	free(ctext);
	free(cdist);
	free(coff);
	free(ccat);
}

static void draw_queue(struct tui *t, int x, int y, int w, int h)
{
	struct col_layout L;
	tui_layout(w, &L);
	dd_buf head = {0};
	for (int c = 0; c < NCOLS; c++) {
		if (L.x[c] < 0)
			continue;
		if (head.len)
			dd_buf_addc(&head, ' ');
		dd_text_fit(&head, tui_col_title((enum queue_col)c), L.width[c]);
	}
	tui_put(stdscr, y, x, head.data, w, A_BOLD | A_UNDERLINE);
	dd_buf_free(&head);
	for (int i = 0; i < h; i++) {
		if ((size_t)i < t->npage)
			draw_row(t, &L, y + 1 + i, x, w, &t->page[i], t->top + i == t->cur);
		else if (i == 0 && !t->npage)
			tui_put(stdscr, y + 1, x, _("  (no reports here)"), w, tui_attr(t, TR_DIM));
		else
			tui_put(stdscr, y + 1 + i, x, "", w, A_NORMAL);
	}
}

static void draw_detail(struct tui *t, int x, int y, int w, int h)
{
	const dd_report *r = tui_current(t);
	for (int i = 0; i < h; i++)
		tui_put(stdscr, y + i, x, "", w, A_NORMAL);
	if (!r)
		return;
	char *text = tui_report_text(t, r);
	size_t starts[256], lens[256];
	size_t n = tui_wrap(text, w - 1, starts, lens, 256);
	for (int i = 0; i < h && (size_t)i < n && i < 256; i++) {
		char *line = dd_xstrndup(text + starts[i], lens[i]);
		tui_put(stdscr, y + i, x + 1, line, w - 1, i == 0 ? A_BOLD : A_NORMAL);
		free(line);
	}
	free(text);
}

static void hint(struct tui *t, dd_buf *b, tui_action a, const char *label)
{
	char key[16];
	tui_action_key(t, a, key, sizeof key);
	dd_buf_printf(b, "%s %s  ", key, label);
}

static void draw_status(struct tui *t)
{
	int y = t->rows - 1;
	if (t->msg[0]) {
		char *m = dd_clean(t->msg);
		tui_put(stdscr, y, 0, m, t->cols, tui_attr(t, t->msg_error ? TR_ERROR : TR_OK));
		free(m);
		return;
	}
	dd_buf b = {0};
	if (t->tagged_next)
		dd_buf_printf(&b, _("; next action goes to %zu tagged  "), t->ntags);
	if (t->pane == PANE_SIDEBAR) {
		hint(t, &b, ACT_DOWN, _("move"));
		hint(t, &b, ACT_PANE, _("queue"));
	} else {
		hint(t, &b, ACT_ASSIGN, _("assign"));
		hint(t, &b, ACT_STATUS, _("status"));
		hint(t, &b, ACT_REJECT, _("reject"));
		hint(t, &b, ACT_NOTE, _("note"));
		hint(t, &b, ACT_OPEN, _("read"));
		hint(t, &b, ACT_SEARCH, _("search"));
		hint(t, &b, ACT_LIMIT, _("limit"));
	}
	hint(t, &b, ACT_HELP, _("help"));
	hint(t, &b, ACT_QUIT, _("quit"));
	if (t->limit_text)
		dd_buf_printf(&b, "[%s]", t->limit_text);
	char *clean = dd_clean(b.data);
	tui_put(stdscr, y, 0, clean, t->cols, tui_attr(t, TR_DIM) | A_REVERSE);
	free(clean);
	dd_buf_free(&b);
}

void tui_draw(struct tui *t)
{
	getmaxyx(stdscr, t->rows, t->cols);
	t->too_small = t->cols < MIN_COLS || t->rows < MIN_ROWS;
	if (t->too_small) {
		erase();
		char m[128];
		snprintf(m, sizeof m, _("terminal too small: %dx%d, dutydesk needs %dx%d"), t->cols, t->rows,
			 MIN_COLS, MIN_ROWS);
		mvaddnstr(t->rows / 2, 0, m, t->cols);
		refresh();
		return;
	}
	int sw = sidebar_width(t);
	int body = t->rows - 2;
	draw_header(t);
	draw_sidebar(t, 0, 1, sw, body);
	mvvline(1, sw, ACS_VLINE, body);
	int qx = sw + 1, qw = t->cols - qx;
	int size = 0, place = detail_place(t, &size);
	if (place == 1) {
		qw -= size + 1;
		mvvline(1, qx + qw, ACS_VLINE, body);
		draw_detail(t, qx + qw + 1, 1, size, body);
	}
	int qh = tui_queue_height(t);
	if (qh != t->loaded_height) /* resized under a pager, prompt or menu */
		tui_load(t);
	draw_queue(t, qx, 1, qw, qh);
	if (place == 2) {
		tui_put(stdscr, 2 + qh, qx, "", qw, A_NORMAL);
		mvhline(2 + qh, qx, ACS_HLINE, qw);
		draw_detail(t, qx, 3 + qh, qw, size);
	}
	draw_status(t);
	refresh();
	t->dirty = false;
}
