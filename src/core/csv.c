#include <config.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dutydesk/common.h"
#include "dutydesk/csv.h"

/*
 * Fields are decoded in place: unescaping only ever shortens a field, and the
 * byte that ends it (comma, CR, LF, closing quote) is free to take its NUL.
 * So an unquoted field costs no copy at all and the only allocation while
 * reading is the pointer array, reused from record to record. The data
 * always has one NUL past its end, which lets the scanners look one byte
 * ahead without bounds checks; a NUL before the end is a real NUL byte.
 */
struct dd_csv {
	char *data;
	size_t len;
	size_t pos;
	char *name;
	long line;      /* physical line at pos */
	long rec_line;
	char **fields;
	size_t fcap;
	bool failed;    /* the data after an error is half rewritten */
	char failmsg[sizeof ((dd_err *)0)->msg];
};

/* Bytes the unquoted scanner has to stop at. */
static const unsigned char stop[256] = {
	['\0'] = 1, ['\n'] = 1, ['\r'] = 1, ['"'] = 1, [','] = 1,
	[0x80 ... 0xff] = 1,
};

/*
 * Length of the UTF-8 sequence at p, or 0 when it is not valid UTF-8
 * (stray continuation, overlong form, surrogate, above U+10FFFF, cut short).
 * The NUL sentinel is not a continuation byte, so this never reads past it.
 */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2)
		return 0;
	if (p[0] < 0xe0) {
		n = 2;
	} else if (p[0] < 0xf0) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] < 0xf5) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* Takes ownership of data, which must have room for a NUL at data[len]. */
static dd_csv *csv_adopt(char *data, size_t len, const char *name)
{
	dd_csv *c = dd_xcalloc(1, sizeof *c);

	data[len] = '\0';
	c->data = data;
	c->len = len;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		c->pos = 3;
	c->name = dd_xstrdup(name ? name : "-");
	c->line = 1;
	return c;
}

dd_csv *dd_csv_new(const char *data, size_t len, const char *name)
{
	char *copy = dd_xmalloc(len + 1);

	if (len)
		memcpy(copy, data, len);
	return csv_adopt(copy, len, name);
}

dd_status dd_csv_open(dd_csv **out, const char *path, dd_err *err)
{
	bool is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? _("standard input") : path;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	struct stat st;
	size_t cap = 64 * 1024, len = 0;
	char *data;

	*out = NULL;
	if (!f)
		return dd_fail(err, DD_EIO, _("%s: cannot open: %s"), path,
			       strerror(errno));
	/* One byte beyond the size lets a regular file end without a regrow. */
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0
	    && (uintmax_t)st.st_size < SIZE_MAX / 2)
		cap = (size_t)st.st_size + 2;
	data = dd_xmalloc(cap);
	for (;;) {
		/* Keep a byte spare for the sentinel NUL. */
		if (cap - len < 2) {
			if (cap > SIZE_MAX / 2) {
				free(data);
				if (!is_stdin)
					fclose(f);
				errno = EFBIG;
				return dd_fail(err, DD_EIO, _("%s: cannot read: %s"),
					       name, strerror(errno));
			}
			cap *= 2;
			data = dd_xrealloc(data, cap);
		}
		size_t want = cap - len - 1;
		size_t got = fread(data + len, 1, want, f);
		len += got;
		if (got < want)
			break;
	}
	if (ferror(f)) {
		int e = errno;
		free(data);
		if (!is_stdin)
			fclose(f);
		return dd_fail(err, DD_EIO, _("%s: cannot read: %s"), name,
			       strerror(e));
	}
	if (!is_stdin)
		fclose(f);
	*out = csv_adopt(data, len, name);
	return DD_OK;
}

void dd_csv_free(dd_csv **c)
{
	if (!*c)
		return;
	free((*c)->data);
	free((*c)->name);
	free((*c)->fields);
	free(*c);
	*c = NULL;
}

static int fail(dd_csv *c, dd_err *err, long line, const char *what)
{
	snprintf(c->failmsg, sizeof c->failmsg, "%s:%ld: %s", c->name, line,
		 what);
	c->failed = true;
	dd_fail(err, DD_EINVAL, "%s", c->failmsg);
	return -1;
}

int dd_csv_next(dd_csv *c, char ***fields, size_t *n, dd_err *err)
{
	unsigned char *p = (unsigned char *)c->data + c->pos;
	unsigned char *end = (unsigned char *)c->data + c->len;
	size_t nf = 0;

	*fields = NULL;
	*n = 0;
	if (c->failed) {
		dd_fail(err, DD_EINVAL, "%s", c->failmsg);
		return -1;
	}
	for (;;) {
		if (p == end) {
			c->pos = c->len;
			return 0;
		}
		if (p[0] == '\n') {
			p++;
		} else if (p[0] == '\r' && p[1] == '\n') {
			p += 2;
		} else {
			break;
		}
		c->line++;
	}
	c->rec_line = c->line;

	for (;;) {
		unsigned char *start, *w;
		bool quoted = *p == '"';

		if (quoted) {
			long open_line = c->line;

			start = w = ++p;
			for (;;) {
				unsigned char ch = *p;

				if (ch == '"') {
					if (p[1] != '"')
						break;
					*w++ = '"';
					p += 2;
				} else if (ch >= 0x80) {
					size_t k = utf8_len(p);
					if (!k)
						return fail(c, err, c->line,
							    _("invalid UTF-8"));
					while (k--)
						*w++ = *p++;
				} else if (ch == '\0') {
					if (p == end)
						return fail(c, err, open_line,
							    _("quoted field opened here is never closed"));
					return fail(c, err, c->line, _("NUL byte"));
				} else {
					if (ch == '\n')
						c->line++;
					*w++ = *p++;
				}
			}
			p++;
		} else {
			start = p;
			for (;;) {
				while (!stop[*p])
					p++;
				if (*p < 0x80)
					break;
				size_t k = utf8_len(p);
				if (!k)
					return fail(c, err, c->line,
						    _("invalid UTF-8"));
				p += k;
			}
			w = p;
		}

		if (nf == c->fcap) {
			c->fcap = c->fcap ? c->fcap * 2 : 16;
			c->fields = dd_xrealloc(c->fields,
						c->fcap * sizeof *c->fields);
		}
		c->fields[nf++] = (char *)start;

		/* Look at the terminator before the NUL may overwrite it. */
		unsigned char ch = *p;
		if (ch == ',') {
			*w = '\0';
			p++;
			continue;
		}
		if (p == end) {
			*w = '\0';
			break;
		}
		if (ch == '\n') {
			*w = '\0';
			p++;
			c->line++;
			break;
		}
		if (ch == '\r') {
			if (p[1] != '\n')
				return fail(c, err, c->line,
					    _("stray carriage return"));
			*w = '\0';
			p += 2;
			c->line++;
			break;
		}
		if (ch == '\0')
			return fail(c, err, c->line, _("NUL byte"));
		if (quoted)
			return fail(c, err, c->line,
				    _("text after the closing quote"));
		return fail(c, err, c->line, _("quote inside an unquoted field"));
	}

	c->pos = (size_t)((char *)p - c->data);
	*fields = c->fields;
	*n = nf;
	return 1;
}

long dd_csv_line(const dd_csv *c)
{
	return c->rec_line;
}

const char *dd_csv_name(const dd_csv *c)
{
	return c->name;
}

void dd_csv_quote(struct dd_buf *b, const char *s)
{
	if (!s)
		s = "";
	size_t len = strlen(s);
	/*
	 * An empty field is quoted too: alone on a line it would be a blank
	 * line, which the reader skips, and the record would vanish.
	 */
	bool need = len == 0 || s[0] == ' ' || s[0] == '\t'
		|| s[len - 1] == ' ' || s[len - 1] == '\t'
		|| strpbrk(s, ",\"\r\n") != NULL;

	if (!need) {
		dd_buf_add(b, s, len);
		return;
	}
	dd_buf_addc(b, '"');
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
		dd_buf_add(b, s, (size_t)(q - s) + 1);
		dd_buf_addc(b, '"');
	}
	dd_buf_adds(b, s);
	dd_buf_addc(b, '"');
}
