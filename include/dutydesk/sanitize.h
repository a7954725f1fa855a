/* The one gate between untrusted text and the terminal (STYLE.md item 4). */
#ifndef DUTYDESK_SANITIZE_H
#define DUTYDESK_SANITIZE_H

#include <stddef.h>

enum {
	/* Keep '\n' (and turn "\r\n" into '\n'); without it a newline, "\r\n"
	 * included, shows as one space, so the result is one line. A lone '\r'
	 * is "^M" either way. */
	DD_CLEAN_MULTILINE = 1 << 0,
};

/*
 * Returns a newly allocated, NUL-terminated UTF-8 copy of s[0..len) that is
 * safe to draw: per code point,
 *   C0 controls (but see flags for '\n'; '\t' becomes one space) -> "^@".."^_"
 *   DEL                                      -> "^?"
 *   C1 controls U+0080..U+009F               -> "<U+009B>"
 *   bidi controls U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C,
 *   zero-width U+200B..U+200D, U+2060..U+2064, U+FEFF,
 *   line/paragraph separators U+2028, U+2029,
 *   interlinear annotation U+FFF9..U+FFFB, tag characters U+E0000..U+E007F
 *                                            -> "<U+202E>"
 *   invalid UTF-8 (bad lead, truncated, overlong, surrogate, > U+10FFFF),
 *   one U+FFFD per offending byte            -> U+FFFD
 *     (a sequence that is valid so far but cut short is one U+FFFD, and
 *     decoding resumes at the byte that cut it: "\xE2\x82" "A" -> U+FFFD "A";
 *     overlong forms, surrogates and > U+10FFFF give one per byte:
 *     "\xC0\xAF" -> two U+FFFD)
 * Everything else is copied unchanged. Never drops anything silently.
 * The caller frees the result.
 */
char *dd_clean_text(const char *s, size_t len, unsigned flags);
/* dd_clean_text(s, strlen(s), 0); s NULL gives "". */
char *dd_clean(const char *s);

/* Display width in terminal columns of cleaned UTF-8 text (wcwidth per code
 * point; needs a UTF-8 LC_CTYPE; unprintable code points count 1). */
int dd_text_width(const char *clean);

/* Byte length of the longest prefix of clean that fits in cols columns;
 * *width (may be NULL) receives that prefix's width. Never splits a code
 * point, and keeps combining marks with their base character. */
size_t dd_text_prefix(const char *clean, int cols, int *width);

/* Appends clean to b fitted to exactly cols columns: cut with "…" when
 * too wide (a space fills the gap left by a wide character that would
 * straddle the cut), padded with spaces when narrower. cols <= 0 appends
 * nothing. */
struct dd_buf;
void dd_text_fit(struct dd_buf *b, const char *clean, int cols);

#endif
