/*
 * libFuzzer target: the text cleaner (sanitize.h), the one gate between
 * untrusted text and the terminal. For any bytes and both flag sets:
 *   - the result is valid UTF-8 (strict: no overlong, surrogate, > U+10FFFF);
 *   - it holds no C0 control (but '\n' with DD_CLEAN_MULTILINE), no DEL, no
 *     C1 control, no bidi, zero-width, separator, annotation or tag character;
 *   - cleaning it again changes nothing;
 *   - dd_text_prefix never splits a code point or overshoots, and
 *     dd_text_fit gives exactly the columns asked for.
 */
#include <config.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dutydesk/common.h"
#include "dutydesk/sanitize.h"

#define FUZZ_NAME "fuzz_sanitize"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "en_US.UTF-8");
	return 0;
}

/* Strict UTF-8 decoding; returns the length or 0 when invalid. */
static size_t decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t need;
	uint32_t v, min;
	if (s[0] >= 0xC2 && s[0] < 0xE0) {
		need = 1, v = s[0] & 0x1F, min = 0x80;
	} else if (s[0] >= 0xE0 && s[0] < 0xF0) {
		need = 2, v = s[0] & 0x0F, min = 0x800;
	} else if (s[0] >= 0xF0 && s[0] < 0xF5) {
		need = 3, v = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < need + 1)
		return 0;
	for (size_t i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return need + 1;
}

static bool forbidden(uint32_t cp, unsigned flags)
{
	if (cp == '\n')
		return !(flags & DD_CLEAN_MULTILINE);
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x200E || cp == 0x200F || cp == 0x061C ||
	       (cp >= 0x200B && cp <= 0x200D) || (cp >= 0x2060 && cp <= 0x2064) ||
	       cp == 0xFEFF || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0xFFF9 && cp <= 0xFFFB) || (cp >= 0xE0000 && cp <= 0xE007F);
}

static void check_clean(const char *out, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)out;
	size_t n = strlen(out);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = decode(s + i, n - i, &cp);
		CHECK(k > 0, "invalid UTF-8 at byte %zu of the output (flags %u)", i, flags);
		CHECK(!forbidden(cp, flags), "U+%04X at byte %zu of the output (flags %u)",
		      (unsigned)cp, i, flags);
		i += k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (unsigned flags = 0; flags <= DD_CLEAN_MULTILINE; flags += DD_CLEAN_MULTILINE) {
		char *out = dd_clean_text((const char *)data, size, flags);
		CHECK(out != NULL, "NULL result");
		check_clean(out, flags);
		char *again = dd_clean_text(out, strlen(out), flags);
		CHECK(strcmp(out, again) == 0, "not idempotent (flags %u)", flags);
		free(again);

		if (!flags) {
			int width = dd_text_width(out);
			CHECK(width >= 0, "negative width %d", width);
			int cols = size ? data[0] % 40 : 7;
			int w = -1;
			size_t pre = dd_text_prefix(out, cols, &w);
			CHECK(pre <= strlen(out), "prefix %zu past the end", pre);
			CHECK(w >= 0 && w <= cols, "prefix width %d for %d columns", w, cols);
			/* a code point boundary: the byte after is not a continuation */
			CHECK((((unsigned char)out[pre]) & 0xC0) != 0x80,
			      "prefix %zu splits a code point", pre);
			dd_buf b = {0};
			dd_text_fit(&b, out, cols);
			int fw = b.data ? dd_text_width(b.data) : 0;
			CHECK(fw == cols, "dd_text_fit gave %d columns for %d", fw, cols);
			if (b.data)
				check_clean(b.data, 0);
			dd_buf_free(&b);
		}
		free(out);
	}
	/* the NUL-terminated convenience form agrees with the counted one */
	char *z = dd_xstrndup((const char *)data, size);
	char *a = dd_clean(z), *b = dd_clean_text(z, strlen(z), 0);
	CHECK(strcmp(a, b) == 0, "dd_clean differs from dd_clean_text");
	free(a);
	free(b);
	free(z);
	return 0;
}
