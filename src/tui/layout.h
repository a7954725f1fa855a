/* Column layout of the queue by display width (no curses: unit-tested). */
#ifndef DUTYDESK_TUI_LAYOUT_H
#define DUTYDESK_TUI_LAYOUT_H

#include <stddef.h>

enum queue_col {
	COL_ID, COL_AGE, COL_PRI, COL_CAT, COL_DISTRICT, COL_FROM, COL_TEXT, COL_OFFICER,
	COL_STATUS, NCOLS
};

struct col_layout {
	int x[NCOLS];     /* start column; -1 when the column is hidden */
	int width[NCOLS];
};

/* Lays the queue's columns out in width terminal columns: fixed columns
 * are dropped, least useful first, when the text would get narrower than
 * 12; the text takes the rest. One space between columns. */
void tui_layout(int width, struct col_layout *out);
const char *tui_col_title(enum queue_col c);

/* Wraps clean UTF-8 text to width columns at spaces where it can (and
 * hard '\n'); returns the number of lines, and the byte offset and length
 * of each (at most max recorded). */
size_t tui_wrap(const char *clean, int width, size_t *starts, size_t *lens, size_t max);

#endif
