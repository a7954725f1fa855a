/* The gateway's log: one line per event on stderr, with a UTC timestamp. */
#include <config.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "gateway.h"

void gw_log(const char *fmt, ...)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char line[2048];
	int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
	n += snprintf(line + n, sizeof line - (size_t)n, ".%03ldZ ", ts.tv_nsec / 1000000);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	/* one write per line, so that threads never interleave within one */
	flockfile(stderr);
	fputs(line, stderr);
	fputc('\n', stderr);
	fflush(stderr);
	funlockfile(stderr);
}
