/* The console's main loop: keys, live updates, redraws. */
#include <config.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "dutydesk/clock.h"
#include "tui.h"

#define POLL_MS 250

static void apply_bindings(struct tui *t)
{
	if (!t->opt->keys)
		return;
	char *spec = dd_xstrdup(t->opt->keys), *save = NULL;
	for (char *b = strtok_r(spec, ",", &save); b; b = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(b, '=');
		char msg[160];
		if (eq) {
			*eq = '\0';
			if (tui_keys_bind(t, b, eq + 1, msg, sizeof msg) == 0)
				continue;
		} else {
			snprintf(msg, sizeof msg, _("bad key binding '%s'"), b);
		}
		tui_message(t, true, "%s", msg);
	}
	free(spec);
}

int tui_run(dd_db *db, const dd_actor *actor, const dd_config *cfg, const struct tui_options *opt)
{
	struct tui t = {
		.db = db,
		.actor = *actor,
		.cfg = cfg,
		.opt = opt,
		.pane = PANE_QUEUE,
		.show_detail = true,
		.order = DD_ORDER_QUEUE,
		.data_version = -1,
	};
	tui_keys_default(&t);
	apply_bindings(&t);
	tui_term_start(&t);
	t.max_id = dd_report_max_id(db);
	tui_poll(&t);
	tui_load(&t);
	if (actor->role == DD_ROLE_NONE && !t.msg[0])
		tui_message(&t, false, _("read-only: '%s' is not a dutydesk user"), actor->login);
	tui_draw(&t);
	while (!t.quit) {
		wint_t ch;
		int rc = tui_read_key(&t, POLL_MS, &ch);
		if (rc == ERR) {
			tui_poll(&t);
		} else if (rc == KEY_CODE_YES && ch == KEY_RESIZE) {
			getmaxyx(stdscr, t.rows, t.cols);
			tui_load(&t);
			t.dirty = true;
		} else if (t.too_small) {
			if (ch == 'q')
				t.quit = true;
		} else {
			tui_action a = tui_key_action(&t, rc == KEY_CODE_YES, ch);
			if (a != ACT_NONE)
				tui_do(&t, a, NULL);
		}
		if (t.dirty)
			tui_draw(&t);
	}
	tui_term_stop();
	dd_report_list_free(&t.page, t.npage);
	for (size_t i = 0; i < t.nside; i++) {
		free(t.side[i].code);
		free(t.side[i].label);
		free(t.side[i].pattern);
	}
	free(t.side);
	free(t.tags);
	free(t.fresh);
	free(t.limit_text);
	free(t.search_text);
	dd_pattern_free(&t.limit);
	return 0;
}
