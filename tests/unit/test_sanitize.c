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

/* U+FFFD, kept apart so a following hex digit cannot extend the escape. */
#define RC "\xEF\xBF\xBD"
#define ELLIPSIS "\xE2\x80\xA6"

/* sizeof, not strlen, so that literals with NUL bytes are tested whole. */
#define assert_clean(in, flags, want) do { \
		char *got_ = dd_clean_text((in), sizeof(in) - 1, (flags)); \
		assert_string_equal(got_, (want)); \
		free(got_); \
	} while (0)

#define assert_fit(in, cols, want) do { \
		dd_buf b_ = {0}; \
		dd_text_fit(&b_, (in), (cols)); \
		assert_string_equal(b_.data ? b_.data : "", (want)); \
		assert_int_equal(dd_text_width(b_.data ? b_.data : ""), \
				 (cols) > 0 ? (cols) : 0); \
		dd_buf_free(&b_); \
	} while (0)

static void test_plain_ascii_unchanged(void **state)
{
	(void)state;
	assert_clean("", 0, "");
	assert_clean("Report 17: theft at 5 Abai Ave, ~20:30 {ok} [x] |y|", 0,
		     "Report 17: theft at 5 Abai Ave, ~20:30 {ok} [x] |y|");
	assert_clean(" !\"#$%&'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~", 0,
		     " !\"#$%&'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~");
}

static void test_null_gives_empty_string(void **state)
{
	(void)state;
	char *s = dd_clean(NULL);
	assert_string_equal(s, "");
	free(s);
	s = dd_clean_text(NULL, 0, DD_CLEAN_MULTILINE);
	assert_string_equal(s, "");
	free(s);
}

static void test_clean_stops_at_nul_but_clean_text_uses_len(void **state)
{
	(void)state;
	char *s = dd_clean("ab\x1b" "c");
	assert_string_equal(s, "ab^[c");
	free(s);
	assert_clean("a\0b", 0, "a^@b");
	assert_clean("\0", 0, "^@");
	s = dd_clean_text("abcdef", 3, 0);
	assert_string_equal(s, "abc");
	free(s);
}

static void test_russian_and_kazakh_unchanged(void **state)
{
	(void)state;
	assert_clean("Дежурная часть: заявление принято, ёжик Ёж ЩЪЭЮЯ", 0,
		     "Дежурная часть: заявление принято, ёжик Ёж ЩЪЭЮЯ");
	assert_clean("әғқңөұүһі ӘҒҚҢӨҰҮҺІ", 0, "әғқңөұүһі ӘҒҚҢӨҰҮҺІ");
	assert_clean("Қазақстан Республикасы, Өскемен, Үшқоңыр", 0,
		     "Қазақстан Республикасы, Өскемен, Үшқоңыр");
}

static void test_emoji_unchanged(void **state)
{
	(void)state;
	assert_clean("🚓", 0, "🚓");
	assert_clean("\xF0\x9F\x9A\x93", 0, "\xF0\x9F\x9A\x93");
	assert_clean("patrol 🚓🚨 ok 👍🏽", 0, "patrol 🚓🚨 ok 👍🏽");
	/* A variation selector is not on the list and is kept; the zero
	 * width joiner is, so a joined emoji shows its parts. */
	assert_clean("❤️", 0, "❤️");
	assert_clean("👮‍♀", 0, "👮<U+200D>♀");
}

static void test_boundary_code_points_unchanged(void **state)
{
	(void)state;
	assert_clean("\xC2\xA0", 0, "\xC2\xA0");                 /* U+00A0 */
	assert_clean("\xDF\xBF", 0, "\xDF\xBF");                 /* U+07FF */
	assert_clean("\xE0\xA0\x80", 0, "\xE0\xA0\x80");         /* U+0800 */
	assert_clean("\xED\x9F\xBF", 0, "\xED\x9F\xBF");         /* U+D7FF */
	assert_clean("\xEE\x80\x80", 0, "\xEE\x80\x80");         /* U+E000 */
	assert_clean("\xEF\xBF\xBF", 0, "\xEF\xBF\xBF");         /* U+FFFF */
	assert_clean("\xF0\x90\x80\x80", 0, "\xF0\x90\x80\x80"); /* U+10000 */
	assert_clean("\xF4\x8F\xBF\xBF", 0, "\xF4\x8F\xBF\xBF"); /* U+10FFFF */
	assert_clean(RC, 0, RC);
	/* Neighbours of the named ranges are ordinary text. */
	assert_clean("\xC2\xA0\xE2\x80\x8A\xE2\x80\x90\xE2\x80\xAF\xE2\x81\x9F", 0,
		     "\xC2\xA0\xE2\x80\x8A\xE2\x80\x90\xE2\x80\xAF\xE2\x81\x9F");
	assert_clean("\xF3\xA0\x82\x80", 0, "\xF3\xA0\x82\x80"); /* U+E0080 */
}

static void test_c0_controls_caret_notation(void **state)
{
	static const char *const caret[32] = {
		"^@", "^A", "^B", "^C", "^D", "^E", "^F", "^G",
		"^H", NULL, NULL, "^K", "^L", NULL, "^N", "^O",
		"^P", "^Q", "^R", "^S", "^T", "^U", "^V", "^W",
		"^X", "^Y", "^Z", "^[", "^\\", "^]", "^^", "^_",
	};
	(void)state;
	for (int c = 0; c < 32; c++) {
		if (!caret[c])
			continue; /* \t \n \r have their own tests */
		char in[3] = {'x', (char)c, 'y'};
		char want[8];
		snprintf(want, sizeof want, "x%sy", caret[c]);
		for (unsigned flags = 0; flags <= DD_CLEAN_MULTILINE; flags++) {
			char *got = dd_clean_text(in, sizeof in, flags);
			assert_string_equal(got, want);
			free(got);
		}
	}
	assert_clean("\0", 0, "^@");
	assert_clean("\x1b", 0, "^[");
	assert_clean("\a\b\f\v", 0, "^G^H^L^K");
}

static void test_csi_sequence_shown_not_run(void **state)
{
	(void)state;
	assert_clean("\x1b[2J", 0, "^[[2J");
	assert_clean("\x1b[31mred\x1b[0m", 0, "^[[31mred^[[0m");
}

static void test_osc52_clipboard_leaves_no_esc_or_bel(void **state)
{
	(void)state;
	const char in[] = "\x1b]52;c;SGVsbG8=\x07";
	char *got = dd_clean_text(in, sizeof in - 1, 0);
	assert_string_equal(got, "^[]52;c;SGVsbG8=^G");
	assert_null(strchr(got, '\x1b'));
	assert_null(strchr(got, '\x07'));
	free(got);
	/* The other OSC terminator, ESC \ */
	assert_clean("\x1b]0;title\x1b\\", 0, "^[]0;title^[\\");
}

static void test_del_is_caret_question(void **state)
{
	(void)state;
	assert_clean("\x7f", 0, "^?");
	assert_clean("a\x7f" "b", DD_CLEAN_MULTILINE, "a^?b");
}

static void test_c1_controls_named(void **state)
{
	(void)state;
	assert_clean("\xC2\x9B", 0, "<U+009B>");
	assert_clean("\xC2\x9B" "2J", 0, "<U+009B>2J");
	for (unsigned cp = 0x80; cp <= 0x9F; cp++) {
		char in[2] = {(char)0xC2, (char)cp};
		char want[16];
		snprintf(want, sizeof want, "<U+%04X>", cp);
		char *got = dd_clean_text(in, sizeof in, 0);
		assert_string_equal(got, want);
		free(got);
	}
	assert_clean("\xC2\x80\xC2\x9F", 0, "<U+0080><U+009F>");
}

static void test_raw_c1_byte_is_replacement(void **state)
{
	(void)state;
	assert_clean("\x9b", 0, RC);
	assert_clean("\x9b" "2J", 0, RC "2J");
	assert_clean("a\x9b" "31m", 0, "a" RC "31m");
}

static void test_bidi_controls_named(void **state)
{
	(void)state;
	assert_clean("\u202A", 0, "<U+202A>");
	assert_clean("\u202B", 0, "<U+202B>");
	assert_clean("\u202C", 0, "<U+202C>");
	assert_clean("\u202D", 0, "<U+202D>");
	assert_clean("\u202E", 0, "<U+202E>");
	assert_clean("\u2066", 0, "<U+2066>");
	assert_clean("\u2067", 0, "<U+2067>");
	assert_clean("\u2068", 0, "<U+2068>");
	assert_clean("\u2069", 0, "<U+2069>");
	assert_clean("\u200E", 0, "<U+200E>");
	assert_clean("\u200F", 0, "<U+200F>");
	assert_clean("\u061C", 0, "<U+061C>");
	/* The "Trojan Source" trick: a reversed file name. */
	assert_clean("photo\u202Egpj.exe", 0, "photo<U+202E>gpj.exe");
}

static void test_zero_width_and_invisible_named(void **state)
{
	(void)state;
	assert_clean("\u200B", 0, "<U+200B>");
	assert_clean("\u200C", 0, "<U+200C>");
	assert_clean("\u200D", 0, "<U+200D>");
	assert_clean("\u2060", 0, "<U+2060>");
	assert_clean("\u2061", 0, "<U+2061>");
	assert_clean("\u2062", 0, "<U+2062>");
	assert_clean("\u2063", 0, "<U+2063>");
	assert_clean("\u2064", 0, "<U+2064>");
	assert_clean("\uFEFF", 0, "<U+FEFF>");
	assert_clean("\uFFF9\uFFFA\uFFFB", 0, "<U+FFF9><U+FFFA><U+FFFB>");
	assert_clean("ad\u200Bmin", 0, "ad<U+200B>min");
}

static void test_line_and_paragraph_separators_named(void **state)
{
	(void)state;
	assert_clean("a\u2028" "b", 0, "a<U+2028>b");
	assert_clean("a\u2029" "b", DD_CLEAN_MULTILINE, "a<U+2029>b");
}

static void test_tag_characters_named(void **state)
{
	(void)state;
	assert_clean("\U000E0000", 0, "<U+E0000>");
	assert_clean("\U000E0001", 0, "<U+E0001>");
	assert_clean("\U000E0041", 0, "<U+E0041>");
	assert_clean("\U000E007F", 0, "<U+E007F>");
	/* Hidden instructions spelled in tags ("Hi") stay visible. */
	assert_clean("ok\U000E0048\U000E0069", 0, "ok<U+E0048><U+E0069>");
}

static void test_truncated_sequence_at_end(void **state)
{
	(void)state;
	assert_clean("ab\xE2\x82", 0, "ab" RC);
	assert_clean("\xE2", 0, RC);
	assert_clean("\xC3", 0, RC);
	assert_clean("\xF0\x9F\x9A", 0, RC);
	assert_clean("\xF0\x9F", 0, RC);
}

static void test_truncated_sequence_resumes_at_breaking_byte(void **state)
{
	(void)state;
	assert_clean("\xE2\x82" "A", 0, RC "A");
	assert_clean("\xC3" "A", 0, RC "A");
	assert_clean("\xE2\x82\x1b[2J", 0, RC "^[[2J");
	assert_clean("\xF0\x9F\x9A\xF0\x9F\x9A\x93", 0, RC "🚓");
	assert_clean("\xD0\xD0\x9A", 0, RC "К");
}

static void test_bad_lead_and_stray_continuation_bytes(void **state)
{
	(void)state;
	assert_clean("\x80", 0, RC);
	assert_clean("\xBF", 0, RC);
	assert_clean("a\x80\x80" "b", 0, "a" RC RC "b");
	assert_clean("\xF5", 0, RC);
	assert_clean("\xFE\xFF", 0, RC RC);
	/* Old 5-byte form: every byte is bad on its own. */
	assert_clean("\xF8\x88\x80\x80\x80", 0, RC RC RC RC RC);
}

static void test_overlong_each_byte_replaced(void **state)
{
	(void)state;
	assert_clean("\xC0\xAF", 0, RC RC);           /* '/' in 2 bytes */
	assert_clean("\xC1\xBF", 0, RC RC);
	assert_clean("\xC0\x80", 0, RC RC);           /* "modified UTF-8" NUL */
	assert_clean("\xE0\x80\xAF", 0, RC RC RC);
	assert_clean("\xE0\x9F\xBF", 0, RC RC RC);
	assert_clean("\xF0\x80\x80\xAF", 0, RC RC RC RC);
	assert_clean("\xF0\x8F\xBF\xBF", 0, RC RC RC RC);
}

static void test_surrogate_each_byte_replaced(void **state)
{
	(void)state;
	assert_clean("\xED\xA0\x80", 0, RC RC RC);    /* U+D800 */
	assert_clean("\xED\xBF\xBF", 0, RC RC RC);    /* U+DFFF */
	/* CESU-8 pair for U+1F693 */
	assert_clean("\xED\xA0\xBD\xED\xBA\x93", 0, RC RC RC RC RC RC);
}

static void test_above_max_code_point_each_byte_replaced(void **state)
{
	(void)state;
	assert_clean("\xF4\x90\x80\x80", 0, RC RC RC RC);  /* U+110000 */
	assert_clean("\xF7\xBF\xBF\xBF", 0, RC RC RC RC);
}

static void test_single_line_newline_tab_cr(void **state)
{
	(void)state;
	assert_clean("a\nb", 0, "a b");
	assert_clean("a\r\nb", 0, "a b");
	assert_clean("a\rb", 0, "a^Mb");
	assert_clean("a\tb", 0, "a b");
	assert_clean("a\r", 0, "a^M");
	assert_clean("\r\r\n", 0, "^M ");
	assert_clean("\n\r", 0, " ^M");
	assert_clean("line1\r\nline2\n", 0, "line1 line2 ");
}

static void test_multiline_newline_tab_cr(void **state)
{
	(void)state;
	assert_clean("a\nb", DD_CLEAN_MULTILINE, "a\nb");
	assert_clean("a\r\nb", DD_CLEAN_MULTILINE, "a\nb");
	assert_clean("a\rb", DD_CLEAN_MULTILINE, "a^Mb");
	assert_clean("a\tb", DD_CLEAN_MULTILINE, "a b");
	assert_clean("a\r", DD_CLEAN_MULTILINE, "a^M");
	assert_clean("\r\r\n", DD_CLEAN_MULTILINE, "^M\n");
	assert_clean("\n\r", DD_CLEAN_MULTILINE, "\n^M");
	assert_clean("a\n\nb\r\n\r\nc", DD_CLEAN_MULTILINE, "a\n\nb\n\nc");
}

static void test_long_input_grows_buffer(void **state)
{
	(void)state;
	enum { N = 50000 };
	const char tag[] = "\xF3\xA0\x80\x81"; /* U+E0001 */
	const char tag_name[] = "<U+E0001>";
	char *in = dd_xmalloc(N * 4);
	char *want = dd_xmalloc(N * 9 + 1);

	memset(in, '\x1b', N);
	for (size_t i = 0; i < N; i++)
		memcpy(want + 2 * i, "^[", 2);
	want[2 * N] = '\0';
	char *got = dd_clean_text(in, N, 0);
	assert_string_equal(got, want);
	free(got);

	for (size_t i = 0; i < N; i++) {
		memcpy(in + 4 * i, tag, 4);
		memcpy(want + 9 * i, tag_name, 9);
	}
	want[9 * N] = '\0';
	got = dd_clean_text(in, N * 4, 0);
	assert_string_equal(got, want);
	free(got);
	free(in);
	free(want);
}

/* --- property test over random bytes ----------------------------------- */

/* Own generator so the cases are the same on every libc. */
static uint32_t rng_state;

static uint32_t rng_next(void)
{
	uint32_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return rng_state = x;
}

/*
 * A strict decoder written differently from the one under test (length from
 * the lead, then range checks on the value), so that both would have to be
 * wrong the same way for a bad output to pass. Returns bytes used, 0 if bad.
 */
static size_t strict_decode(const unsigned char *s, uint32_t *cp)
{
	static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len;
	uint32_t v;

	if (s[0] < 0x80)
		len = 1, v = s[0];
	else if ((s[0] & 0xE0) == 0xC0)
		len = 2, v = s[0] & 0x1F;
	else if ((s[0] & 0xF0) == 0xE0)
		len = 3, v = s[0] & 0x0F;
	else if ((s[0] & 0xF8) == 0xF0)
		len = 4, v = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (len > 1 && v < min_for_len[len])
		return 0;
	if ((v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
		return 0;
	*cp = v;
	return len;
}

/* Why out is unsafe to draw, or NULL. */
static const char *unsafe_reason(const char *out, bool multiline)
{
	const unsigned char *p = (const unsigned char *)out;
	while (*p) {
		uint32_t cp;
		size_t n = strict_decode(p, &cp);
		if (!n)
			return "invalid UTF-8";
		if (cp < 0x20 && !(cp == '\n' && multiline))
			return "C0 control";
		if (cp == 0x7F)
			return "DEL";
		if (cp >= 0x80 && cp <= 0x9F)
			return "C1 control";
		if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)
		    || cp == 0x200E || cp == 0x200F || cp == 0x061C)
			return "bidi control";
		if ((cp >= 0x200B && cp <= 0x200D) || (cp >= 0x2060 && cp <= 0x2064)
		    || cp == 0xFEFF)
			return "zero-width character";
		if (cp == 0x2028 || cp == 0x2029)
			return "line separator";
		if (cp >= 0xFFF9 && cp <= 0xFFFB)
			return "interlinear annotation";
		if (cp >= 0xE0000 && cp <= 0xE007F)
			return "tag character";
		p += n;
	}
	return NULL;
}

/* Random bytes alone rarely form the interesting sequences, so they are
 * mixed with pieces (sometimes cut short) of those. */
static size_t random_input(unsigned char *buf, size_t cap)
{
	static const char *const pieces[] = {
		"\x1b", "\x07", "\r", "\n", "\r\n", "\t", "\x7f", "\0",
		"\xC2\x9B", "\xC2\x85", "\xE2\x80\xAE", "\xE2\x81\xA6",
		"\xE2\x80\x8B", "\xEF\xBB\xBF", "\xE2\x80\xA8", "\xD8\x9C",
		"\xEF\xBF\xB9", "\xF3\xA0\x80\x81", "\xED\xA0\x80",
		"\xF4\x90\x80\x80", "\xC0\xAF", "\xE0\x80\xAF",
		"\xF0\x9F\x9A\x93", "\xD2\x9A", "\xE6\x97\xA5", "\xCC\x81",
		"\xEF\xBF\xBD", "\xF4\x8F\xBF\xBF", "a", " ",
	};
	size_t want = rng_next() % cap;
	size_t len = 0;
	while (len < want) {
		if (rng_next() % 2) {
			buf[len++] = (unsigned char)rng_next();
			continue;
		}
		const char *piece = pieces[rng_next() % (sizeof pieces / sizeof pieces[0])];
		size_t n = piece[0] ? strlen(piece) : 1;
		if (rng_next() % 4 == 0)
			n = rng_next() % n + 1;
		for (size_t i = 0; i < n && len < want; i++)
			buf[len++] = (unsigned char)piece[i];
	}
	return len;
}

static void fail_with_input(const char *why, const char *what, int value,
			    const unsigned char *in, size_t len)
{
	char hex[3 * 64 + 1] = "";
	for (size_t i = 0; i < len && i < 64; i++)
		snprintf(hex + 3 * i, 4, "%02X ", in[i]);
	fail_msg("%s (%s %d) for input: %s", why, what, value, hex);
}

static void test_random_bytes_come_out_safe_and_stable(void **state)
{
	(void)state;
	unsigned char in[64];
	rng_state = 0x5eed1234;
	for (int iter = 0; iter < 5000; iter++) {
		size_t len = random_input(in, sizeof in);
		for (unsigned flags = 0; flags <= DD_CLEAN_MULTILINE; flags++) {
			char *out = dd_clean_text((const char *)in, len, flags);
			const char *why = unsafe_reason(out, flags & DD_CLEAN_MULTILINE);
			if (why)
				fail_with_input(why, "flags", (int)flags, in, len);
			if (len > 0 && out[0] == '\0')
				fail_with_input("input dropped", "flags", (int)flags, in, len);
			/* Output is already safe, so cleaning it again must not
			 * change it: nothing is escaped twice. */
			char *again = dd_clean_text(out, strlen(out), flags);
			if (strcmp(again, out) != 0)
				fail_with_input("not idempotent", "flags", (int)flags, in, len);
			free(again);
			free(out);
		}
	}
}

static void test_random_text_fit_is_exact_width(void **state)
{
	(void)state;
	unsigned char in[64];
	rng_state = 0xC0FFEE;
	for (int iter = 0; iter < 2000; iter++) {
		size_t len = random_input(in, sizeof in);
		char *clean = dd_clean_text((const char *)in, len, 0);
		for (int cols = -1; cols <= 20; cols++) {
			dd_buf b = {0};
			dd_text_fit(&b, clean, cols);
			int got = dd_text_width(b.data ? b.data : "");
			if (got != (cols > 0 ? cols : 0))
				fail_with_input("dd_text_fit width", "cols", cols, in, len);
			dd_buf_free(&b);

			int w = -1;
			size_t n = dd_text_prefix(clean, cols, &w);
			char *prefix = dd_xstrndup(clean, n);
			if (w != dd_text_width(prefix) || w > (cols > 0 ? cols : 0))
				fail_with_input("dd_text_prefix width", "cols", cols, in, len);
			/* Longest: not even a zero-width mark more would fit. */
			if (dd_text_prefix(clean + n, cols - w, NULL) != 0)
				fail_with_input("dd_text_prefix stopped early", "cols", cols, in, len);
			if (((unsigned char)clean[n] & 0xC0) == 0x80)
				fail_with_input("dd_text_prefix split a code point",
						"cols", cols, in, len);
			free(prefix);
		}
		free(clean);
	}
}

/* --- width and fitting ------------------------------------------------- */

static void test_text_width_counts_columns(void **state)
{
	(void)state;
	assert_int_equal(dd_text_width(""), 0);
	assert_int_equal(dd_text_width(NULL), 0);
	assert_int_equal(dd_text_width("abc"), 3);
	assert_int_equal(dd_text_width("Қазақ"), 5);
	assert_int_equal(dd_text_width("әғқңөұүһі"), 9);
	assert_int_equal(dd_text_width("日本"), 4);
	assert_int_equal(dd_text_width("🚓"), 2);
	assert_int_equal(dd_text_width(ELLIPSIS), 1);
	assert_int_equal(dd_text_width(RC), 1);
	assert_int_equal(dd_text_width("<U+202E>"), 8);
}

static void test_text_width_combining_mark_is_zero(void **state)
{
	(void)state;
	assert_int_equal(dd_text_width("е\xCC\x81"), 1);  /* е + U+0301 */
	assert_int_equal(dd_text_width("e\xCC\x81\xCC\xA3"), 1);
}

static void test_text_width_unprintable_counts_one(void **state)
{
	(void)state;
	/* Text that skipped dd_clean must still not break the arithmetic. */
	assert_int_equal(dd_text_width("\x01"), 1);
	assert_int_equal(dd_text_width("\xC2\x9B"), 1);
	assert_int_equal(dd_text_width("a\x80" "b"), 3);
	assert_int_equal(dd_text_width("\xF4\x8F\xBF\xBF"), 1); /* U+10FFFF */
}

static void test_text_prefix_never_splits_code_point(void **state)
{
	(void)state;
	int w = -1;
	assert_int_equal(dd_text_prefix("Қазақ", 2, &w), strlen("Қа"));
	assert_int_equal(w, 2);
	assert_int_equal(dd_text_prefix("Қазақ", 0, &w), 0);
	assert_int_equal(w, 0);
	assert_int_equal(dd_text_prefix("Қазақ", 99, &w), strlen("Қазақ"));
	assert_int_equal(w, 5);
	assert_int_equal(dd_text_prefix("abc", -5, &w), 0);
	assert_int_equal(w, 0);
	assert_int_equal(dd_text_prefix("abc", 2, NULL), 2);
	assert_int_equal(dd_text_prefix(NULL, 2, &w), 0);
	assert_int_equal(w, 0);
}

static void test_text_prefix_never_splits_wide_char(void **state)
{
	(void)state;
	int w = -1;
	assert_int_equal(dd_text_prefix("日本", 3, &w), strlen("日"));
	assert_int_equal(w, 2);
	assert_int_equal(dd_text_prefix("日本", 1, &w), 0);
	assert_int_equal(w, 0);
	assert_int_equal(dd_text_prefix("日本", 4, &w), strlen("日本"));
	assert_int_equal(w, 4);
	assert_int_equal(dd_text_prefix("a🚓b", 2, &w), 1);
	assert_int_equal(w, 1);
	assert_int_equal(dd_text_prefix("a🚓b", 3, &w), strlen("a🚓"));
	assert_int_equal(w, 3);
}

static void test_text_prefix_keeps_combining_mark_with_base(void **state)
{
	(void)state;
	int w = -1;
	assert_int_equal(dd_text_prefix("е\xCC\x81x", 1, &w), strlen("е\xCC\x81"));
	assert_int_equal(w, 1);
	assert_int_equal(dd_text_prefix("xе\xCC\x81", 1, &w), 1);
	assert_int_equal(w, 1);
}

static void test_text_fit_pads_narrow_text(void **state)
{
	(void)state;
	assert_fit("abc", 5, "abc  ");
	assert_fit("abc", 3, "abc");
	assert_fit("", 2, "  ");
	assert_fit(NULL, 3, "   ");
	assert_fit("日本", 5, "日本 ");
	assert_fit("е\xCC\x81", 3, "е\xCC\x81  ");
}

static void test_text_fit_cuts_with_ellipsis(void **state)
{
	(void)state;
	assert_fit("abcdef", 4, "abc" ELLIPSIS);
	assert_fit("abcdef", 1, ELLIPSIS);
	assert_fit("abcd", 3, "ab" ELLIPSIS);
	assert_fit("Қазақстан", 6, "Қазақ" ELLIPSIS);
	assert_fit("е\xCC\x81е\xCC\x81е\xCC\x81", 2, "е\xCC\x81" ELLIPSIS);
	assert_fit("a🚓🚓", 4, "a🚓" ELLIPSIS);
}

static void test_text_fit_pads_before_ellipsis_at_wide_char(void **state)
{
	(void)state;
	assert_fit("日本語", 4, "日 " ELLIPSIS);
	assert_fit("日本語", 5, "日本" ELLIPSIS);
	assert_fit("日本語", 6, "日本語");
	assert_fit("日本語", 2, " " ELLIPSIS);
	assert_fit("日本語", 1, ELLIPSIS);
	assert_fit("🚓🚓", 3, "🚓" ELLIPSIS);
	assert_fit("🚓🚓", 2, " " ELLIPSIS);
}

static void test_text_fit_nonpositive_cols_appends_nothing(void **state)
{
	(void)state;
	dd_buf b = {0};
	dd_buf_adds(&b, "[");
	dd_text_fit(&b, "abc", 0);
	dd_text_fit(&b, "abc", -3);
	assert_string_equal(b.data, "[");
	dd_text_fit(&b, "abc", 4);
	dd_buf_adds(&b, "]");
	assert_string_equal(b.data, "[abc ]");
	dd_buf_free(&b);
}

int main(void)
{
	/* wcwidth() needs a UTF-8 LC_CTYPE; pin it rather than inherit one. */
	if (!setlocale(LC_ALL, "C.UTF-8")) {
		fputs("test_sanitize: the C.UTF-8 locale is missing\n", stderr);
		return 1;
	}
	const struct CMUnitTest sanitize_tests[] = {
		cmocka_unit_test(test_plain_ascii_unchanged),
		cmocka_unit_test(test_null_gives_empty_string),
		cmocka_unit_test(test_clean_stops_at_nul_but_clean_text_uses_len),
		cmocka_unit_test(test_russian_and_kazakh_unchanged),
		cmocka_unit_test(test_emoji_unchanged),
		cmocka_unit_test(test_boundary_code_points_unchanged),
		cmocka_unit_test(test_c0_controls_caret_notation),
		cmocka_unit_test(test_csi_sequence_shown_not_run),
		cmocka_unit_test(test_osc52_clipboard_leaves_no_esc_or_bel),
		cmocka_unit_test(test_del_is_caret_question),
		cmocka_unit_test(test_c1_controls_named),
		cmocka_unit_test(test_raw_c1_byte_is_replacement),
		cmocka_unit_test(test_bidi_controls_named),
		cmocka_unit_test(test_zero_width_and_invisible_named),
		cmocka_unit_test(test_line_and_paragraph_separators_named),
		cmocka_unit_test(test_tag_characters_named),
		cmocka_unit_test(test_truncated_sequence_at_end),
		cmocka_unit_test(test_truncated_sequence_resumes_at_breaking_byte),
		cmocka_unit_test(test_bad_lead_and_stray_continuation_bytes),
		cmocka_unit_test(test_overlong_each_byte_replaced),
		cmocka_unit_test(test_surrogate_each_byte_replaced),
		cmocka_unit_test(test_above_max_code_point_each_byte_replaced),
		cmocka_unit_test(test_single_line_newline_tab_cr),
		cmocka_unit_test(test_multiline_newline_tab_cr),
		cmocka_unit_test(test_long_input_grows_buffer),
		cmocka_unit_test(test_random_bytes_come_out_safe_and_stable),
		cmocka_unit_test(test_random_text_fit_is_exact_width),
		cmocka_unit_test(test_text_width_counts_columns),
		cmocka_unit_test(test_text_width_combining_mark_is_zero),
		cmocka_unit_test(test_text_width_unprintable_counts_one),
		cmocka_unit_test(test_text_prefix_never_splits_code_point),
		cmocka_unit_test(test_text_prefix_never_splits_wide_char),
		cmocka_unit_test(test_text_prefix_keeps_combining_mark_with_base),
		cmocka_unit_test(test_text_fit_pads_narrow_text),
		cmocka_unit_test(test_text_fit_cuts_with_ellipsis),
		cmocka_unit_test(test_text_fit_pads_before_ellipsis_at_wide_char),
		cmocka_unit_test(test_text_fit_nonpositive_cols_appends_nothing),
	};
	return cmocka_run_group_tests(sanitize_tests, NULL, NULL);
}
