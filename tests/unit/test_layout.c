/* The console's column layout and text wrapping, by display width, without
 * a terminal (src/tui/layout.c). */
#include <config.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dutydesk/common.h"
#include "dutydesk/sanitize.h"
#include "layout.h"

/* ---- tui_layout ------------------------------------------------------- */

/* The fixed columns in the order layout.h's contract drops them when the
 * text would get narrower than 12: least useful first. */
static const enum queue_col drop_order[] = {COL_CAT, COL_DISTRICT, COL_FROM, COL_OFFICER, COL_STATUS};
#define NDROP (sizeof drop_order / sizeof *drop_order)

static const char *col_name(int c)
{
	static const char *const names[NCOLS] = {"ID", "AGE", "PRI", "CAT", "DISTRICT",
						 "FROM", "TEXT", "OFFICER", "STATUS"};
	return c >= 0 && c < NCOLS ? names[c] : "?";
}

/* The invariants every layout keeps, whatever the width. */
static void check_layout(int width, const struct col_layout *L)
{
	int prev_end = -1, shown = 0, sum = 0, last_end = 0;
	for (int c = 0; c < NCOLS; c++) {
		if (L->x[c] < 0) {
			assert_int_equal(L->width[c], 0);
			continue;
		}
		shown++;
		if (L->width[c] < 1)
			fail_msg("width %d: column %s is shown with width %d", width, col_name(c), L->width[c]);
		/* left to right in table order, one space apart, never overlapping */
		if (L->x[c] <= prev_end)
			fail_msg("width %d: column %s at %d overlaps the one ending at %d", width, col_name(c),
				 L->x[c], prev_end);
		if (prev_end >= 0 && L->x[c] != prev_end + 1)
			fail_msg("width %d: column %s at %d is not one space after %d", width, col_name(c),
				 L->x[c], prev_end);
		if (prev_end < 0)
			assert_int_equal(L->x[c], 0);
		prev_end = L->x[c] + L->width[c];
		last_end = prev_end;
		sum += L->width[c];
	}
	assert_true(shown > 0);
	/* widths and the spaces between them fit in the width... */
	if (sum + shown - 1 > width)
		fail_msg("width %d: columns need %d", width, sum + shown - 1);
	if (last_end > width)
		fail_msg("width %d: the last column ends at %d", width, last_end);
	/* ...and the text column takes the rest: the line is filled exactly */
	assert_true(L->x[COL_TEXT] >= 0);
	assert_int_equal(last_end, width);
	/* ID, AGE and the priority mark are never dropped */
	assert_true(L->x[COL_ID] >= 0);
	assert_true(L->x[COL_AGE] >= 0);
	assert_true(L->x[COL_PRI] >= 0);
	/* columns go in drop order: if one is hidden, every one dropped before it is too */
	for (size_t i = 1; i < NDROP; i++)
		if (L->x[drop_order[i]] < 0 && L->x[drop_order[i - 1]] >= 0)
			fail_msg("width %d: %s dropped while %s (less useful) is kept", width,
				 col_name(drop_order[i]), col_name(drop_order[i - 1]));
}

static int dropped(const struct col_layout *L)
{
	int n = 0;
	for (size_t i = 0; i < NDROP; i++)
		n += L->x[drop_order[i]] < 0;
	return n;
}

static void test_layout_invariants_at_common_widths(void **state)
{
	(void)state;
	static const int widths[] = {40, 43, 59, 60, 73, 80, 100, 120, 150, 200};
	for (size_t i = 0; i < sizeof widths / sizeof *widths; i++) {
		struct col_layout L;
		memset(&L, 0x5a, sizeof L);
		tui_layout(widths[i], &L);
		check_layout(widths[i], &L);
	}
}

static void test_layout_every_width_40_to_200(void **state)
{
	(void)state;
	int prev_dropped = NDROP, prev_text = 0;
	for (int w = 40; w <= 200; w++) {
		struct col_layout L;
		tui_layout(w, &L);
		check_layout(w, &L);
		/* a wider terminal never shows fewer columns */
		if (dropped(&L) > prev_dropped)
			fail_msg("width %d drops %d columns, width %d dropped %d", w, dropped(&L), w - 1,
				 prev_dropped);
		/* the text gets at least 12 columns once columns had to go */
		if (dropped(&L) > 0 && dropped(&L) < (int)NDROP && L.width[COL_TEXT] < 12)
			fail_msg("width %d: text is %d wide after dropping columns", w, L.width[COL_TEXT]);
		/* with the same columns, more width all goes to the text */
		if (dropped(&L) == prev_dropped && w > 40)
			assert_int_equal(L.width[COL_TEXT], prev_text + 1);
		prev_dropped = dropped(&L);
		prev_text = L.width[COL_TEXT];
	}
}

static void test_layout_wide_keeps_every_column(void **state)
{
	(void)state;
	struct col_layout L;
	tui_layout(200, &L);
	for (int c = 0; c < NCOLS; c++)
		assert_true(L.x[c] >= 0);
	assert_int_equal(dropped(&L), 0);
	/* the fixed columns keep their widths; the text has the rest */
	assert_int_equal(L.width[COL_ID], 7);
	assert_int_equal(L.width[COL_AGE], 4);
	assert_int_equal(L.width[COL_PRI], 1);
	assert_int_equal(L.width[COL_TEXT], 200 - 79);

	tui_layout(120, &L);
	assert_int_equal(dropped(&L), 0);
	assert_int_equal(L.width[COL_TEXT], 120 - 79);
	assert_true(L.width[COL_TEXT] >= 12);
}

static void test_layout_80_drops_the_category_first(void **state)
{
	(void)state;
	struct col_layout L;
	tui_layout(80, &L);
	assert_int_equal(L.x[COL_CAT], -1);
	assert_int_equal(L.width[COL_CAT], 0);
	assert_true(L.x[COL_DISTRICT] >= 0);
	assert_true(L.x[COL_FROM] >= 0);
	assert_true(L.x[COL_OFFICER] >= 0);
	assert_true(L.x[COL_STATUS] >= 0);
	assert_int_equal(L.width[COL_TEXT], 13);
	/* the officer and status come after the text, status last */
	assert_true(L.x[COL_OFFICER] > L.x[COL_TEXT]);
	assert_int_equal(L.x[COL_STATUS] + L.width[COL_STATUS], 80);
}

static void test_layout_60_keeps_officer_and_status(void **state)
{
	(void)state;
	struct col_layout L;
	tui_layout(60, &L);
	assert_int_equal(L.x[COL_CAT], -1);
	assert_int_equal(L.x[COL_DISTRICT], -1);
	assert_int_equal(L.x[COL_FROM], -1);
	assert_true(L.x[COL_OFFICER] >= 0);
	assert_true(L.x[COL_STATUS] >= 0);
	assert_int_equal(L.width[COL_TEXT], 17);
}

static void test_layout_40_keeps_id_age_priority_text(void **state)
{
	(void)state;
	struct col_layout L;
	tui_layout(40, &L);
	assert_int_equal(dropped(&L), (int)NDROP);
	assert_int_equal(L.x[COL_ID], 0);
	assert_int_equal(L.x[COL_AGE], 8);
	assert_int_equal(L.x[COL_PRI], 13);
	assert_int_equal(L.x[COL_TEXT], 15);
	assert_int_equal(L.width[COL_TEXT], 25);
}

static void test_layout_titles(void **state)
{
	(void)state;
	for (int c = 0; c < NCOLS; c++) {
		const char *t = tui_col_title((enum queue_col)c);
		assert_non_null(t);
		assert_true(t[0] != '\0');
	}
	/* a title fits its column at a wide layout */
	struct col_layout L;
	tui_layout(200, &L);
	for (int c = 0; c < NCOLS; c++)
		if (c != COL_TEXT && dd_text_width(tui_col_title((enum queue_col)c)) > L.width[c])
			fail_msg("title %s is wider than its column (%d)", tui_col_title((enum queue_col)c),
				 L.width[c]);
}

/* ---- tui_wrap --------------------------------------------------------- */

#define MAXL 256

struct wrapped {
	size_t n;
	size_t starts[MAXL], lens[MAXL];
};

static char *line_of(const char *text, const struct wrapped *w, size_t i)
{
	char *s = malloc(w->lens[i] + 1);
	assert_non_null(s);
	memcpy(s, text + w->starts[i], w->lens[i]);
	s[w->lens[i]] = '\0';
	return s;
}

/* Wraps and checks what holds for every text: lines in order, each no wider
 * than width (unless it is one character wider than the whole line), never
 * splitting a code point, and between two lines nothing lost but the one
 * space or newline the break used. */
static void wrap_checked(const char *text, int width, struct wrapped *w)
{
	w->n = tui_wrap(text, width, w->starts, w->lens, MAXL);
	assert_true(w->n >= 1);
	assert_true(w->n <= MAXL);
	size_t len = strlen(text), pos = 0;
	for (size_t i = 0; i < w->n; i++) {
		assert_int_equal(w->starts[i], pos);
		assert_true(w->starts[i] + w->lens[i] <= len);
		char *line = line_of(text, w, i);
		/* no code point is cut: the line starts and ends on boundaries */
		if (w->lens[i])
			assert_true(((unsigned char)line[0] & 0xC0) != 0x80);
		if (w->starts[i] + w->lens[i] < len)
			assert_true(((unsigned char)text[w->starts[i] + w->lens[i]] & 0xC0) != 0x80);
		assert_null(strchr(line, '\n'));
		int lw = dd_text_width(line);
		if (lw > width && width >= 2)
			fail_msg("width %d: line %zu is %d wide: '%s'", width, i, lw, line);
		free(line);
		size_t end = w->starts[i] + w->lens[i];
		size_t next = i + 1 < w->n ? w->starts[i + 1] : len;
		assert_true(next >= end);
		if (next - end > 1)
			fail_msg("width %d: %zu bytes lost after line %zu", width, next - end, i);
		if (next == end + 1)
			assert_true(text[end] == ' ' || text[end] == '\n');
		pos = next;
	}
	/* a hard newline always breaks the line */
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n') {
			bool found = false;
			for (size_t k = 0; k < w->n; k++)
				found |= w->starts[k] + w->lens[k] == i;
			if (!found)
				fail_msg("width %d: the newline at byte %zu does not end a line", width, i);
		}
}

static void assert_line(const char *text, const struct wrapped *w, size_t i, const char *want)
{
	assert_true(i < w->n);
	char *line = line_of(text, w, i);
	assert_string_equal(line, want);
	free(line);
}

static const char *const texts[] = {
	"В подъезде №3 по ул. Торайгырова, 64 курят подростки, на замечания не реагируют. "
	"Прошу принять меры, фото прилагаю.",
	"Сәлеметсіз бе! Біздің үйдің ауласында түнгі сағат екіде қатты шу болды, "
	"көршілер ұйықтай алмады. Қазір де әлі тыныш емес. Үй: Қайырбаев көшесі, 12 (ә ғ қ ң ө ұ ү һ і).",
	"🚨🚨 Срочно! 🚓 Во дворе драка 👊, 5 человек 🙏 приезжайте быстрее 🚨",
	"警察局 报告：楼道里 有人 吸烟 请 处理 谢谢 警察局警察局警察局警察局",
	"Смешанный text: КСК «Жұлдыз» 🏠 警察 — quoted ‘word’ and a very-long-hyphenated-token-here.",
	"Строка один\nСтрока два, подлиннее, чтобы перенестись\n\nпосле пустой строки 🚨",
};

static void test_wrap_invariants_over_texts_and_widths(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof texts / sizeof *texts; t++)
		for (int width = 2; width <= 90; width++) {
			struct wrapped w;
			wrap_checked(texts[t], width, &w);
		}
}

static void test_wrap_russian_breaks_at_spaces(void **state)
{
	(void)state;
	const char *text = texts[0];
	struct wrapped w;
	wrap_checked(text, 30, &w);
	assert_true(w.n > 3);
	for (size_t i = 0; i < w.n; i++) {
		char *line = line_of(text, &w, i);
		assert_true(dd_text_width(line) <= 30);
		/* breaks are at spaces: no word is split, no line starts with a space */
		assert_true(line[0] != ' ');
		if (i + 1 < w.n)
			assert_int_equal(text[w.starts[i] + w.lens[i]], ' ');
		free(line);
	}
	/* a break happens only where the next word would not fit */
	for (size_t i = 0; i + 1 < w.n; i++) {
		char *line = line_of(text, &w, i);
		char *next = line_of(text, &w, i + 1);
		char *sp = strchr(next, ' ');
		if (sp)
			*sp = '\0';
		if (dd_text_width(line) + 1 + dd_text_width(next) <= 30)
			fail_msg("'%s' would have fitted after '%s'", next, line);
		free(line);
		free(next);
	}
	assert_line(text, &w, 0, "В подъезде №3 по ул.");
}

static void test_wrap_kazakh_letters_count_one_column(void **state)
{
	(void)state;
	const char *text = "әғқңөұүһі әғқңөұүһі";
	assert_int_equal(dd_text_width("әғқңөұүһі"), 9);
	struct wrapped w;
	wrap_checked(text, 9, &w);
	assert_int_equal(w.n, 2);
	assert_line(text, &w, 0, "әғқңөұүһі");
	assert_line(text, &w, 1, "әғқңөұүһі");
	wrap_checked(text, 19, &w);
	assert_int_equal(w.n, 1);
	wrap_checked(texts[1], 25, &w);
	assert_true(w.n > 4);
}

static void test_wrap_emoji_by_display_width(void **state)
{
	(void)state;
	assert_int_equal(dd_text_width("🚨"), 2);
	/* five emoji are 10 columns: 9 holds four, never half of one */
	const char *text = "🚨🚨🚨🚨🚨";
	struct wrapped w;
	wrap_checked(text, 9, &w);
	assert_int_equal(w.n, 2);
	assert_line(text, &w, 0, "🚨🚨🚨🚨");
	assert_line(text, &w, 1, "🚨");
	wrap_checked(text, 10, &w);
	assert_int_equal(w.n, 1);
	/* by bytes this would be 20 wide; by columns it fits 11 */
	const char *mixed = "ab 🚓🚓 cd 🚨";
	wrap_checked(mixed, 11, &w);
	assert_int_equal(w.n, 2);
	assert_line(mixed, &w, 0, "ab 🚓🚓 cd");
	assert_line(mixed, &w, 1, "🚨");
}

static void test_wrap_cjk_by_display_width(void **state)
{
	(void)state;
	assert_int_equal(dd_text_width("警察局"), 6);
	const char *text = "警察局警察局警";
	struct wrapped w;
	wrap_checked(text, 5, &w);
	/* two characters (4 columns) a line: the third would make 6 */
	assert_int_equal(w.n, 4);
	assert_line(text, &w, 0, "警察");
	assert_line(text, &w, 1, "局警");
	assert_line(text, &w, 2, "察局");
	assert_line(text, &w, 3, "警");
	const char *spaced = "警察 报告 吸烟";
	wrap_checked(spaced, 9, &w);
	assert_int_equal(w.n, 2);
	assert_line(spaced, &w, 0, "警察 报告");
	assert_line(spaced, &w, 1, "吸烟");
}

static void test_wrap_hard_newlines(void **state)
{
	(void)state;
	const char *text = "один\nдва три\n\nчетыре";
	struct wrapped w;
	wrap_checked(text, 40, &w);
	assert_int_equal(w.n, 4);
	assert_line(text, &w, 0, "один");
	assert_line(text, &w, 1, "два три");
	assert_line(text, &w, 2, "");
	assert_line(text, &w, 3, "четыре");
	/* a newline and a soft break together */
	wrap_checked(text, 4, &w);
	assert_int_equal(w.n, 6);
	assert_line(text, &w, 0, "один");
	assert_line(text, &w, 1, "два");
	assert_line(text, &w, 2, "три");
	assert_line(text, &w, 3, "");
	assert_line(text, &w, 4, "четы");
	assert_line(text, &w, 5, "ре");
}

static void test_wrap_cuts_a_word_longer_than_the_line(void **state)
{
	(void)state;
	const char *text = "Здравствуйтепожалуйстапомогите да";
	struct wrapped w;
	wrap_checked(text, 10, &w);
	assert_line(text, &w, 0, "Здравствуй");
	assert_line(text, &w, 1, "тепожалуйс");
	assert_line(text, &w, 2, "тапомогите");
	assert_line(text, &w, 3, "да");
	assert_int_equal(w.n, 4);
}

static void test_wrap_empty_text_is_one_line(void **state)
{
	(void)state;
	struct wrapped w;
	w.n = tui_wrap("", 20, w.starts, w.lens, MAXL);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.starts[0], 0);
	assert_int_equal(w.lens[0], 0);
	/* and with nowhere to record it, it is still one line */
	assert_int_equal(tui_wrap("", 20, NULL, NULL, 0), 1);
}

static void test_wrap_fitting_text_is_one_line(void **state)
{
	(void)state;
	const char *text = "Шум в кв. 42 🚨";
	struct wrapped w;
	wrap_checked(text, dd_text_width(text), &w);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.lens[0], strlen(text));
}

static void test_wrap_counts_past_max(void **state)
{
	(void)state;
	/* more lines than the caller records: the count is still right */
	const char *text = "а б в г д е ж з и к";
	size_t starts[3], lens[3];
	size_t n = tui_wrap(text, 1, starts, lens, 3);
	assert_int_equal(n, 10);
	/* "в" is the third line: two bytes, after "а " and "б " */
	assert_int_equal(starts[2], 6);
	assert_int_equal(lens[2], 2);
}

static void test_wrap_tiny_widths_make_progress(void **state)
{
	(void)state;
	/* a wide character in a 1-column line: one character a line, no loop */
	const char *text = "警察🚨ж";
	struct wrapped w;
	w.n = tui_wrap(text, 1, w.starts, w.lens, MAXL);
	assert_int_equal(w.n, 4);
	assert_line(text, &w, 0, "警");
	assert_line(text, &w, 2, "🚨");
	assert_line(text, &w, 3, "ж");
	w.n = tui_wrap(text, 0, w.starts, w.lens, MAXL);
	assert_int_equal(w.n, 4);
	w.n = tui_wrap("abc", -5, w.starts, w.lens, MAXL);
	assert_int_equal(w.n, 3);
}

int main(void)
{
	if (!setlocale(LC_ALL, "C.UTF-8")) {
		fprintf(stderr, "the C.UTF-8 locale is missing\n");
		return 1;
	}
	const struct CMUnitTest layout_tests[] = {
		cmocka_unit_test(test_layout_invariants_at_common_widths),
		cmocka_unit_test(test_layout_every_width_40_to_200),
		cmocka_unit_test(test_layout_wide_keeps_every_column),
		cmocka_unit_test(test_layout_80_drops_the_category_first),
		cmocka_unit_test(test_layout_60_keeps_officer_and_status),
		cmocka_unit_test(test_layout_40_keeps_id_age_priority_text),
		cmocka_unit_test(test_layout_titles),
		cmocka_unit_test(test_wrap_invariants_over_texts_and_widths),
		cmocka_unit_test(test_wrap_russian_breaks_at_spaces),
		cmocka_unit_test(test_wrap_kazakh_letters_count_one_column),
		cmocka_unit_test(test_wrap_emoji_by_display_width),
		cmocka_unit_test(test_wrap_cjk_by_display_width),
		cmocka_unit_test(test_wrap_hard_newlines),
		cmocka_unit_test(test_wrap_cuts_a_word_longer_than_the_line),
		cmocka_unit_test(test_wrap_empty_text_is_one_line),
		cmocka_unit_test(test_wrap_fitting_text_is_one_line),
		cmocka_unit_test(test_wrap_counts_past_max),
		cmocka_unit_test(test_wrap_tiny_widths_make_progress),
	};
	return cmocka_run_group_tests(layout_tests, NULL, NULL);
}
