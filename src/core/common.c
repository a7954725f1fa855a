#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dutydesk/common.h"

dd_status dd_fail(dd_err *err, dd_status st, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		err->status = st;
	}
	return st;
}

const char *dd_status_name(dd_status st)
{
	static const char *const names[] = {
#define X(name, code) #name,
		DD_STATUS_LIST(X)
#undef X
	};
	if ((size_t)st < sizeof names / sizeof names[0])
		return names[st];
	return "DD_?";
}

static void oom(void)
{
	fputs("dutydesk: out of memory\n", stderr);
	abort();
}

void *dd_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *dd_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *dd_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *dd_xstrdup(const char *s)
{
	return dd_xstrndup(s, strlen(s));
}

char *dd_xstrndup(const char *s, size_t n)
{
	char *p = dd_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *dd_xasprintf(const char *fmt, ...)
{
	dd_buf b = {0};
	va_list ap;
	va_start(ap, fmt);
	dd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return dd_buf_take(&b);
}

static void buf_grow(dd_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->data = dd_xrealloc(b->data, cap);
	b->cap = cap;
}

void dd_buf_add(dd_buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void dd_buf_adds(dd_buf *b, const char *s)
{
	dd_buf_add(b, s, strlen(s));
}

void dd_buf_addc(dd_buf *b, char c)
{
	dd_buf_add(b, &c, 1);
}

void dd_buf_vprintf(dd_buf *b, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	buf_grow(b, 64);
	int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	if (n > 0 && (size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, again);
	}
	va_end(again);
	if (n > 0)
		b->len += (size_t)n;
	b->data[b->len] = 0;
}

void dd_buf_printf(dd_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dd_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void dd_buf_reset(dd_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void dd_buf_free(dd_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *dd_buf_take(dd_buf *b)
{
	char *p = b->data ? b->data : dd_xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void *dd_vec_push(void *arrp, size_t *n, size_t *cap, size_t size)
{
	void **arr = arrp;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*arr = dd_xrealloc(*arr, *cap * size);
	}
	char *el = (char *)*arr + (*n)++ * size;
	memset(el, 0, size);
	return el;
}
