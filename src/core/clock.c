#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dutydesk/clock.h"

int64_t dd_now_ms(void)
{
	const char *pin = getenv("DUTYDESK_NOW");
	int64_t ms;
	if (pin && *pin && dd_time_parse(pin, &ms) == 0)
		return ms;
	if (pin && *pin) {
		char *end;
		long long v = strtoll(pin, &end, 10);
		if (*end == '\0')
			return v;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void dd_clock_set_zone(const char *zone)
{
	if (zone && *zone)
		setenv("TZ", zone, 1);
	tzset();
}

static void local_tm(int64_t ms, struct tm *tm)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	localtime_r(&t, tm);
}

void dd_time_iso(char *buf, size_t size, int64_t ms)
{
	struct tm tm;
	local_tm(ms, &tm);
	char z[8];
	strftime(z, sizeof z, "%z", &tm); /* "+0500" */
	char date[32];
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s%.3s:%.2s", date, z, z + 3);
}

void dd_time_short(char *buf, size_t size, int64_t ms)
{
	struct tm tm;
	local_tm(ms, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
}

void dd_time_age(char *buf, size_t size, int64_t ms, int64_t now)
{
	int64_t s = (now - ms) / 1000;
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, size, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm", (long long)(s / 60));
	else if (s < 86400 * 2)
		snprintf(buf, size, "%lldh", (long long)(s / 3600));
	else
		snprintf(buf, size, "%lldd", (long long)(s / 86400));
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int dd_time_parse(const char *s, int64_t *ms)
{
	struct tm tm = {0};
	int y, mo, d, h = 0, mi = 0, sec = 0;
	const char *p = s;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
		}
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t;
	if (*p == '\0') {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	} else {
		int off = 0;
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om;
			if (digits(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (digits(&p, 2, &om))
				return -1;
			off = sign * (oh * 3600 + om * 60);
		} else {
			return -1;
		}
		if (*p)
			return -1;
		t = timegm(&tm) - off;
	}
	/* mktime/timegm normalise 2026-02-31 to March: refuse such dates */
	if (tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1;
	*ms = (int64_t)t * 1000;
	return 0;
}
