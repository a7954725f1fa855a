/*
 * Every console action, once: X(enum, name, default key, help). The key
 * bindings, the help screen, the status-line hints and the ':' command line
 * are all generated from this table.
 */
#ifndef DUTYDESK_TUI_ACTIONS_H
#define DUTYDESK_TUI_ACTIONS_H

#define TUI_ACTIONS(X)                                                              \
	X(ACT_DOWN, "down", "j", N_("next report"))                                 \
	X(ACT_UP, "up", "k", N_("previous report"))                                 \
	X(ACT_PAGE_DOWN, "page-down", "PgDn", N_("next page"))                      \
	X(ACT_PAGE_UP, "page-up", "PgUp", N_("previous page"))                      \
	X(ACT_FIRST, "first", "Home", N_("first report"))                           \
	X(ACT_LAST, "last", "End", N_("last report"))                               \
	X(ACT_PANE, "pane", "Tab", N_("switch between sidebar and queue"))          \
	X(ACT_OPEN, "open", "Enter", N_("read the report in full"))                 \
	X(ACT_GOTO, "goto", "g", N_("go to report #id"))                            \
	X(ACT_ASSIGN, "assign", "a", N_("assign or reassign to an officer"))        \
	X(ACT_STATUS, "status", "s", N_("acknowledge, on site, resolve, close, reopen")) \
	X(ACT_REJECT, "reject", "x", N_("reject, with a reason"))                   \
	X(ACT_DUPLICATE, "duplicate", "d", N_("mark as a duplicate of #id"))        \
	X(ACT_NOTE, "note", "n", N_("add a note"))                                  \
	X(ACT_PRIORITY, "priority", "p", N_("change the priority"))                 \
	X(ACT_CATEGORY, "category", "c", N_("change the category"))                 \
	X(ACT_MOVE, "move", "m", N_("move to another district"))                    \
	X(ACT_SEARCH, "search", "/", N_("full-text search"))                        \
	X(ACT_LIMIT, "limit", "l", N_("limit the queue with a pattern (~s ~d ~c ~p ~o ~r ~a ~u ~t)")) \
	X(ACT_SAVE_LIMIT, "save-limit", "L", N_("save the current limit to the sidebar")) \
	X(ACT_TAG, "tag", "t", N_("tag or untag the report"))                       \
	X(ACT_TAG_PATTERN, "tag-pattern", "T", N_("tag the reports matching a pattern")) \
	X(ACT_TAGGED, "tagged", ";", N_("apply the next action to all tagged reports")) \
	X(ACT_UNDO, "undo", "u", N_("undo your last action (30 seconds)"))           \
	X(ACT_ORDER, "order", "o", N_("change the order: urgency, newest, oldest"))  \
	X(ACT_DETAIL, "detail", "v", N_("show or hide the detail pane"))            \
	X(ACT_COMMAND, "command", ":", N_("type an action by name"))                \
	X(ACT_REDRAW, "redraw", "C-l", N_("redraw the screen"))                     \
	X(ACT_HELP, "help", "?", N_("this help"))                                   \
	X(ACT_QUIT, "quit", "q", N_("quit"))

typedef enum {
	ACT_NONE = -1,
#define X(e, n, k, h) e,
	TUI_ACTIONS(X)
#undef X
	ACT_COUNT
} tui_action;

#endif
