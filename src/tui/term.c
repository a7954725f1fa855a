/* The terminal: curses set-up, colours by role, keys, and restoring it. */
#include <config.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui.h"

static bool started;

static void restore_on_fatal(int sig)
{
	/* the terminal is restored before anything else is said */
	if (started)
		endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

void tui_term_stop(void)
{
	if (started) {
		endwin();
		started = false;
	}
}

void tui_term_start(struct tui *t)
{
	initscr();
	started = true;
	atexit(tui_term_stop);
	signal(SIGSEGV, restore_on_fatal);
	signal(SIGABRT, restore_on_fatal);
	signal(SIGBUS, restore_on_fatal);
	signal(SIGFPE, restore_on_fatal);
	signal(SIGTERM, restore_on_fatal);
	signal(SIGHUP, restore_on_fatal);
	cbreak(); /* Ctrl-Z suspends and Ctrl-C quits; curses restores the terminal */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	/* the cursor is hidden: curses need not move it after each update
	 * (a few bytes less per keypress over a slow link) */
	leaveok(stdscr, TRUE);
	const char *nc = getenv("NO_COLOR");
	t->colour = has_colors() && !(nc && *nc);
	if (t->colour) {
		start_color();
		use_default_colors();
		init_pair(TR_HEADER, COLOR_WHITE, COLOR_BLUE);
		init_pair(TR_SELECTED, COLOR_BLACK, COLOR_CYAN);
		init_pair(TR_NEW, COLOR_GREEN, -1);
		init_pair(TR_OVERDUE, COLOR_RED, -1);
		init_pair(TR_URGENT, COLOR_MAGENTA, -1);
		init_pair(TR_DIM, COLOR_BLUE, -1);
		init_pair(TR_ERROR, COLOR_WHITE, COLOR_RED);
		init_pair(TR_OK, COLOR_GREEN, -1);
		init_pair(TR_TAGGED, COLOR_YELLOW, -1);
		init_pair(TR_FRESH, COLOR_BLACK, COLOR_YELLOW);
	}
	getmaxyx(stdscr, t->rows, t->cols);
}

/* Monochrome keeps the meaning with attributes alone. */
int tui_attr(struct tui *t, enum tui_role r)
{
	static const int mono[TR_COUNT] = {
		[TR_HEADER] = A_REVERSE, [TR_SELECTED] = A_REVERSE, [TR_NEW] = A_BOLD,
		[TR_OVERDUE] = A_BOLD | A_UNDERLINE, [TR_URGENT] = A_BOLD, [TR_DIM] = A_DIM,
		[TR_ERROR] = A_REVERSE | A_BOLD, [TR_OK] = 0, [TR_TAGGED] = A_BOLD,
		[TR_FRESH] = A_REVERSE | A_BOLD,
	};
	if (r == TR_NORMAL)
		return A_NORMAL;
	/* the cursor row is reversed, in colour too: the shortest change for
	 * the terminal when the cursor moves (it happens most) */
	if (r == TR_SELECTED)
		return A_REVERSE;
	if (!t->colour)
		return mono[r];
	int extra = (r == TR_OVERDUE || r == TR_URGENT || r == TR_HEADER) ? A_BOLD : 0;
	return COLOR_PAIR(r) | extra;
}

int tui_read_key(struct tui *t, int ms, wint_t *wch)
{
	(void)t;
	timeout(ms);
	int rc = get_wch(wch);
	return rc;
}
