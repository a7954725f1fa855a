/* The console's insides, shared by its files. */
#ifndef DUTYDESK_TUI_H
#define DUTYDESK_TUI_H

#include <curses.h>

#include "actions.h"
#include "console.h"
#include "layout.h"
#include "dutydesk/common.h"
#include "dutydesk/config.h"
#include "dutydesk/pattern.h"
#include "dutydesk/registry.h"
#include "dutydesk/report.h"
#include "dutydesk/user.h"

/* Colours by role, not by hue. */
enum tui_role {
	TR_NORMAL = 0,
	TR_HEADER = 1,
	TR_SELECTED,
	TR_NEW,
	TR_OVERDUE,
	TR_URGENT,
	TR_DIM,
	TR_ERROR,
	TR_OK,
	TR_TAGGED,
	TR_FRESH,
	TR_COUNT
};

enum tui_pane { PANE_SIDEBAR, PANE_QUEUE };

/* One entry of the sidebar. */
struct side_entry {
	enum { SIDE_ALL, SIDE_UNROUTED, SIDE_DISTRICT, SIDE_LIMIT } kind;
	char *code;      /* district code */
	char *label;     /* cleaned, for drawing */
	char *pattern;   /* saved limit */
	int64_t n_new, n_work, n_overdue;
};

struct tui {
	dd_db *db;
	dd_actor actor;
	const dd_config *cfg;
	const struct tui_options *opt;

	/* screen */
	int rows, cols;
	bool too_small, colour, dirty;
	WINDOW *win;
	enum tui_pane pane;
	bool show_detail;

	/* sidebar */
	struct side_entry *side;
	size_t nside, side_cur, side_top;

	/* the queue: a page of rows around the cursor, never all reports */
	dd_report_order order;
	char *limit_text, *search_text;
	dd_pattern *limit;
	dd_report *page;
	size_t npage;
	int64_t top;        /* offset of rows[0] in the whole queue */
	int64_t cur;        /* cursor, offset in the whole queue */
	int64_t cur_id;     /* the report under the cursor, kept across reloads */
	bool more;          /* rows past the page */
	int loaded_height;  /* the queue height the page was read for */
	int64_t total;      /* -1 when unknown (a limit or search is on) */

	/* tags and live updates */
	int64_t *tags;
	size_t ntags, captags;
	bool tagged_next;   /* ';' pressed: the next action goes to all tagged */
	int64_t data_version, max_id, seen_max_id;
	int64_t *fresh;     /* reports that arrived while we watched */
	size_t nfresh, capfresh;
	int64_t counts_at, clock_at;
	int64_t new_total, overdue_total;
	char gateway[200];
	bool gateway_bad;

	/* undo */
	int64_t undo_events[256];
	size_t nundo;
	int64_t undo_at;

	/* the status line */
	char msg[512];
	bool msg_error;

	/* key bindings: key code -> action */
	int keymap[1024];
	int keymap_hi[16][2];
	size_t nkeymap_hi;
	bool quit;
};

/* term.c: the terminal */
void tui_term_start(struct tui *t);
void tui_term_stop(void);
int tui_attr(struct tui *t, enum tui_role r);
/* Waits up to ms for a key; returns ERR on timeout. *wch gets the key. */
int tui_read_key(struct tui *t, int ms, wint_t *wch);

/* keys.c: bindings */
void tui_keys_default(struct tui *t);
/* Applies "name = key" rebindings; returns -1 and a message on a bad one. */
int tui_keys_bind(struct tui *t, const char *action, const char *key, char *msg, size_t size);
tui_action tui_key_action(struct tui *t, int is_key, wint_t ch);
const char *tui_action_name(tui_action a);
const char *tui_action_help(tui_action a);
/* The key bound to a, as shown to people ("a", "Enter", "C-l"). */
void tui_action_key(struct tui *t, tui_action a, char *buf, size_t size);
tui_action tui_action_by_name(const char *name);

/* draw.c: the screen */
void tui_draw(struct tui *t);
void tui_put(WINDOW *w, int y, int x, const char *clean, int width, int attr);
void tui_message(struct tui *t, bool error, const char *fmt, ...) DD_PRINTF(3, 4);
/* The queue's visible rows and where it starts. */
int tui_queue_height(const struct tui *t);

/* data.c: what the screen shows, read from the core */
void tui_load(struct tui *t);
void tui_load_sidebar(struct tui *t);
void tui_poll(struct tui *t);
const dd_report *tui_current(const struct tui *t);
bool tui_is_tagged(const struct tui *t, int64_t id);
bool tui_is_fresh(const struct tui *t, int64_t id);
void tui_move(struct tui *t, int64_t delta);
void tui_goto_offset(struct tui *t, int64_t off);
bool tui_is_overdue(const struct tui *t, const dd_report *r);
void tui_filter(const struct tui *t, dd_report_filter *f);

/* input.c: prompts, pickers and menus at the bottom of the screen */
/* Reads a line; returns a new string or NULL when cancelled with Esc. */
char *tui_prompt(struct tui *t, const char *label, const char *initial);
/* A list to choose from; returns the index or -1. Items are cleaned text. */
int tui_menu(struct tui *t, const char *title, const char *const *items, size_t n, size_t initial);
/* The officer picker for report r; returns a new badge string or NULL. */
char *tui_pick_officer(struct tui *t, const dd_report *r);

/* pager.c: full-screen text */
void tui_pager(struct tui *t, const char *title, const char *text);
void tui_help(struct tui *t);
/* An audit event's before/after JSON in words. Caller frees. */
char *tui_describe_change(const char *before, const char *after);
/* The report in full, as text for the pager or the detail pane. */
char *tui_report_text(struct tui *t, const dd_report *r);

/* actions.c: what the keys do */
void tui_do(struct tui *t, tui_action a, const char *arg);
void tui_command_line(struct tui *t);


#endif
