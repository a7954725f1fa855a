/* Prompts, menus and the officer picker, drawn over the bottom of the
 * screen. Typed text is wide-character aware (Cyrillic, Kazakh). */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "dutydesk/sanitize.h"
#include "tui.h"

static char *to_utf8(const wchar_t *w)
{
	size_t n = wcstombs(NULL, w, 0);
	if (n == (size_t)-1)
		return dd_xstrdup("");
	char *s = dd_xmalloc(n + 1);
	wcstombs(s, w, n + 1);
	return s;
}

/* Edits buf (wide, len cap) with one key; returns 1 on Enter, -1 on Esc,
 * 0 otherwise. */
static int edit_key(wchar_t *buf, size_t cap, int rc, wint_t ch)
{
	size_t len = wcslen(buf);
	if (rc == KEY_CODE_YES) {
		if (ch == KEY_BACKSPACE && len)
			buf[len - 1] = 0;
		else if (ch == KEY_ENTER)
			return 1;
		return 0;
	}
	if (ch == 27)
		return -1;
	if (ch == '\r' || ch == '\n')
		return 1;
	if ((ch == 127 || ch == 8) && len)
		buf[len - 1] = 0;
	else if (ch == 21) /* C-u */
		buf[0] = 0;
	else if (ch == 23) { /* C-w: the last word */
		while (len && buf[len - 1] == ' ')
			buf[--len] = 0;
		while (len && buf[len - 1] != ' ')
			buf[--len] = 0;
	} else if (ch >= ' ' && ch != 127 && len + 1 < cap && iswprint(ch)) {
		buf[len] = (wchar_t)ch;
		buf[len + 1] = 0;
	}
	return 0;
}

char *tui_prompt(struct tui *t, const char *label, const char *initial)
{
	wchar_t buf[512] = {0};
	if (initial)
		mbstowcs(buf, initial, sizeof buf / sizeof *buf - 1);
	curs_set(1);
	leaveok(stdscr, FALSE);
	char *result = NULL;
	for (;;) {
		char *typed = to_utf8(buf);
		char *clean = dd_clean(typed);
		char *line = dd_xasprintf("%s%s", label, clean);
		int y = t->rows - 1, w = dd_text_width(line);
		tui_put(stdscr, y, 0, "", t->cols, A_NORMAL);
		/* long input scrolls: the end stays visible */
		const char *shown = line;
		while (w >= t->cols && *shown) {
			shown++;
			while (((unsigned char)*shown & 0xC0) == 0x80)
				shown++;
			w = dd_text_width(shown);
		}
		tui_put(stdscr, y, 0, shown, t->cols, A_BOLD);
		move(y, w < t->cols ? w : t->cols - 1);
		refresh();
		free(line);
		free(clean);
		free(typed);
		wint_t ch;
		int rc = tui_read_key(t, -1, &ch);
		if (rc == ERR)
			continue;
		if (rc == KEY_CODE_YES && ch == KEY_RESIZE) {
			getmaxyx(stdscr, t->rows, t->cols);
			tui_draw(t);
			continue;
		}
		int done = edit_key(buf, sizeof buf / sizeof *buf, rc, ch);
		if (done == 1) {
			result = to_utf8(buf);
			break;
		}
		if (done == -1)
			break;
	}
	curs_set(0);
	leaveok(stdscr, TRUE);
	t->dirty = true;
	return result;
}

/* The keys that move in a list of n rows (arrows, a page of page rows),
 * and a resize; true when ch was one of them. */
static bool list_key(struct tui *t, wint_t ch, size_t *cur, size_t n, size_t page)
{
	if (ch == KEY_DOWN && *cur + 1 < n)
		(*cur)++;
	else if (ch == KEY_UP && *cur > 0)
		(*cur)--;
	else if (ch == KEY_NPAGE)
		*cur = *cur + page < n ? *cur + page : (n ? n - 1 : 0);
	else if (ch == KEY_PPAGE)
		*cur = *cur > page ? *cur - page : 0;
	else if (ch == KEY_RESIZE) {
		getmaxyx(stdscr, t->rows, t->cols);
		tui_draw(t);
	} else
		return ch == KEY_DOWN || ch == KEY_UP;
	return true;
}

int tui_menu(struct tui *t, const char *title, const char *const *items, size_t n, size_t initial)
{
	size_t cur = initial < n ? initial : 0;
	int result = -1;
	for (;;) {
		int h = (int)n + 2, w = dd_text_width(title) + 4;
		for (size_t i = 0; i < n; i++)
			if (dd_text_width(items[i]) + 6 > w)
				w = dd_text_width(items[i]) + 6;
		if (w > t->cols - 2)
			w = t->cols - 2;
		if (h > t->rows - 2)
			h = t->rows - 2;
		int y0 = (t->rows - h) / 2, x0 = (t->cols - w) / 2;
		tui_put(stdscr, y0, x0, title, w, tui_attr(t, TR_HEADER));
		size_t top = cur >= (size_t)(h - 2) ? cur - (size_t)(h - 2) + 1 : 0;
		for (int i = 0; i < h - 2; i++) {
			size_t k = top + (size_t)i;
			char line[512] = "";
			if (k < n)
				snprintf(line, sizeof line, " %zu %s", k + 1, items[k]);
			tui_put(stdscr, y0 + 1 + i, x0, line, w, k == cur ? tui_attr(t, TR_SELECTED) : (int)A_REVERSE);
		}
		tui_put(stdscr, y0 + h - 1, x0, _(" Enter choose, Esc cancel"), w, A_REVERSE | A_DIM);
		refresh();
		wint_t ch;
		int rc = tui_read_key(t, -1, &ch);
		if (rc == ERR)
			continue;
		if (rc == KEY_CODE_YES) {
			if (ch == KEY_ENTER) { result = (int)cur; break; }
			list_key(t, ch, &cur, n, (size_t)(h - 2));
			continue;
		}
		if (ch == 'j' && cur + 1 < n) cur++;
		else if (ch == 'k' && cur > 0) cur--;
		else if (ch == '\r' || ch == '\n') { result = (int)cur; break; }
		else if (ch == 27 || ch == 'q') break;
		else if (ch >= '1' && ch <= '9' && (size_t)(ch - '1') < n) { result = (int)(ch - '1'); break; }
	}
	t->dirty = true;
	erase();
	return result;
}

/* Case-insensitive "needle in hay" for what people type (Cyrillic too). */
static bool matches(const char *hay, const wchar_t *needle)
{
	if (!needle[0])
		return true;
	wchar_t w[512];
	size_t n = mbstowcs(w, hay, 511);
	if (n == (size_t)-1)
		return false;
	w[n] = 0;
	for (size_t i = 0; w[i]; i++) {
		size_t j = 0;
		while (needle[j] && w[i + j] && towlower((wint_t)w[i + j]) == towlower((wint_t)needle[j]))
			j++;
		if (!needle[j])
			return true;
	}
	return false;
}

char *tui_pick_officer(struct tui *t, const dd_report *r)
{
	dd_officer *all;
	size_t n;
	dd_err err = {0};
	if (dd_officer_list(t->db, NULL, &all, &n, &err)) {
		tui_message(t, true, "%s", err.msg);
		return NULL;
	}
	/* the report's district first, then the rest; on duty before off */
	size_t *order = dd_xcalloc(n ? n : 1, sizeof *order), k = 0;
	for (int pass = 0; pass < 4; pass++)
		for (size_t i = 0; i < n; i++) {
			bool here = r->district && all[i].district && strcmp(all[i].district, r->district) == 0;
			if (!all[i].active)
				continue;
			if ((pass < 2) != here || (pass % 2 == 0) != all[i].on_duty)
				continue;
			order[k++] = i;
		}
	wchar_t filter[64] = {0};
	size_t cur = 0, top = 0;
	char *result = NULL;
	curs_set(1);
	leaveok(stdscr, FALSE);
	for (;;) {
		size_t shown[512], ns = 0;
		for (size_t i = 0; i < k && ns < 512; i++) {
			dd_officer *o = &all[order[i]];
			if (matches(o->badge, filter) || matches(o->name, filter))
				shown[ns++] = order[i];
		}
		if (cur >= ns)
			cur = ns ? ns - 1 : 0;
		int h = t->rows - 4, w = t->cols - 4, y0 = 2, x0 = 2;
		if (cur < top)
			top = cur;
		if (cur >= top + (size_t)(h - 2))
			top = cur - (size_t)(h - 2) + 1;
		char title[256];
		snprintf(title, sizeof title, _(" Assign #%lld to: (type to filter by name or badge)"),
			 (long long)r->id);
		tui_put(stdscr, y0, x0, title, w, tui_attr(t, TR_HEADER));
		for (int i = 0; i < h - 2; i++) {
			size_t j = top + (size_t)i;
			char line[512] = "";
			if (j < ns) {
				dd_officer *o = &all[shown[j]];
				char *name = dd_clean(o->name), *badge = dd_clean(o->badge);
				char *dist = dd_clean(o->district ? o->district : "-");
				dd_buf b = {0};
				dd_buf_addc(&b, ' ');
				dd_text_fit(&b, badge, 8);
				dd_buf_addc(&b, ' ');
				dd_text_fit(&b, name, 32);
				dd_buf_addc(&b, ' ');
				dd_text_fit(&b, dist, 7);
				dd_buf_printf(&b, " %-9s %s %d", o->on_duty ? _("on duty") : _("off duty"),
					      _("open"), o->open);
				snprintf(line, sizeof line, "%s", b.data);
				dd_buf_free(&b);
				free(name);
				free(badge);
				free(dist);
			}
			tui_put(stdscr, y0 + 1 + i, x0, line, w, j == cur && j < ns ? tui_attr(t, TR_SELECTED) : (int)A_REVERSE);
		}
		char *typed = to_utf8(filter);
		char *clean = dd_clean(typed);
		char *foot = dd_xasprintf(_(" filter: %s   (%zu)  Enter assign, Esc cancel"), clean, ns);
		tui_put(stdscr, y0 + h - 1, x0, foot, w, A_REVERSE);
		move(y0 + h - 1, x0 + 9 + dd_text_width(clean));
		free(foot);
		free(clean);
		free(typed);
		refresh();
		wint_t ch;
		int rc = tui_read_key(t, -1, &ch);
		if (rc == ERR)
			continue;
		if (rc == KEY_CODE_YES) {
			if (ch == KEY_ENTER && ns) { result = dd_xstrdup(all[shown[cur]].badge); break; }
			else if (!list_key(t, ch, &cur, ns, (size_t)h))
				edit_key(filter, 64, rc, ch);
			continue;
		}
		if ((ch == '\r' || ch == '\n') && ns) {
			result = dd_xstrdup(all[shown[cur]].badge);
			break;
		}
		if (edit_key(filter, 64, rc, ch) == -1)
			break;
		cur = 0;
	}
	curs_set(0);
	leaveok(stdscr, TRUE);
	free(order);
	dd_officer_list_free(&all, n);
	t->dirty = true;
	erase();
	return result;
}
