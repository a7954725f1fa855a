/* Time: stored as UTC milliseconds, shown in the site's time zone. */
#ifndef DUTYDESK_CLOCK_H
#define DUTYDESK_CLOCK_H

#include <stdint.h>
#include <stddef.h>

/* Now, in UTC milliseconds. DUTYDESK_NOW (ISO 8601 or milliseconds) pins it
 * for tests and reproducible demos. */
int64_t dd_now_ms(void);

/* Sets the zone used for display (NULL or "" keeps the system's). */
void dd_clock_set_zone(const char *zone);

/* "2026-12-01T17:04:05+05:00" in the display zone. */
void dd_time_iso(char *buf, size_t size, int64_t ms);
/* "2026-12-01 17:04" in the display zone. */
void dd_time_short(char *buf, size_t size, int64_t ms);
/* "5m", "3h", "2d": the age of ms at now. */
void dd_time_age(char *buf, size_t size, int64_t ms, int64_t now);

/* Parses "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]", "YYYY-MM-DDTHH:MM[:SS]" with
 * an optional "Z" or "+HH:MM" offset (local display zone when absent).
 * Returns 0 on success, -1 when malformed. */
int dd_time_parse(const char *s, int64_t *ms);

#endif
