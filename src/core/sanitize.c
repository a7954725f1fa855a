#include <config.h>
/* wcwidth() is XSI; an autoconf config.h normally asks for this already. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "dutydesk/common.h"
#include "dutydesk/sanitize.h"

/* Never a code point, so a decoding error cannot be mistaken for a literal
 * U+FFFD in the input (which is copied as it is). */
#define BAD_UTF8 UINT32_MAX

static const char replacement_char[] = "\xEF\xBF\xBD";
static const char ellipsis[] = "\xE2\x80\xA6";

/*
 * Decodes one code point from s[0..n), n >= 1, and returns how many bytes it
 * took. Hand written rather than mbrtowc() so that what reaches the terminal
 * does not depend on the locale. The second-byte ranges are those of Unicode
 * table 3-7: checking them up front rejects overlong forms, surrogates and
 * values above U+10FFFF at the first byte that gives them away, so each such
 * byte becomes its own U+FFFD. A sequence that is valid so far but cut short
 * is one error, and decoding resumes at the byte that broke it.
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t need;
	unsigned char lo = 0x80, hi = 0xBF;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xC2) {
		*cp = BAD_UTF8;
		return 1;
	} else if (c < 0xE0) {
		need = 1;
		v = c & 0x1F;
	} else if (c < 0xF0) {
		need = 2;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c < 0xF5) {
		need = 3;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		*cp = BAD_UTF8;
		return 1;
	}

	if (n < 2 || s[1] < lo || s[1] > hi) {
		*cp = BAD_UTF8;
		return 1;
	}
	v = (v << 6) | (s[1] & 0x3F);
	for (size_t i = 2; i <= need; i++) {
		if (i >= n || (s[i] & 0xC0) != 0x80) {
			*cp = BAD_UTF8;
			return i;
		}
		v = (v << 6) | (s[i] & 0x3F);
	}
	*cp = v;
	return need + 1;
}

/* Code points above C1 that can hide, reorder or fake text on screen. */
static bool is_invisible_format(uint32_t cp)
{
	return cp == 0x061C
		|| (cp >= 0x200B && cp <= 0x200F)
		|| (cp >= 0x2028 && cp <= 0x202E)
		|| (cp >= 0x2060 && cp <= 0x2064)
		|| (cp >= 0x2066 && cp <= 0x2069)
		|| cp == 0xFEFF
		|| (cp >= 0xFFF9 && cp <= 0xFFFB)
		|| (cp >= 0xE0000 && cp <= 0xE007F);
}

/* By hand because snprintf() per character is too slow on every redraw. */
static void add_codepoint_name(dd_buf *b, uint32_t cp)
{
	static const char hex[] = "0123456789ABCDEF";
	char tmp[sizeof "<U+10FFFF>"];
	size_t i = sizeof tmp;
	int digits = 0;

	tmp[--i] = '>';
	do {
		tmp[--i] = hex[cp & 0xF];
		cp >>= 4;
		digits++;
	} while (cp || digits < 4);
	tmp[--i] = '+';
	tmp[--i] = 'U';
	tmp[--i] = '<';
	dd_buf_add(b, tmp + i, sizeof tmp - i);
}

char *dd_clean_text(const char *s, size_t len, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	bool multiline = flags & DD_CLEAN_MULTILINE;
	dd_buf b = {0};
	size_t run = 0; /* start of the bytes not yet copied, all safe */
	size_t i = 0;

	if (!s)
		len = 0;
	/* Most text comes out as it went in; a little slack saves the first
	 * few regrowths when it does not. */
	b.cap = len + len / 8 + 16;
	b.data = dd_xmalloc(b.cap);
	b.data[0] = '\0';

	while (i < len) {
		unsigned char c = p[i];
		uint32_t cp;
		size_t n;

		if (c >= 0x20 && c < 0x7F) {
			i++;
			continue;
		}
		if (c == '\n' && multiline) {
			i++;
			continue;
		}
		if (c < 0x80) {
			cp = c;
			n = 1;
		} else {
			n = utf8_decode(p + i, len - i, &cp);
			if (cp != BAD_UTF8 && cp > 0x9F && !is_invisible_format(cp)) {
				i += n;
				continue;
			}
		}

		dd_buf_add(&b, p + run, i - run);
		if (cp == BAD_UTF8) {
			dd_buf_add(&b, replacement_char, 3);
		} else if (cp == '\t' || cp == '\n') {
			dd_buf_addc(&b, ' ');
		} else if (cp == '\r' && i + 1 < len && p[i + 1] == '\n') {
			/* One line break, whatever system wrote it. */
			dd_buf_addc(&b, multiline ? '\n' : ' ');
			n = 2;
		} else if (cp < 0x20) {
			char caret[2] = {'^', (char)(cp + 0x40)};
			dd_buf_add(&b, caret, 2);
		} else if (cp == 0x7F) {
			dd_buf_add(&b, "^?", 2);
		} else {
			add_codepoint_name(&b, cp);
		}
		i += n;
		run = i;
	}
	dd_buf_add(&b, p + run, i - run);
	return dd_buf_take(&b);
}

char *dd_clean(const char *s)
{
	return dd_clean_text(s, s ? strlen(s) : 0, 0);
}

/*
 * Width of the code point at s and its byte length in *n. Anything wcwidth()
 * cannot place still takes a cell on most terminals, and a stray bad byte
 * will be shown as one U+FFFD, so both count 1 rather than vanish from the
 * arithmetic.
 */
static int codepoint_width(const unsigned char *s, size_t *n)
{
	uint32_t cp;
	int w;

	if (s[0] >= 0x20 && s[0] < 0x7F) {
		*n = 1;
		return 1;
	}
	/* The terminating NUL is not a continuation byte, so the decoder stops
	 * at it without being told the length (strlen here would make every
	 * line quadratic). */
	*n = utf8_decode(s, 4, &cp);
	if (cp == BAD_UTF8)
		return 1;
	w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

int dd_text_width(const char *clean)
{
	const unsigned char *p = (const unsigned char *)clean;
	int width = 0;

	if (!p)
		return 0;
	while (*p) {
		size_t n;
		width += codepoint_width(p, &n);
		p += n;
	}
	return width;
}

size_t dd_text_prefix(const char *clean, int cols, int *width)
{
	const unsigned char *p = (const unsigned char *)clean;
	size_t used = 0;
	int w = 0;

	if (p) {
		/* A combining mark has width 0, so once its base fits the mark
		 * fits too and stays with it. */
		while (p[used]) {
			size_t n;
			int cw = codepoint_width(p + used, &n);
			if (w + cw > cols)
				break;
			w += cw;
			used += n;
		}
	}
	if (width)
		*width = w;
	return used;
}

static void add_spaces(dd_buf *b, int count)
{
	static const char spaces[] = "                                ";
	while (count > 0) {
		int k = count < (int)sizeof spaces - 1 ? count : (int)sizeof spaces - 1;
		dd_buf_add(b, spaces, (size_t)k);
		count -= k;
	}
}

void dd_text_fit(struct dd_buf *b, const char *clean, int cols)
{
	const unsigned char *p = (const unsigned char *)(clean ? clean : "");
	size_t used = 0, cut = 0;
	int w = 0, cut_width = 0;

	if (cols <= 0)
		return;
	/* One pass that stops as soon as the text proves too wide, remembering
	 * where it would have to be cut to leave a column for the ellipsis. */
	while (p[used]) {
		size_t n;
		int cw = codepoint_width(p + used, &n);
		if (w + cw > cols) {
			dd_buf_add(b, p, cut);
			/* A wide character that would straddle the edge leaves
			 * a gap; fill it so the line is exactly cols wide. */
			add_spaces(b, cols - 1 - cut_width);
			dd_buf_add(b, ellipsis, sizeof ellipsis - 1);
			return;
		}
		w += cw;
		used += n;
		if (w <= cols - 1) {
			cut = used;
			cut_width = w;
		}
	}
	dd_buf_add(b, p, used);
	add_spaces(b, cols - w);
}
