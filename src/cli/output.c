/* Tables and CSV for the command line, with untrusted text cleaned. */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "dutydesk/csv.h"
#include "dutydesk/sanitize.h"

struct cli_table {
	cli_format fmt;
	int ncols;
	char **cells; /* rows * ncols, cleaned */
	size_t nrows, cap;
};

bool cli_stdout_tty(void)
{
	static int tty = -1;
	if (tty < 0)
		tty = isatty(STDOUT_FILENO);
	return tty;
}

char *cli_clean(const char *s)
{
	return dd_clean(s);
}

cli_table *cli_table_new(cli_format fmt, int ncols, const char *const *headers)
{
	cli_table *t = dd_xcalloc(1, sizeof *t);
	t->fmt = fmt;
	t->ncols = ncols;
	cli_table_row(t, headers);
	return t;
}

void cli_table_row(cli_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = dd_xrealloc(t->cells, t->cap * (size_t)t->ncols * sizeof *t->cells);
	}
	char **row = t->cells + t->nrows++ * (size_t)t->ncols;
	for (int i = 0; i < t->ncols; i++) {
		const char *s = cells[i] ? cells[i] : "";
		/* CSV going to a file keeps the data as it is; anything for the
		 * terminal is cleaned. */
		row[i] = t->fmt == FMT_CSV && !cli_stdout_tty() ? dd_xstrdup(s) : dd_clean(s);
	}
}

static int terminal_width(void)
{
	struct winsize ws;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *cols = getenv("COLUMNS");
	if (cols && atoi(cols) > 20)
		return atoi(cols);
	return 0; /* not a terminal: do not cut */
}

void cli_table_flush(cli_table *t, FILE *out)
{
	dd_buf line = {0};
	if (t->fmt == FMT_CSV) {
		for (size_t r = 0; r < t->nrows; r++) {
			dd_buf_reset(&line);
			for (int i = 0; i < t->ncols; i++) {
				if (i)
					dd_buf_addc(&line, ',');
				dd_csv_quote(&line, t->cells[r * (size_t)t->ncols + (size_t)i]);
			}
			dd_buf_adds(&line, "\r\n");
			fputs(line.data, out);
		}
	} else {
		int *w = dd_xcalloc((size_t)t->ncols, sizeof *w);
		for (size_t r = 0; r < t->nrows; r++)
			for (int i = 0; i < t->ncols; i++) {
				int cw = dd_text_width(t->cells[r * (size_t)t->ncols + (size_t)i]);
				if (cw > w[i])
					w[i] = cw;
			}
		int total = 0;
		for (int i = 0; i < t->ncols - 1; i++)
			total += w[i] + 2;
		int tw = terminal_width();
		int last = w[t->ncols - 1];
		if (tw && total + last > tw)
			last = tw - total > 10 ? tw - total : 10;
		for (size_t r = 0; r < t->nrows; r++) {
			dd_buf_reset(&line);
			for (int i = 0; i < t->ncols; i++) {
				const char *cell = t->cells[r * (size_t)t->ncols + (size_t)i];
				if (i == t->ncols - 1) {
					if (dd_text_width(cell) > last)
						dd_text_fit(&line, cell, last);
					else
						dd_buf_adds(&line, cell);
				} else {
					dd_text_fit(&line, cell, w[i]);
					dd_buf_adds(&line, "  ");
				}
			}
			while (line.len && line.data[line.len - 1] == ' ')
				line.data[--line.len] = '\0';
			fprintf(out, "%s\n", line.data);
		}
		free(w);
	}
	dd_buf_free(&line);
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	t->nrows = 0;
}

void cli_table_print(cli_table **tp, FILE *out)
{
	cli_table *t = *tp;
	cli_table_flush(t, out);
	free(t->cells);
	free(t);
	*tp = NULL;
}
