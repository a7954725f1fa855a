/* Shared by the benchmark programs: clocks, medians, and the result rows
 * that tests/bench/bench.sh turns into one table and bench.json. */
#ifndef DD_BENCH_UTIL_H
#define DD_BENCH_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline double bench_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Sorts v in place and returns its median. */
static inline double bench_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * One figure, appended to the results file as one tab-separated line:
 *   section, figure, value, unit, baseline, baseline value, ratio, target,
 *   verdict ("met", "MISSED" or "-")
 * The ratio is value / baseline value. Tabs and newlines in texts become
 * spaces.
 */
static inline void bench_row(const char *file, const char *section, const char *figure,
			     double value, const char *unit, const char *baseline, double base,
			     const char *target, const char *verdict)
{
	FILE *f = file ? fopen(file, "a") : NULL;
	double ratio = base > 0 ? value / base : 0;
	printf("  %-46s %12.3f %-6s | %-34s %12.3f | x%-8.2f %-14s %s\n", figure, value, unit,
	       baseline, base, ratio, target, verdict);
	fflush(stdout);
	if (!f)
		return;
	const char *texts[] = {section, figure, unit, baseline, target, verdict};
	char clean[6][256];
	for (int i = 0; i < 6; i++) {
		snprintf(clean[i], sizeof clean[i], "%s", texts[i] ? texts[i] : "");
		for (char *p = clean[i]; *p; p++)
			if (*p == '\t' || *p == '\n')
				*p = ' ';
	}
	fprintf(f, "%s\t%s\t%.4f\t%s\t%s\t%.4f\t%.4f\t%s\t%s\n", clean[0], clean[1], value,
		clean[2], clean[3], base, ratio, clean[4], clean[5]);
	fclose(f);
}

/* Reads a whole file (NUL-terminated); NULL on failure. */
static inline char *bench_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 65536, n = 0;
	char *b = malloc(cap);
	size_t got;
	while ((got = fread(b + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n < 4096)
			b = realloc(b, cap *= 2);
	}
	fclose(f);
	b[n] = '\0';
	if (len)
		*len = n;
	return b;
}

/* Replaces every occurrence of from in s by to; a new string. */
static inline char *bench_replace(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	for (const char *p = strstr(s, from); p; p = strstr(p + fl, from))
		n++;
	char *out = malloc(strlen(s) + n * (tl > fl ? tl - fl : 0) + 1), *o = out;
	for (const char *p; (p = strstr(s, from)); s = p + fl) {
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		memcpy(o, to, tl);
		o += tl;
	}
	strcpy(o, s);
	return out;
}

/*
 * The WhatsApp fixture (tests/data/fixtures/whatsapp/text.json) turned into
 * WhatsApp payload number i of a run: its own message id
 * ("wamid.<tag><i>") and its own sender (and wa_id), so that no message is
 * a duplicate and none joins another's report. A new string.
 */
#define BENCH_WA_SENDER "77051230001"
#define BENCH_WA_ID "wamid.HBgLNzcwNTEyMzAwMDEVAgASGBQzQUIxMjM0NTY3ODkwQUJDREVGAA=="
static inline char *bench_wa_body(const char *fixture, const char *tag, long i)
{
	char id[64], phone[32];
	snprintf(id, sizeof id, "wamid.%s%09ld", tag, i);
	snprintf(phone, sizeof phone, "7%010ld", 7000000000L + i);
	char *a = bench_replace(fixture, BENCH_WA_ID, id);
	char *b = bench_replace(a, BENCH_WA_SENDER, phone);
	free(a);
	return b;
}

#endif
