#include <config.h>
#include <string.h>

#include "dutydesk/common.h"
#include "dutydesk/sanitize.h"
#include "layout.h"

static const struct {
	const char *title;
	int width;
	int drop; /* dropped in this order when narrow: higher first; 0 never */
} cols[NCOLS] = {
	[COL_ID] = {N_("#"), 7, 0},
	[COL_AGE] = {N_("AGE"), 4, 0},
	[COL_PRI] = {N_("P"), 1, 0},
	[COL_CAT] = {N_("CATEGORY"), 11, 5},
	[COL_DISTRICT] = {N_("DISTR"), 6, 4},
	[COL_FROM] = {N_("FROM"), 16, 3},
	[COL_TEXT] = {N_("TEXT"), 0, 0},
	[COL_OFFICER] = {N_("OFFICER"), 7, 2},
	[COL_STATUS] = {N_("STATUS"), 19, 1},
};

const char *tui_col_title(enum queue_col c)
{
	return _(cols[c].title);
}

static int text_width(int width, const bool *shown)
{
	int used = 0;
	for (int i = 0; i < NCOLS; i++)
		if (shown[i] && i != COL_TEXT)
			used += cols[i].width + 1;
	return width - used;
}

void tui_layout(int width, struct col_layout *out)
{
	bool shown[NCOLS];
	for (int i = 0; i < NCOLS; i++)
		shown[i] = true;
	for (int level = 5; level >= 1 && text_width(width, shown) < 12; level--)
		for (int i = 0; i < NCOLS; i++)
			if (cols[i].drop == level)
				shown[i] = false;
	int text = text_width(width, shown);
	if (text < 1)
		text = 1;
	int x = 0;
	for (int i = 0; i < NCOLS; i++) {
		if (!shown[i]) {
			out->x[i] = -1;
			out->width[i] = 0;
			continue;
		}
		out->x[i] = x;
		out->width[i] = i == COL_TEXT ? text : cols[i].width;
		x += out->width[i] + 1;
	}
}

size_t tui_wrap(const char *clean, int width, size_t *starts, size_t *lens, size_t max)
{
	size_t n = 0, len = strlen(clean), pos = 0;
	if (width < 1)
		width = 1;
	if (len == 0) {
		if (max) {
			starts[0] = 0;
			lens[0] = 0;
		}
		return 1;
	}
	while (pos < len) {
		const char *line = clean + pos;
		size_t nl = strcspn(line, "\n");
		int w;
		size_t fit = dd_text_prefix(line, width, &w), take, next;
		if (fit >= nl) {
			take = nl;
			next = nl + (line[nl] == '\n');
		} else {
			size_t sp = fit;
			while (sp > 0 && line[sp] != ' ')
				sp--;
			if (sp > 0) {
				take = sp;
				next = sp + 1;
			} else if (fit > 0) {
				take = next = fit;
			} else { /* one character wider than the whole line */
				take = 1;
				while (take < nl && ((unsigned char)line[take] & 0xC0) == 0x80)
					take++;
				next = take;
			}
		}
		if (n < max) {
			starts[n] = pos;
			lens[n] = take;
		}
		n++;
		pos += next;
	}
	return n;
}
