/*
 * The console's queries at scale: builds (or reuses) a demo database of N
 * reports and times each query the console runs per screen, as the median
 * of many runs. Prints a table and the same figures as JSON.
 *
 *   bench_queries [--reports N] [--db PATH] [--json FILE]
 *
 * Target (issue: foundation): each under 5 ms at 1,000,000 reports.
 */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dutydesk/demo.h"
#include "dutydesk/report.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct result {
	const char *name;
	double median, p90;
	size_t rows;
};

#define RUNS 60

static struct result time_page(dd_db *db, const char *name, const dd_report_filter *f)
{
	double t[RUNS];
	size_t rows = 0;
	for (int i = 0; i < RUNS; i++) {
		dd_report *r;
		size_t n;
		dd_err err = {0};
		double t0 = now_ms();
		if (dd_report_page(db, f, 0, 50, &r, &n, &err)) {
			fprintf(stderr, "%s: %s\n", name, err.msg);
			exit(1);
		}
		t[i] = now_ms() - t0;
		rows = n;
		dd_report_list_free(&r, n);
	}
	qsort(t, RUNS, sizeof *t, cmp);
	return (struct result){name, t[RUNS / 2], t[RUNS * 9 / 10], rows};
}

static struct result time_counts(dd_db *db)
{
	double t[RUNS];
	size_t rows = 0;
	for (int i = 0; i < RUNS; i++) {
		dd_report_count *c;
		size_t n;
		dd_err err = {0};
		double t0 = now_ms();
		if (dd_report_counts(db, &c, &n, &err)) {
			fprintf(stderr, "counts: %s\n", err.msg);
			exit(1);
		}
		t[i] = now_ms() - t0;
		rows = n;
		dd_report_counts_free(&c, n);
	}
	qsort(t, RUNS, sizeof *t, cmp);
	return (struct result){"sidebar counts (district x status)", t[RUNS / 2], t[RUNS * 9 / 10], rows};
}

int main(int argc, char **argv)
{
	long long reports = 1000000;
	const char *path = NULL, *json = "bench-queries.json";
	static const struct option opts[] = {
		{"reports", required_argument, NULL, 'r'},
		{"db", required_argument, NULL, 'd'},
		{"json", required_argument, NULL, 'j'},
		{0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': reports = atoll(optarg); break;
		case 'd': path = optarg; break;
		case 'j': json = optarg; break;
		default:
			fprintf(stderr, "usage: bench_queries [--reports N] [--db PATH] [--json FILE]\n");
			return 2;
		}
	}
	char def[64];
	if (!path) {
		snprintf(def, sizeof def, "bench-%lld.db", reports);
		path = def;
	}
	struct stat sb;
	bool fresh = stat(path, &sb) != 0;
	dd_db *db;
	dd_err err = {0};
	if (dd_db_open(&db, path, DD_DB_CREATE, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	if (fresh) {
		double t0 = now_ms();
		dd_demo_stats st;
		if (dd_demo_build(db, 1, reports, NULL, NULL, &st, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		printf("built %s: %lld reports in %.1f s\n", path, (long long)st.reports,
		       (now_ms() - t0) / 1000);
	}

	struct result res[8];
	int n = 0;
	res[n++] = time_page(db, "first page, open queue (priority, age)",
			     &(dd_report_filter){.open_only = true, .order = DD_ORDER_QUEUE});
	res[n++] = time_page(db, "district page, open queue",
			     &(dd_report_filter){.open_only = true, .district = "PVL-07",
						 .order = DD_ORDER_QUEUE});
	res[n++] = time_page(db, "district page, one status (new)",
			     &(dd_report_filter){.status_mask = 1u << DD_RS_NEW, .district = "PVL-07",
						 .order = DD_ORDER_QUEUE});
	res[n++] = time_page(db, "district page, one status (closed)",
			     &(dd_report_filter){.status_mask = 1u << DD_RS_CLOSED, .district = "PVL-07",
						 .order = DD_ORDER_QUEUE});
	res[n++] = time_page(db, "all reports, newest first",
			     &(dd_report_filter){.order = DD_ORDER_NEWEST});
	res[n++] = time_counts(db);
	res[n++] = time_page(db, "full-text search, newest first",
			     &(dd_report_filter){.search = "подъезд", .order = DD_ORDER_NEWEST});

	printf("\n%-40s %10s %10s %6s %8s\n", "query at", "median ms", "p90 ms", "rows", "target");
	FILE *j = fopen(json, "w");
	if (j)
		fprintf(j, "{\"reports\": %lld, \"queries\": [\n", reports);
	for (int i = 0; i < n; i++) {
		const char *verdict = res[i].median < 5.0 ? "< 5 ms" : "MISSED";
		printf("%-40s %10.3f %10.3f %6zu %8s\n", res[i].name, res[i].median, res[i].p90,
		       res[i].rows, verdict);
		if (j)
			fprintf(j, "  {\"name\": \"%s\", \"median_ms\": %.3f, \"p90_ms\": %.3f, \"rows\": %zu}%s\n",
				res[i].name, res[i].median, res[i].p90, res[i].rows, i + 1 < n ? "," : "");
	}
	if (j) {
		fprintf(j, "]}\n");
		fclose(j);
		printf("\nwritten to %s\n", json);
	}
	dd_db_close(&db);
	return 0;
}
