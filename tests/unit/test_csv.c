#include <config.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dutydesk/common.h"
#include "dutydesk/csv.h"

static dd_csv *csv_str(const char *s)
{
	return dd_csv_new(s, strlen(s), "t.csv");
}

/* Expects the next record to start on line and to hold exactly the given
 * fields (n of them). */
static void expect_rec(dd_csv *c, long line, size_t n, ...)
{
	char **f;
	size_t got;
	dd_err err = {0};
	va_list ap;

	assert_int_equal(dd_csv_next(c, &f, &got, &err), 1);
	assert_int_equal(dd_csv_line(c), line);
	assert_int_equal(got, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(f[i], va_arg(ap, const char *));
	va_end(ap);
}

static void expect_end(dd_csv *c)
{
	char **f;
	size_t n;
	dd_err err = {0};

	assert_int_equal(dd_csv_next(c, &f, &n, &err), 0);
	/* The end stays the end. */
	assert_int_equal(dd_csv_next(c, &f, &n, &err), 0);
}

static void expect_fail(dd_csv *c, const char *msg)
{
	char **f;
	size_t n;
	dd_err err = {0};

	assert_int_equal(dd_csv_next(c, &f, &n, &err), -1);
	assert_int_equal(err.status, DD_EINVAL);
	assert_string_equal(err.msg, msg);
	/* Once broken, the reader keeps saying so instead of guessing on. */
	memset(&err, 0, sizeof err);
	assert_int_equal(dd_csv_next(c, &f, &n, &err), -1);
	assert_string_equal(err.msg, msg);
}

/* Reading s (len bytes) must end in the error msg, after any number of good
 * records. */
static void expect_fail_mem(const char *s, size_t len, const char *msg)
{
	dd_csv *c = dd_csv_new(s, len, "t.csv");
	char **f;
	size_t n;
	dd_err err = {0};
	int r;

	while ((r = dd_csv_next(c, &f, &n, &err)) == 1)
		;
	assert_int_equal(r, -1);
	assert_int_equal(err.status, DD_EINVAL);
	assert_string_equal(err.msg, msg);
	dd_csv_free(&c);
}

static void test_simple(void **state)
{
	(void)state;
	dd_csv *c = csv_str("id,name,rank\n1,Ivanov,sergeant\n2,Petrov,major\n");
	assert_string_equal(dd_csv_name(c), "t.csv");
	expect_rec(c, 1, 3, "id", "name", "rank");
	expect_rec(c, 2, 3, "1", "Ivanov", "sergeant");
	expect_rec(c, 3, 3, "2", "Petrov", "major");
	expect_end(c);
	assert_int_equal(dd_csv_line(c), 3);
	dd_csv_free(&c);
	assert_null(c);
	dd_csv_free(&c);
}

static void test_empty_input(void **state)
{
	(void)state;
	dd_csv *c = dd_csv_new(NULL, 0, "t.csv");
	expect_end(c);
	dd_csv_free(&c);
	c = csv_str("\n\r\n\n");
	expect_end(c);
	dd_csv_free(&c);
}

static void test_quoted_comma(void **state)
{
	(void)state;
	dd_csv *c = csv_str("\"Almaty, Abay ave. 10\",x\ny,\"a,b,c\"\n\",\",\",,\"\n");
	expect_rec(c, 1, 2, "Almaty, Abay ave. 10", "x");
	expect_rec(c, 2, 2, "y", "a,b,c");
	expect_rec(c, 3, 2, ",", ",,");
	expect_end(c);
	dd_csv_free(&c);
}

static void test_doubled_quotes(void **state)
{
	(void)state;
	dd_csv *c = csv_str("\"he said \"\"stop\"\"\",\"\"\"\"\n"
			    "\"\",\"\"\"\"\"\",\"a\"\"\"\n");
	expect_rec(c, 1, 2, "he said \"stop\"", "\"");
	expect_rec(c, 2, 3, "", "\"\"", "a\"");
	expect_end(c);
	dd_csv_free(&c);
}

static void test_embedded_newline(void **state)
{
	(void)state;
	dd_csv *c = csv_str("id,text\n"
			    "1,\"first line\nsecond line\nthird line\"\n"
			    "2,plain\n"
			    "\n"
			    "3,\"\n\",end\n"
			    "4,\"a\r\nb\"\r\n"
			    "5,last\n");
	expect_rec(c, 1, 2, "id", "text");
	expect_rec(c, 2, 2, "1", "first line\nsecond line\nthird line");
	expect_rec(c, 5, 2, "2", "plain");
	expect_rec(c, 7, 3, "3", "\n", "end");
	/* CR LF inside quotes is data and kept as it was written. */
	expect_rec(c, 9, 2, "4", "a\r\nb");
	expect_rec(c, 11, 2, "5", "last");
	expect_end(c);
	dd_csv_free(&c);
}

static void test_crlf(void **state)
{
	(void)state;
	dd_csv *c = csv_str("a,b\r\nc,\"d\"\r\n\r\ne,\r\n");
	expect_rec(c, 1, 2, "a", "b");
	expect_rec(c, 2, 2, "c", "d");
	expect_rec(c, 4, 2, "e", "");
	expect_end(c);
	dd_csv_free(&c);
}

static void test_no_trailing_newline(void **state)
{
	(void)state;
	dd_csv *c = csv_str("a,b\nc,d");
	expect_rec(c, 1, 2, "a", "b");
	expect_rec(c, 2, 2, "c", "d");
	expect_end(c);
	dd_csv_free(&c);

	c = csv_str("a,\"q\"");
	expect_rec(c, 1, 2, "a", "q");
	expect_end(c);
	dd_csv_free(&c);

	c = csv_str("a,");
	expect_rec(c, 1, 2, "a", "");
	expect_end(c);
	dd_csv_free(&c);
}

static void test_empty_fields(void **state)
{
	(void)state;
	dd_csv *c = csv_str(",,\na,\n,b\na,,b\n,\n\"\"\n");
	expect_rec(c, 1, 3, "", "", "");
	expect_rec(c, 2, 2, "a", "");
	expect_rec(c, 3, 2, "", "b");
	expect_rec(c, 4, 3, "a", "", "b");
	expect_rec(c, 5, 2, "", "");
	/* A quoted empty field is a record, unlike a blank line. */
	expect_rec(c, 6, 1, "");
	expect_end(c);
	dd_csv_free(&c);
}

static void test_blank_lines(void **state)
{
	(void)state;
	dd_csv *c = csv_str("\n\nfirst\n\r\n\nsecond\n\n\n");
	expect_rec(c, 3, 1, "first");
	expect_rec(c, 6, 1, "second");
	expect_end(c);
	dd_csv_free(&c);
}

static void test_spaces_kept(void **state)
{
	(void)state;
	dd_csv *c = csv_str(" a , b ,\t\n\" q \",  \n");
	expect_rec(c, 1, 3, " a ", " b ", "\t");
	expect_rec(c, 2, 2, " q ", "  ");
	expect_end(c);
	dd_csv_free(&c);
}

static void test_bom(void **state)
{
	(void)state;
	dd_csv *c = csv_str("\xef\xbb\xbfid,name\n1,x\n");
	expect_rec(c, 1, 2, "id", "name");
	expect_rec(c, 2, 2, "1", "x");
	expect_end(c);
	dd_csv_free(&c);

	c = csv_str("\xef\xbb\xbf\"id\"\n");
	expect_rec(c, 1, 1, "id");
	expect_end(c);
	dd_csv_free(&c);

	c = csv_str("\xef\xbb\xbf");
	expect_end(c);
	dd_csv_free(&c);

	/* Only a leading BOM is special; elsewhere it is U+FEFF data. */
	c = csv_str("a,\xef\xbb\xbf" "b\n");
	expect_rec(c, 1, 2, "a", "\xef\xbb\xbf" "b");
	expect_end(c);
	dd_csv_free(&c);
}

static void test_cyrillic_kazakh(void **state)
{
	(void)state;
	dd_csv *c = csv_str("Фамилия,Аты,Мекенжай\n"
			    "Қасымов,Әлихан,\"Өскемен, Ұлы Дала 5\"\n"
			    "Нұрғали,\"Гүлнұр \"\"Іңкәр\"\"\",Шымкент\n"
			    "Петров,Иван,\"ул. Абая\nкв. 12\"\n"
			    "edge,\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
			    "\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf,🚓\n");
	expect_rec(c, 1, 3, "Фамилия", "Аты", "Мекенжай");
	expect_rec(c, 2, 3, "Қасымов", "Әлихан", "Өскемен, Ұлы Дала 5");
	expect_rec(c, 3, 3, "Нұрғали", "Гүлнұр \"Іңкәр\"", "Шымкент");
	expect_rec(c, 4, 3, "Петров", "Иван", "ул. Абая\nкв. 12");
	expect_rec(c, 6, 3, "edge",
		   "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
		   "\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", "🚓");
	expect_end(c);
	dd_csv_free(&c);
}

static void test_many_fields(void **state)
{
	(void)state;
	dd_buf b = {0};
	for (int i = 0; i < 1000; i++)
		dd_buf_printf(&b, "%s%d", i ? "," : "", i);
	dd_buf_adds(&b, "\nx\n");
	dd_csv *c = dd_csv_new(b.data, b.len, "t.csv");
	char **f;
	size_t n;
	dd_err err = {0};
	assert_int_equal(dd_csv_next(c, &f, &n, &err), 1);
	assert_int_equal(n, 1000);
	assert_string_equal(f[0], "0");
	assert_string_equal(f[500], "500");
	assert_string_equal(f[999], "999");
	expect_rec(c, 2, 1, "x");
	expect_end(c);
	dd_csv_free(&c);
	dd_buf_free(&b);
}

static void test_err_quote_unquoted(void **state)
{
	(void)state;
	dd_csv *c = csv_str("a,b\nc,d\n\ne,f\"g\n");
	expect_rec(c, 1, 2, "a", "b");
	expect_rec(c, 2, 2, "c", "d");
	expect_fail(c, "t.csv:4: quote inside an unquoted field");
	dd_csv_free(&c);

	expect_fail_mem(" \"a\"", 4, "t.csv:1: quote inside an unquoted field");
	expect_fail_mem("ab\"", 3, "t.csv:1: quote inside an unquoted field");
}

static void test_err_after_quote(void **state)
{
	(void)state;
	dd_csv *c = csv_str("a\n\"x\ny\"z,1\n");
	expect_rec(c, 1, 1, "a");
	/* Reported where the stray text is, not where the field began. */
	expect_fail(c, "t.csv:3: text after the closing quote");
	dd_csv_free(&c);

	expect_fail_mem("\"a\" ,b\n", 7, "t.csv:1: text after the closing quote");
	expect_fail_mem("\"a\"\"\"b\n", 7, "t.csv:1: text after the closing quote");
}

static void test_err_unclosed(void **state)
{
	(void)state;
	dd_csv *c = csv_str("h\n1\n\n2,\"never\nclosed\nat all\n");
	expect_rec(c, 1, 1, "h");
	expect_rec(c, 2, 1, "1");
	expect_fail(c, "t.csv:4: quoted field opened here is never closed");
	dd_csv_free(&c);

	expect_fail_mem("\"", 1, "t.csv:1: quoted field opened here is never closed");
	expect_fail_mem("a,\"b\"\"", 6,
			"t.csv:1: quoted field opened here is never closed");
}

static void test_err_utf8(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"\x80",                 /* lone continuation byte */
		"\xbf",
		"\xc0\xaf",             /* overlong '/' */
		"\xc1\xbf",
		"\xe0\x80\xaf",         /* overlong, 3 bytes */
		"\xe0\x9f\xbf",
		"\xf0\x80\x80\xaf",     /* overlong, 4 bytes */
		"\xf0\x8f\xbf\xbf",
		"\xed\xa0\x80",         /* surrogate U+D800 */
		"\xed\xbf\xbf",         /* surrogate U+DFFF */
		"\xf4\x90\x80\x80",     /* U+110000 */
		"\xf5\x80\x80\x80",
		"\xf8\x88\x80\x80\x80",
		"\xfe",
		"\xff",
		"\xd0",                 /* cut short at the end */
		"\xd0,",                /* cut short by a comma */
		"\xe2\x82",
		"\xe2\x82\n",
		"\xf0\x9f\x9a",
		"\xd0\xc0\x80",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char in[64];
		/* In an unquoted field, on line 2. */
		int len = snprintf(in, sizeof in, "ok\nx%s y\n", bad[i]);
		expect_fail_mem(in, (size_t)len, "t.csv:2: invalid UTF-8");
		/* In a quoted field, after an embedded newline. */
		len = snprintf(in, sizeof in, "ok\n\"a\nb%s\"\n", bad[i]);
		expect_fail_mem(in, (size_t)len, "t.csv:3: invalid UTF-8");
	}
	/* Valid bytes after the invalid ones do not rescue it. */
	expect_fail_mem("\xd0\x9f\xd0", 3, "t.csv:1: invalid UTF-8");
}

static void test_err_nul(void **state)
{
	(void)state;
	static const char unquoted[] = "a\nb\0c\n";
	static const char quoted[] = "a\n\"b\nc\0\"\n";
	static const char after[] = "a\n\"b\"\0\n";
	static const char alone[] = "\0";

	expect_fail_mem(unquoted, sizeof unquoted - 1, "t.csv:2: NUL byte");
	expect_fail_mem(quoted, sizeof quoted - 1, "t.csv:3: NUL byte");
	expect_fail_mem(after, sizeof after - 1, "t.csv:2: NUL byte");
	expect_fail_mem(alone, 1, "t.csv:1: NUL byte");
}

static void test_err_cr(void **state)
{
	(void)state;
	dd_csv *c = csv_str("a\nb\rc\n");
	expect_rec(c, 1, 1, "a");
	expect_fail(c, "t.csv:2: stray carriage return");
	dd_csv_free(&c);

	expect_fail_mem("a,b\r", 4, "t.csv:1: stray carriage return");
	expect_fail_mem("\ra\n", 3, "t.csv:1: stray carriage return");
	expect_fail_mem("\"a\"\rb\n", 6, "t.csv:1: stray carriage return");
	expect_fail_mem("\r\r\n", 3, "t.csv:1: stray carriage return");
}

static void test_err_null_err(void **state)
{
	(void)state;
	dd_csv *c = csv_str("a\"b\n");
	char **f = (char **)1;
	size_t n = 7;
	/* err is optional, as everywhere else in the core. */
	assert_int_equal(dd_csv_next(c, &f, &n, NULL), -1);
	assert_null(f);
	assert_int_equal(n, 0);
	dd_csv_free(&c);
}

static char *temp_file(const char *content, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char *path = dd_xasprintf("%s/test_csv.XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return path;
}

static void test_open_missing(void **state)
{
	(void)state;
	char *path = temp_file("", 0);
	char *missing = dd_xasprintf("%s.missing/officers.csv", path);
	char *want = dd_xasprintf("%s: cannot open: %s", missing, strerror(ENOENT));
	dd_csv *c = (dd_csv *)1;
	dd_err err = {0};

	assert_int_equal(dd_csv_open(&c, missing, &err), DD_EIO);
	assert_null(c);
	assert_int_equal(err.status, DD_EIO);
	assert_string_equal(err.msg, want);
	unlink(path);
	free(path);
	free(missing);
	free(want);
}

static void test_open_file(void **state)
{
	(void)state;
	static const char content[] = "\xef\xbb\xbfid,name,note\r\n"
		"1,Қасымов,\"two\r\nlines\"\r\n"
		"\r\n"
		"2,Иванов,\r\n";
	char *path = temp_file(content, sizeof content - 1);
	dd_csv *c = NULL;
	dd_err err = {0};

	assert_int_equal(dd_csv_open(&c, path, &err), DD_OK);
	assert_non_null(c);
	assert_string_equal(dd_csv_name(c), path);
	expect_rec(c, 1, 3, "id", "name", "note");
	expect_rec(c, 2, 3, "1", "Қасымов", "two\r\nlines");
	expect_rec(c, 5, 3, "2", "Иванов", "");
	expect_end(c);
	dd_csv_free(&c);

	/* Errors name the file. */
	unlink(path);
	free(path);
	path = temp_file("a\nb,\"c\"d\n", 9);
	assert_int_equal(dd_csv_open(&c, path, &err), DD_OK);
	expect_rec(c, 1, 1, "a");
	char *want = dd_xasprintf("%s:2: text after the closing quote", path);
	expect_fail(c, want);
	dd_csv_free(&c);
	free(want);
	unlink(path);
	free(path);
}

static void test_open_empty_file(void **state)
{
	(void)state;
	char *path = temp_file("", 0);
	dd_csv *c = NULL;
	dd_err err = {0};

	assert_int_equal(dd_csv_open(&c, path, &err), DD_OK);
	expect_end(c);
	dd_csv_free(&c);
	unlink(path);
	free(path);
}

/* Standard input has no size to go by, so this also makes the buffer grow
 * several times over. */
static void test_open_stdin_large(void **state)
{
	(void)state;
	dd_buf b = {0};
	const int rows = 100000;
	for (int i = 1; i <= rows; i++)
		dd_buf_printf(&b, "%d,\"Officer %d, \"\"desk\"\"\",Алматы\n", i, i);
	char *path = temp_file(b.data, b.len);
	assert_non_null(freopen(path, "rb", stdin));

	dd_csv *c = NULL;
	dd_err err = {0};
	assert_int_equal(dd_csv_open(&c, "-", &err), DD_OK);
	char **f;
	size_t n;
	long count = 0;
	int r;
	while ((r = dd_csv_next(c, &f, &n, &err)) == 1) {
		count++;
		assert_int_equal(n, 3);
		assert_int_equal(dd_csv_line(c), count);
	}
	assert_int_equal(r, 0);
	assert_int_equal(count, rows);
	assert_null(f);
	dd_csv_free(&c);

	/* The last record, read again on its own, to look at its fields. */
	c = dd_csv_new(b.data, b.len, "big");
	for (long i = 1; i < rows; i++)
		assert_int_equal(dd_csv_next(c, &f, &n, &err), 1);
	char *want = dd_xasprintf("Officer %d, \"desk\"", rows);
	expect_rec(c, rows, 3, "100000", want, "Алматы");
	expect_end(c);
	dd_csv_free(&c);
	free(want);
	dd_buf_free(&b);
	unlink(path);
	free(path);
}

static void test_quote_output(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"plain", "plain"},
		{"Қасымов Әлихан", "Қасымов Әлихан"},
		{"in side", "in side"},
		{"", "\"\""},
		{"a,b", "\"a,b\""},
		{"say \"hi\"", "\"say \"\"hi\"\"\""},
		{"\"", "\"\"\"\""},
		{"two\nlines", "\"two\nlines\""},
		{"cr\r", "\"cr\r\""},
		{" lead", "\" lead\""},
		{"trail ", "\"trail \""},
		{"\ttab", "\"\ttab\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		dd_buf b = {0};
		dd_buf_adds(&b, "x,");
		dd_csv_quote(&b, cases[i].in);
		assert_string_equal(b.data + 2, cases[i].out);
		dd_buf_free(&b);
	}
}

static void test_quote_round_trip(void **state)
{
	(void)state;
	static const char *const tricky[] = {
		"plain", "", " ", "  lead and trail  ", ",", ",,", "a,b",
		"\"", "\"\"", "\"quoted\"", "say \"hi\", then go",
		"line1\nline2", "\n", "crlf\r\ninside", "\r\n", "lone\rcr",
		"Қазақ, тілі", "ул. \"Абая\"\n10", "🚓,🚨", "end\"",
		"\"start", "a\"\"b",
	};
	const size_t nt = sizeof tricky / sizeof tricky[0];
	dd_buf b = {0};

	/* Every string alone on a record, then all of them in one record. */
	for (size_t i = 0; i < nt; i++) {
		dd_csv_quote(&b, tricky[i]);
		dd_buf_adds(&b, i % 2 ? "\r\n" : "\n");
	}
	for (size_t i = 0; i < nt; i++) {
		if (i)
			dd_buf_addc(&b, ',');
		dd_csv_quote(&b, tricky[i]);
	}

	dd_csv *c = dd_csv_new(b.data, b.len, "rt");
	char **f;
	size_t n;
	dd_err err = {0};
	for (size_t i = 0; i < nt; i++) {
		assert_int_equal(dd_csv_next(c, &f, &n, &err), 1);
		assert_int_equal(n, 1);
		assert_string_equal(f[0], tricky[i]);
	}
	assert_int_equal(dd_csv_next(c, &f, &n, &err), 1);
	assert_int_equal(n, nt);
	for (size_t i = 0; i < nt; i++)
		assert_string_equal(f[i], tricky[i]);
	expect_end(c);
	dd_csv_free(&c);
	dd_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_quoted_comma),
		cmocka_unit_test(test_doubled_quotes),
		cmocka_unit_test(test_embedded_newline),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_no_trailing_newline),
		cmocka_unit_test(test_empty_fields),
		cmocka_unit_test(test_blank_lines),
		cmocka_unit_test(test_spaces_kept),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_cyrillic_kazakh),
		cmocka_unit_test(test_many_fields),
		cmocka_unit_test(test_err_quote_unquoted),
		cmocka_unit_test(test_err_after_quote),
		cmocka_unit_test(test_err_unclosed),
		cmocka_unit_test(test_err_utf8),
		cmocka_unit_test(test_err_nul),
		cmocka_unit_test(test_err_cr),
		cmocka_unit_test(test_err_null_err),
		cmocka_unit_test(test_open_missing),
		cmocka_unit_test(test_open_file),
		cmocka_unit_test(test_open_empty_file),
		cmocka_unit_test(test_open_stdin_large),
		cmocka_unit_test(test_quote_output),
		cmocka_unit_test(test_quote_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
