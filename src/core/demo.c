/*
 * The demo city: a synthetic Pavlodar with its districts, officers,
 * housing cooperatives, pawnshops, bookmakers, reporters and a history of
 * reports. Everything comes from seeded generators, and times are laid back
 * from dd_now_ms(), so with DUTYDESK_NOW pinned the same seed writes the
 * same database.
 *
 * The city goes in through the registry writers, the reports through a
 * staging table (see build_reports), their events through dd_audit_append,
 * so the audit chain is a real one. A million reports take some 35 s
 * without events and 45 s with them on a 2-core machine; the schema's
 * full-text index is half of it.
 */
#include <config.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "dutydesk/audit.h"
#include "dutydesk/clock.h"
#include "dutydesk/demo.h"
#include "dutydesk/outbox.h"
#include "dutydesk/registry.h"
#include "dutydesk/report.h"
#include "demo_text.h"

#define NDISTRICTS 25
#define NOFFICERS 122          /* district officers, supervisors aside */
#define MAXPERDISTRICT 6
#define NINACTIVE 5
#define NKSK 130
#define NPAWN 20
#define NBOOK 10
#define NORGS (NKSK + NPAWN + NBOOK)
#define NCHAIRMEN (NKSK / 2)
#define NREPORTERS (NCHAIRMEN + NPAWN + NBOOK)
#define NSTRANGERS 40
#define NSTREETS 6             /* streets per district */
#define RING 16                /* recent reports kept per district, for duplicates */
#define MAXOUTBOX 150          /* assignments notified, at most */
#define CHUNK 5000             /* reports moved into the table at once */

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)
#define SPAN_MS (90 * DAY_MS)  /* how far back reports go */
#define TZ_MS (5 * HOUR_MS)    /* Pavlodar keeps UTC+5 all year */
/* Reports younger than this, and open ones, get every event of their
 * history; the others only "create". Each event costs some 8 us (the
 * SHA-256 chain): for a million reports these 1.3 million events take 10 s,
 * whole histories (4.9 million) 37 s, "create" and the last step for all
 * (2 million) about 17 s. The last two days are what the queues show. */
#define FULL_HISTORY_MS (2 * DAY_MS)

/* --- the generator: xoshiro256**, seeded by splitmix64 -------------------- */

typedef struct rng {
	uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n). */
static uint32_t below(rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static int64_t between(rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* Uniform in [0, 1). */
static double unit(rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static bool chance(rng *r, unsigned percent)
{
	return below(r, 100) < percent;
}

static unsigned pick_w(rng *r, const unsigned *w, unsigned n)
{
	unsigned total = 0;
	for (unsigned i = 0; i < n; i++)
		total += w[i];
	unsigned x = below(r, total);
	for (unsigned i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

#define PICK(r, a) ((a)[below(r, NELEM(a))])

/* --- the city in memory ----------------------------------------------------- */

struct officer {
	int64_t id;
	char badge[12], name[128], phone[16];
	int64_t tg;
	int district;
	bool active, supervisor;
};

struct district {
	int64_t id;
	char code[16];
	int street[NSTREETS];
	int officer[MAXPERDISTRICT], nofficers; /* indexes into city.o */
	int active[MAXPERDISTRICT], nactive;
	double lat, lon;
};

/* The latest reports of a district, for duplicates to point at. */
struct recent {
	int64_t id[RING];
	unsigned char cat[RING];
	unsigned n;
};

struct org {
	int64_t id;
	dd_org_kind kind;
	char name[96], address[96];
	int district, street;
};

struct reporter {
	int64_t id, last_inbound;
	int org;
	char name[128], profile[96], phone[16];
	int64_t tg;
	bool kazakh;
};

struct stranger {
	char phone[16];
	int64_t tg;
	const char *name;
	bool kazakh;
};

struct city {
	rng r;
	int64_t now;
	struct district d[NDISTRICTS];
	struct officer o[NOFFICERS + NDISTRICTS];
	int no;
	struct org g[NORGS];
	struct reporter p[NREPORTERS];
	int chairmen[NCHAIRMEN], pawnowners[NPAWN], bookowners[NBOOK];
	struct stranger s[NSTRANGERS];
	struct recent recent[NDISTRICTS + 1]; /* [0]: unrouted */
	/* phones and Telegram ids handed out, to keep them unique */
	char phones[NOFFICERS + NDISTRICTS + NREPORTERS + NSTRANGERS][16];
	int nphones;
	int64_t tgs[NOFFICERS + NDISTRICTS + NREPORTERS + NSTRANGERS];
	int ntgs;
	int badges[NOFFICERS + NDISTRICTS];
};

static void new_phone(struct city *c, char out[16])
{
	for (;;) {
		snprintf(out, 16, "7%s%07u", PICK(&c->r, phone_prefixes), below(&c->r, 10000000));
		bool dup = false;
		for (int i = 0; i < c->nphones && !dup; i++)
			dup = strcmp(c->phones[i], out) == 0;
		if (!dup)
			break;
	}
	memcpy(c->phones[c->nphones++], out, 16);
}

static int64_t new_tg(struct city *c)
{
	for (;;) {
		int64_t tg = between(&c->r, 200000000, 7499999999LL);
		bool dup = false;
		for (int i = 0; i < c->ntgs && !dup; i++)
			dup = c->tgs[i] == tg;
		if (!dup)
			return c->tgs[c->ntgs++] = tg;
	}
}

static void new_badge(struct city *c, int n, char out[12])
{
	int b;
	bool dup;
	do {
		b = (int)between(&c->r, 1001, 9899);
		dup = false;
		for (int i = 0; i < n && !dup; i++)
			dup = c->badges[i] == b;
	} while (dup);
	c->badges[n] = b;
	snprintf(out, 12, "%d", b);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* "Surname First Patronymic"; *first (may be NULL) points at the first name. */
static void new_name(rng *r, bool kazakh, bool female, char *out, size_t size,
		     const char **first, char *patronymic, size_t psize)
{
	const char *sur = kazakh ? PICK(r, surnames_kz) : PICK(r, surnames_ru);
	const char *fn = kazakh ? (female ? PICK(r, first_kz_f) : PICK(r, first_kz_m))
				: (female ? PICK(r, first_ru_f) : PICK(r, first_ru_m));
	char patr[48];
	if (kazakh)
		snprintf(patr, sizeof patr, "%s%s", PICK(r, fathers_kz), female ? "овна" : "ович");
	else
		snprintf(patr, sizeof patr, "%s", patr_ru[below(r, NELEM(patr_ru))][female]);
	bool declines = ends_with(sur, "ов") || ends_with(sur, "ев") || ends_with(sur, "ёв") ||
			ends_with(sur, "ин") || ends_with(sur, "ын");
	snprintf(out, size, "%s%s %s %s", sur, female && declines ? "а" : "", fn, patr);
	if (first)
		*first = fn;
	if (patronymic)
		snprintf(patronymic, psize, "%s", patr);
}

static void street_address(rng *r, const char *street, int house, char *out, size_t size)
{
	unsigned v = below(r, 10);
	if (v < 2)
		snprintf(out, size, "%s, %d/%u", street, house, 1 + below(r, 4));
	else if (v < 3)
		snprintf(out, size, "%s, %d%s", street, house, below(r, 2) ? "А" : "Б");
	else
		snprintf(out, size, "%s, %d", street, house);
}

/* --- the registry: districts, officers, shifts, organisations, reporters --- */

static dd_status put_officer(dd_db *db, struct city *c, struct officer *o, const char *rank,
			     dd_err *err)
{
	dd_officer rec = {
		.badge = o->badge,
		.name = o->name,
		.rank = (char *)rank,
		.phone = o->phone,
		.telegram_id = o->tg,
		.district = c->d[o->district].code,
		.supervisor = o->supervisor,
		.active = o->active,
	};
	return dd_officer_put(db, &rec, &o->id, err);
}

static dd_status build_force(dd_db *db, struct city *c, dd_err *err)
{
	rng *r = &c->r;
	dd_status s;
	int count[NDISTRICTS];

	for (int d = 0; d < NDISTRICTS; d++) {
		struct district *dd = &c->d[d];
		snprintf(dd->code, sizeof dd->code, "PVL-%02d", d + 1);
		/* the centre first, the villages last: a rough ring around it */
		dd->lat = 52.287 + (double)((d * 37) % 11 - 5) * 0.007 * (1 + d / 12);
		dd->lon = 76.967 + (double)((d * 53) % 13 - 6) * 0.011 * (1 + d / 12);
		for (int k = 0; k < NSTREETS; k++)
			dd->street[k] = (int)below(r, NELEM(streets));
		if ((s = dd_district_put(db, dd->code, district_names[d], NULL, &dd->id, err)))
			return s;
		count[d] = 4;
	}
	for (int extra = NOFFICERS - 4 * NDISTRICTS; extra > 0;) {
		int d = (int)below(r, NDISTRICTS);
		if (count[d] < MAXPERDISTRICT) {
			count[d]++;
			extra--;
		}
	}

	for (int d = 0; d < NDISTRICTS; d++) {
		struct district *dd = &c->d[d];
		for (int k = 0; k < count[d]; k++) {
			struct officer *o = &c->o[c->no];
			o->district = d;
			o->active = true;
			new_badge(c, c->no, o->badge);
			new_name(r, chance(r, 55), chance(r, 12), o->name, sizeof o->name, NULL,
				 NULL, 0);
			new_phone(c, o->phone);
			o->tg = chance(r, 60) ? new_tg(c) : 0;
			dd->officer[dd->nofficers++] = c->no++;
		}
	}
	/* A few have left; every district keeps at least four. */
	for (int k = 0, d = (int)below(r, NDISTRICTS); k < NINACTIVE; d = (d + 7) % NDISTRICTS) {
		struct district *dd = &c->d[d];
		if (dd->nofficers > 4 && c->o[dd->officer[dd->nofficers - 1]].active) {
			c->o[dd->officer[dd->nofficers - 1]].active = false;
			k++;
		}
	}
	for (int i = 0; i < c->no; i++) {
		struct officer *o = &c->o[i];
		const char *rank = ranks_officer[pick_w(r, ranks_officer_w, NELEM(ranks_officer_w))];
		if ((s = put_officer(db, c, o, rank, err)))
			return s;
		if (o->active) {
			struct district *dd = &c->d[o->district];
			dd->active[dd->nactive++] = i;
		}
	}

	for (int d = 0; d < NDISTRICTS; d++) {
		struct officer *o = &c->o[c->no];
		o->district = d;
		o->active = o->supervisor = true;
		new_badge(c, c->no, o->badge);
		new_name(r, chance(r, 55), chance(r, 15), o->name, sizeof o->name, NULL, NULL, 0);
		new_phone(c, o->phone);
		o->tg = chance(r, 80) ? new_tg(c) : 0;
		if ((s = put_officer(db, c, o, PICK(r, ranks_supervisor), err)))
			return s;
		c->no++;
		if ((s = dd_district_put(db, c->d[d].code, district_names[d], o->badge, NULL, err)))
			return s;
	}
	return DD_OK;
}

/*
 * Twelve-hour shifts laid around now, so that whenever the demo is run most
 * officers are on duty: three in four are inside a shift, the rest finished
 * one lately or start one soon. Everyone also worked a shift the day before.
 */
static dd_status build_shifts(dd_db *db, struct city *c, dd_err *err)
{
	rng *r = &c->r;
	int64_t hour = c->now / HOUR_MS * HOUR_MS;
	for (int i = 0; i < c->no; i++) {
		struct officer *o = &c->o[i];
		if (!o->active)
			continue;
		int64_t start;
		unsigned v = below(r, 100);
		if (v < 75 || o->supervisor)
			start = hour - between(r, 0, 10) * HOUR_MS;
		else if (v < 90)
			start = hour - between(r, 13, 18) * HOUR_MS;
		else
			start = hour + between(r, 1, 6) * HOUR_MS;
		dd_status s = dd_shift_put(db, o->badge, start - DAY_MS, start - DAY_MS + 12 * HOUR_MS,
					   err);
		if (!s)
			s = dd_shift_put(db, o->badge, start, start + 12 * HOUR_MS, err);
		if (s)
			return s;
	}
	return DD_OK;
}

static void place_org(struct city *c, struct org *g, int district)
{
	rng *r = &c->r;
	g->district = district;
	g->street = c->d[district].street[below(r, NSTREETS)];
	street_address(r, streets[g->street], (int)between(r, 1, 160), g->address,
		       sizeof g->address);
}

/* Shops cluster in the centre and the big estates. */
static int busy_district(rng *r)
{
	return chance(r, 70) ? (int)below(r, 8) : (int)below(r, NDISTRICTS);
}

static dd_status put_reporter(dd_db *db, struct city *c, int idx, int org, bool female,
			      dd_err *err)
{
	rng *r = &c->r;
	static const char sql[] = "UPDATE reporters SET created_at = ?2 WHERE id = ?1";
	struct reporter *p = &c->p[idx];
	const char *first;
	char patr[48];
	p->org = org;
	p->kazakh = chance(r, 50);
	new_name(r, p->kazakh, female, p->name, sizeof p->name, &first, patr, sizeof patr);
	/* how they appear in the messenger */
	char profile[sizeof p->profile];
	switch (below(r, 4)) {
	case 0:
		snprintf(profile, sizeof profile, "%s", first);
		break;
	case 1:
		snprintf(profile, sizeof profile, "%s %s", first, patr);
		break;
	case 2:
		snprintf(profile, sizeof profile, "%s %.2s.", first, p->name);
		break;
	default:
		snprintf(profile, sizeof profile, "%s", c->g[org].name);
	}
	memcpy(p->profile, profile, sizeof profile);
	bool tg_only = chance(r, 3);
	if (!tg_only)
		new_phone(c, p->phone);
	p->tg = tg_only || chance(r, 35) ? new_tg(c) : 0;

	dd_reporter rec = {
		.name = p->name,
		.phone = p->phone,
		.telegram_id = p->tg,
		.org = c->g[org].name,
		.verified = chance(r, 92),
	};
	dd_status s = dd_reporter_put(db, &rec, (int)c->g[org].kind, &p->id, err);
	if (s)
		return s;
	/* They have been writing for a while. */
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_int64(st, 2, c->now - SPAN_MS - between(r, 60, 300 * 24 * 60) * MIN_MS);
	return dd_step_done(db, st, err, _("saving the reporter"));
}

static dd_status build_orgs(dd_db *db, struct city *c, dd_err *err)
{
	rng *r = &c->r;
	dd_status s;
	int perm[NELEM(ksk_names)];
	for (unsigned i = 0; i < NELEM(perm); i++)
		perm[i] = (int)i;
	for (unsigned i = NELEM(perm) - 1; i > 0; i--) {
		unsigned j = below(r, i + 1);
		int t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (int i = 0; i < NORGS; i++) {
		struct org *g = &c->g[i];
		if (i < NKSK) {
			g->kind = DD_ORG_KSK;
			unsigned n = NELEM(ksk_names), round = (unsigned)i / n;
			if (round)
				snprintf(g->name, sizeof g->name, "КСК \"%s-%u\"",
					 ksk_names[perm[i % n]], round + 1);
			else
				snprintf(g->name, sizeof g->name, "КСК \"%s\"", ksk_names[perm[i]]);
			place_org(c, g, i < 2 * NDISTRICTS ? i % NDISTRICTS
							    : (int)below(r, NDISTRICTS));
		} else if (i < NKSK + NPAWN) {
			g->kind = DD_ORG_PAWNSHOP;
			snprintf(g->name, sizeof g->name, "%s", pawnshop_names[i - NKSK]);
			place_org(c, g, busy_district(r));
		} else {
			g->kind = DD_ORG_BOOKMAKER;
			snprintf(g->name, sizeof g->name, "%s", bookmaker_names[i - NKSK - NPAWN]);
			place_org(c, g, busy_district(r));
		}
		dd_org rec = {
			.kind = g->kind,
			.name = g->name,
			.address = g->address,
			.district = c->d[g->district].code,
		};
		if ((s = dd_org_put(db, &rec, &g->id, err)))
			return s;
	}

	/* Chairmen for one of each pair of cooperatives (the first 25 pairs are
	 * in the same district, so every district has one), owners for every
	 * business. */
	int np = 0;
	for (int k = 0; k < NCHAIRMEN; k++) {
		int org = k < NDISTRICTS ? k + NDISTRICTS * (int)below(r, 2)
					 : 2 * k + (int)below(r, 2);
		c->chairmen[k] = np;
		if ((s = put_reporter(db, c, np++, org, chance(r, 60), err)))
			return s;
	}
	for (int k = 0; k < NPAWN; k++) {
		c->pawnowners[k] = np;
		if ((s = put_reporter(db, c, np++, NKSK + k, chance(r, 30), err)))
			return s;
	}
	for (int k = 0; k < NBOOK; k++) {
		c->bookowners[k] = np;
		if ((s = put_reporter(db, c, np++, NKSK + NPAWN + k, chance(r, 15), err)))
			return s;
	}
	/* the busiest chairmen anywhere in town, not by the order of districts */
	for (int i = NCHAIRMEN - 1; i > 0; i--) {
		int j = (int)below(r, (uint32_t)i + 1), t = c->chairmen[i];
		c->chairmen[i] = c->chairmen[j];
		c->chairmen[j] = t;
	}

	for (int k = 0; k < NSTRANGERS; k++) {
		struct stranger *x = &c->s[k];
		new_phone(c, x->phone);
		x->tg = chance(r, 30) ? new_tg(c) : 0;
		x->name = PICK(r, stranger_names);
		x->kazakh = chance(r, 15);
	}
	return DD_OK;
}

/* --- messages ------------------------------------------------------------- */

struct text {
	char *p;
	size_t len, cap;
};

static void add(struct text *t, const char *s)
{
	size_t n = strlen(s);
	if (t->len + n >= t->cap)
		n = t->cap - 1 - t->len;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void addf(struct text *t, const char *fmt, ...) DD_PRINTF(2, 3);
static void addf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len = (size_t)n < t->cap - t->len ? t->len + (size_t)n : t->cap - 1;
}

/* What one report is about, while its text is written. */
struct msg {
	rng *r;
	struct city *c;
	int district;        /* -1: unknown */
	int org;             /* -1: none */
	bool kz;
	const struct item *item;
	int street;          /* -1 until chosen */
	char address[96];    /* "" until chosen */
};

static void choose_street(struct msg *m)
{
	if (m->street >= 0)
		return;
	if (m->org >= 0 && chance(m->r, 60))
		m->street = m->c->g[m->org].street;
	else if (m->district >= 0)
		m->street = m->c->d[m->district].street[below(m->r, NSTREETS)];
	else
		m->street = (int)below(m->r, NELEM(streets));
}

static void choose_address(struct msg *m)
{
	if (m->address[0])
		return;
	choose_street(m);
	const struct org *g = m->org >= 0 ? &m->c->g[m->org] : NULL;
	if (g && m->street == g->street && chance(m->r, 50))
		snprintf(m->address, sizeof m->address, "%s", g->address);
	else
		street_address(m->r, streets[m->street], (int)between(m->r, 1, 160), m->address,
			       sizeof m->address);
}

static void add_serial(struct text *t, struct msg *m)
{
	rng *r = m->r;
	switch (m->item->id_kind) {
	case 0:
		addf(t, "IMEI 35%06u%07u", below(r, 1000000), below(r, 10000000));
		break;
	case 1: {
		static const char alnum[] = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
		char sn[13];
		for (int i = 0; i < 12; i++)
			sn[i] = alnum[below(r, sizeof alnum - 1)];
		sn[12] = '\0';
		addf(t, "%s %s", m->kz ? "сериялық нөмірі" : "серийный номер", sn);
		break;
	}
	default:
		addf(t, "%s %u,%u г", m->kz ? "салмағы" : "вес", 2 + below(r, 18), below(r, 10));
	}
}

static void expand(struct text *t, struct msg *m, const char *tp)
{
	rng *r = m->r;
	while (*tp) {
		const char *open = strchr(tp, '{');
		if (!open) {
			add(t, tp);
			return;
		}
		if (open > tp) {
			size_t n = (size_t)(open - tp);
			if (t->len + n >= t->cap)
				n = t->cap - 1 - t->len;
			memcpy(t->p + t->len, tp, n);
			t->len += n;
			t->p[t->len] = '\0';
		}
		switch (open[1]) {
		case 'A':
			choose_address(m);
			add(t, m->address);
			break;
		case 'S':
			choose_street(m);
			add(t, streets[m->street]);
			break;
		case 'P':
			addf(t, "%u", 1 + below(r, 6));
			break;
		case 'F':
			addf(t, "%u", 2 + below(r, 8));
			break;
		case 'Q':
			addf(t, "%u", 1 + below(r, 180));
			break;
		case 'D':
			add(t, PICK(r, ru_how_long));
			break;
		case 'd':
			add(t, PICK(r, kz_how_long));
			break;
		case 'T':
			add(t, PICK(r, ru_when));
			break;
		case 't':
			add(t, PICK(r, kz_when));
			break;
		case 'I':
			add(t, m->item->ru);
			break;
		case 'i':
			add(t, m->item->kz);
			break;
		case 'N':
			add_serial(t, m);
			break;
		case 'C':
			addf(t, "%s %03u %c%c%c 14", PICK(r, car_models), 1 + below(r, 999),
			     plate_letters[below(r, sizeof plate_letters - 1)],
			     plate_letters[below(r, sizeof plate_letters - 1)],
			     plate_letters[below(r, sizeof plate_letters - 1)]);
			break;
		case 'O':
			add(t, m->org >= 0 ? m->c->g[m->org].name : "букмекерской конторы");
			break;
		}
		tp = open[1] && open[2] == '}' ? open + 3 : open + 1;
	}
}

/* Writes a message of category cat into t; returns the template's priority
 * (0 when it has none of its own). */
static int compose(struct text *t, struct msg *m, enum cat cat)
{
	rng *r = m->r;
	const struct tmpl_set *set = m->kz ? &tmpl_kz[cat] : &tmpl_ru[cat];
	const struct tmpl *tp = &set->t[below(r, set->n)];
	m->item = &items[below(r, NELEM(items))];
	t->len = 0;
	t->p[0] = '\0';
	unsigned g = below(r, 100);
	if (m->kz && g < 30) {
		add(t, PICK(r, kz_greetings));
		add(t, " ");
	} else if (!m->kz && m->org >= 0 && m->c->g[m->org].kind == DD_ORG_KSK && g < 10) {
		addf(t, "Здравствуйте, это председатель %s. ", m->c->g[m->org].name);
	} else if (!m->kz && g < 30) {
		add(t, PICK(r, ru_greetings));
		add(t, " ");
	}
	expand(t, m, tp->t);
	if (chance(r, 45)) {
		add(t, " ");
		add(t, m->kz ? PICK(r, kz_closings) : PICK(r, ru_closings));
	}
	if (chance(r, 3)) {
		add(t, " ");
		add(t, PICK(r, emoji));
	}
	return tp->prio;
}

/* --- reports ---------------------------------------------------------------- */

/* Reports by hour of the local day: quiet at night, busy in the evening. */
static const unsigned hour_w[24] = {3, 2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9,
				    9, 9, 9, 9, 9, 9, 10, 10, 10, 9, 7, 5};

/* Bends a time inside its local day towards the busy hours; keeps order. */
static int64_t day_rhythm(int64_t t)
{
	int64_t day = (t + TZ_MS) / DAY_MS * DAY_MS - TZ_MS;
	unsigned total = 0;
	for (int h = 0; h < 24; h++)
		total += hour_w[h];
	double x = (double)(t - day) / (double)DAY_MS * total;
	for (int h = 0; h < 24; h++) {
		if (x < hour_w[h])
			return day + h * HOUR_MS + (int64_t)(x / hour_w[h] * HOUR_MS);
		x -= hour_w[h];
	}
	return t;
}

/* Statuses by age, per thousand (dd_report_status order). */
static const unsigned status_w[4][DD_RS_COUNT] = {
	{450, 300, 150, 100, 0, 0, 0, 0},    /* under 3 hours */
	{80, 120, 150, 100, 450, 0, 50, 50}, /* under a day */
	{10, 20, 30, 20, 450, 380, 50, 40},  /* under 4 days */
	{0, 3, 2, 0, 150, 740, 60, 45},      /* older */
};

/* Categories per kind of reporter. */
static const unsigned cat_w_ksk[NCAT] = {34, 14, 18, 22, 0, 0, 12};
static const unsigned cat_w_pawn[NCAT] = {0, 0, 5, 0, 85, 0, 10};
static const unsigned cat_w_book[NCAT] = {0, 0, 12, 0, 0, 80, 8};

enum source { SRC_UNROUTED, SRC_STRANGER, SRC_KSK, SRC_PAWN, SRC_BOOK };
static const unsigned source_w[] = {2, 12, 74, 7, 5};

struct step {
	dd_action action;
	dd_report_status from, to;
	int64_t at;
};

/* One report, as generated. */
struct rep {
	int64_t id, received, assigned_at, resolved_at, updated;
	dd_report_status status;
	enum cat cat;
	int prio, district, org, reporter, stranger, officer;
	const char *channel;
	char external[48], sender[24];
	const char *sender_name;
	bool has_loc, full_history;
	double lat, lon;
	int64_t duplicate_of;
	const char *reason, *result, *dispatcher;
	struct step steps[5];
	int nsteps;
	char text[1024], address[96], updated_by[80];
};

static void add_step(struct rep *x, dd_action a, dd_report_status to, int64_t gap)
{
	struct step *s = &x->steps[x->nsteps];
	s->action = a;
	s->from = x->nsteps ? x->steps[x->nsteps - 1].to : DD_RS_NEW;
	s->to = to;
	s->at = (x->nsteps ? x->steps[x->nsteps - 1].at : x->received) + gap;
	x->nsteps++;
}

/* The transitions that led to x->status, squeezed to end before now. */
static void plan_steps(struct rep *x, rng *r, int64_t now)
{
	x->nsteps = 0;
	switch (x->status) {
	case DD_RS_NEW:
		break;
	case DD_RS_REJECTED:
		/* turned down at once, or after the officer went to look */
		if (x->officer >= 0)
			add_step(x, DD_ACT_ASSIGN, DD_RS_ASSIGNED, between(r, 3, 45) * MIN_MS);
		add_step(x, DD_ACT_REJECT, DD_RS_REJECTED, between(r, 10, 300) * MIN_MS);
		break;
	case DD_RS_DUPLICATE:
		add_step(x, DD_ACT_DUPLICATE, DD_RS_DUPLICATE, between(r, 5, 120) * MIN_MS);
		break;
	default:
		add_step(x, DD_ACT_ASSIGN, DD_RS_ASSIGNED, between(r, 3, 45) * MIN_MS);
		if (x->status == DD_RS_ASSIGNED)
			break;
		add_step(x, DD_ACT_ACKNOWLEDGE, DD_RS_ACKNOWLEDGED, between(r, 2, 40) * MIN_MS);
		if (x->status == DD_RS_ACKNOWLEDGED)
			break;
		if (x->status == DD_RS_ON_SITE || chance(r, 60))
			add_step(x, DD_ACT_ON_SITE, DD_RS_ON_SITE, between(r, 10, 120) * MIN_MS);
		if (x->status == DD_RS_ON_SITE)
			break;
		add_step(x, DD_ACT_RESOLVE, DD_RS_RESOLVED,
			 between(r, 15, 240) * MIN_MS * (chance(r, 20) ? 8 : 1));
		if (x->status == DD_RS_RESOLVED)
			break;
		add_step(x, DD_ACT_CLOSE, DD_RS_CLOSED, between(r, 1, 72) * HOUR_MS);
	}
	if (!x->nsteps)
		return;
	int64_t room = now - MIN_MS - x->received;
	int64_t used = x->steps[x->nsteps - 1].at - x->received;
	if (used > room && room > 0)
		for (int i = 0; i < x->nsteps; i++)
			x->steps[i].at = x->received + (x->steps[i].at - x->received) * room / used;
}

static dd_actor actor_user(const char *login)
{
	dd_actor a = {.kind = DD_ACTOR_USER, .role = DD_ROLE_DISPATCHER};
	snprintf(a.login, sizeof a.login, "%s", login);
	snprintf(a.name, sizeof a.name, "%s", login);
	return a;
}

static dd_actor actor_officer(const struct officer *o)
{
	dd_actor a = {.kind = DD_ACTOR_OFFICER, .id = o->id, .role = DD_ROLE_NONE};
	snprintf(a.login, sizeof a.login, "%s", o->badge);
	snprintf(a.name, sizeof a.name, "%s", o->name);
	return a;
}

/* Who took a step: the officer answers for his own work, the desk for the rest. */
static dd_actor step_actor(const struct city *c, const struct rep *x, dd_action a)
{
	switch (a) {
	case DD_ACT_ACKNOWLEDGE:
	case DD_ACT_ON_SITE:
	case DD_ACT_RESOLVE:
		return actor_officer(&c->o[x->officer]);
	default:
		return actor_user(x->dispatcher);
	}
}

/* Messenger reports are written by the gateway, desk reports by the dispatcher. */
static dd_actor creator(const struct rep *x)
{
	return x->channel[0] == 'd' ? actor_user(x->dispatcher) : dd_actor_system();
}

static int pick_officer(struct city *c, int district, bool active_only)
{
	const struct district *d = &c->d[district];
	if (active_only)
		return d->active[below(&c->r, (uint32_t)d->nactive)];
	return d->officer[below(&c->r, (uint32_t)d->nofficers)];
}

/* Who wrote report x, and by what channel. */
static void plan_sender(struct city *c, struct rep *x, enum source src)
{
	rng *r = &c->r;
	const struct reporter *p = x->reporter >= 0 ? &c->p[x->reporter] : NULL;
	const struct stranger *s = x->stranger >= 0 ? &c->s[x->stranger] : NULL;
	int64_t tg = p ? p->tg : s->tg;
	const char *phone = p ? p->phone : s->phone;
	unsigned v = below(r, 100);
	if (tg && (!*phone || v < 40))
		x->channel = "telegram";
	else if (v >= 93 && src != SRC_UNROUTED)
		x->channel = "desk";
	else
		x->channel = "whatsapp";
	/* a known reporter's call needs no sender: the dispatcher picks them */
	if (x->channel[0] != 'd' || !p) {
		if (x->channel[0] == 't')
			snprintf(x->sender, sizeof x->sender, "%lld", (long long)tg);
		else
			snprintf(x->sender, sizeof x->sender, "%s", phone);
		x->sender_name = p ? p->profile : s->name;
	}
	if (x->channel[0] == 'w')
		snprintf(x->external, sizeof x->external, "wamid.DEMO%08llX%016llX",
			 (unsigned long long)x->id, (unsigned long long)rng_next(r));
	else if (x->channel[0] == 't')
		snprintf(x->external, sizeof x->external, "tg.DEMO.%lld.%lld", (long long)tg,
			 (long long)x->id);
	if (x->channel[0] != 'd' && x->district >= 0 && chance(r, 12)) {
		x->has_loc = true;
		x->lat = c->d[x->district].lat + (unit(r) - 0.5) * 0.012;
		x->lon = c->d[x->district].lon + (unit(r) - 0.5) * 0.02;
	}
}

/* What became of report x, aged age. */
static void plan_fate(struct city *c, struct rep *x, int64_t age)
{
	rng *r = &c->r;
	if (x->district < 0) {
		x->status = age < DAY_MS ? DD_RS_NEW : chance(r, 60) ? DD_RS_REJECTED : DD_RS_DUPLICATE;
	} else {
		int bucket = age < 3 * HOUR_MS ? 0 : age < DAY_MS ? 1 : age < 4 * DAY_MS ? 2 : 3;
		x->status = (dd_report_status)pick_w(r, status_w[bucket], DD_RS_COUNT);
	}
	if (x->status == DD_RS_DUPLICATE) {
		const struct recent *q = &c->recent[x->district + 1];
		if (q->n) {
			unsigned k = below(r, q->n < RING ? q->n : RING);
			x->duplicate_of = q->id[k];
			x->cat = (enum cat)q->cat[k];
		} else {
			x->status = DD_RS_REJECTED;
		}
	}
	if (x->status == DD_RS_REJECTED)
		x->reason = x->district < 0 ? reject_reasons[NELEM(reject_reasons) - 1]
					    : PICK(r, reject_reasons);
	bool worked = x->status != DD_RS_NEW && x->status != DD_RS_DUPLICATE &&
		      (x->status != DD_RS_REJECTED || (x->district >= 0 && chance(r, 40)));
	/* the open and the recent went to officers still serving */
	if (worked)
		x->officer = pick_officer(c, x->district, dd_rs_is_open(x->status) ||
							   age < 4 * DAY_MS);
	x->dispatcher = PICK(r, dispatchers);
	x->result = PICK(r, results);
	x->full_history = age < FULL_HISTORY_MS || dd_rs_is_open(x->status);
	plan_steps(x, r, c->now);
	x->updated = x->nsteps ? x->steps[x->nsteps - 1].at : x->received;
	for (int k = 0; k < x->nsteps; k++) {
		if (x->steps[k].action == DD_ACT_ASSIGN)
			x->assigned_at = x->steps[k].at;
		if (x->steps[k].action == DD_ACT_RESOLVE)
			x->resolved_at = x->steps[k].at;
	}
}

/* Draws report number i of n, its text included, into x. */
static void make_report(struct city *c, struct rep *x, int64_t i, int64_t n)
{
	rng *r = &c->r;
	memset(x, 0, offsetof(struct rep, text));
	x->text[0] = x->address[0] = '\0';
	x->id = i + 1;
	x->org = x->reporter = x->stranger = x->officer = x->district = -1;

	/* Ages grow towards the past, denser near now; ids follow time. */
	double u = 1.0 - ((double)i + unit(r)) / (double)n;
	int64_t age = MIN_MS + (int64_t)((double)SPAN_MS * u * (0.15 + 0.85 * u));
	int64_t today = (c->now + TZ_MS) / DAY_MS * DAY_MS - TZ_MS;
	x->received = c->now - age;
	if (x->received < today)
		x->received = day_rhythm(x->received);
	age = c->now - x->received;

	enum source src = (enum source)pick_w(r, source_w, NELEM(source_w));
	switch (src) {
	case SRC_KSK: {
		/* some chairmen write far more than others */
		double v = unit(r);
		x->reporter = c->chairmen[(int)(v * (0.4 + 0.6 * v) * NCHAIRMEN)];
		x->cat = (enum cat)pick_w(r, cat_w_ksk, NCAT);
		break;
	}
	case SRC_PAWN:
		x->reporter = c->pawnowners[below(r, NPAWN)];
		x->cat = (enum cat)pick_w(r, cat_w_pawn, NCAT);
		break;
	case SRC_BOOK:
		x->reporter = c->bookowners[below(r, NBOOK)];
		x->cat = (enum cat)pick_w(r, cat_w_book, NCAT);
		break;
	default:
		x->stranger = (int)below(r, NSTRANGERS);
		x->cat = (enum cat)pick_w(r, cat_w_ksk, NCAT);
		if (src == SRC_STRANGER)
			x->district = busy_district(r);
	}
	if (x->reporter >= 0) {
		x->org = c->p[x->reporter].org;
		x->district = c->g[x->org].district;
	}
	plan_sender(c, x, src);
	plan_fate(c, x, age);

	struct msg m = {.r = r, .c = c, .district = x->district, .org = x->org, .street = -1};
	bool kazakh = x->reporter >= 0 ? c->p[x->reporter].kazakh : c->s[x->stranger].kazakh;
	/* a call is written down by the dispatcher, in Russian */
	m.kz = x->channel[0] != 'd' && chance(r, kazakh ? 30 : 2);
	struct text t = {x->text, 0, sizeof x->text};
	int prio = compose(&t, &m, x->cat);
	x->prio = prio && chance(r, 40) ? prio : 1 + (int)pick_w(r, cat_prio_w[x->cat], 4);
	/* An address of its own: what the dispatcher typed for a call, the
	 * shop's for a shop; a message carries it in its text. */
	if (x->channel[0] == 'd' && m.address[0])
		memcpy(x->address, m.address, sizeof x->address);
	else if (x->org >= 0 && c->g[x->org].kind != DD_ORG_KSK)
		memcpy(x->address, c->g[x->org].address, sizeof x->address);
	dd_actor last = x->nsteps ? step_actor(c, x, x->steps[x->nsteps - 1].action) : creator(x);
	dd_actor_label(&last, x->updated_by, sizeof x->updated_by);

	/* reporters were last heard from when they last wrote by messenger */
	if (x->reporter >= 0 && x->channel[0] != 'd')
		c->p[x->reporter].last_inbound = x->received;
	if (x->status != DD_RS_DUPLICATE) {
		struct recent *q = &c->recent[x->district + 1];
		q->id[q->n % RING] = x->id;
		q->cat[q->n % RING] = (unsigned char)x->cat;
		q->n++;
	}
}

/*
 * Reports are staged in a temporary table and moved into reports a chunk at
 * a time: every statement on reports (it has triggers) keeps a statement
 * journal and makes the full-text index flush its pending terms, so one
 * INSERT ... SELECT per chunk is several times faster than one per row.
 */
static const char stage_create_sql[] =
	"CREATE TEMP TABLE demo_reports(id INTEGER PRIMARY KEY, status, priority, category, "
	"  district_id, reporter_id, org_id, officer_id, channel, external_id, sender, "
	"  sender_name, text, address, lat, lon, duplicate_of, reason, received_at, assigned_at, "
	"  resolved_at, updated_at, updated_by, version)";
static const char stage_sql[] =
	"INSERT INTO temp.demo_reports VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
	"  ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)";
#define REPORT_COLS                                                                        \
	"id, status, priority, category, district_id, reporter_id, org_id, officer_id, channel, " \
	"external_id, sender, sender_name, text, address, lat, lon, duplicate_of, reason, "      \
	"received_at, assigned_at, resolved_at, updated_at, updated_by, version"
static const char move_sql[] =
	"INSERT INTO reports(" REPORT_COLS ") SELECT " REPORT_COLS
	" FROM temp.demo_reports ORDER BY id";
static const char unstage_sql[] = "DELETE FROM temp.demo_reports";

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static dd_status stage_report(dd_db *db, const struct city *c, const struct rep *x, dd_err *err)
{
	sqlite3_stmt *st = dd_stmt(db, stage_sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, x->id);
	sqlite3_bind_text(st, 2, dd_rs_code(x->status), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, x->prio);
	sqlite3_bind_text(st, 4, cat_codes[x->cat], -1, SQLITE_STATIC);
	dd_bind_id(st, 5, x->district >= 0 ? c->d[x->district].id : 0);
	dd_bind_id(st, 6, x->reporter >= 0 ? c->p[x->reporter].id : 0);
	dd_bind_id(st, 7, x->org >= 0 ? c->g[x->org].id : 0);
	dd_bind_id(st, 8, x->officer >= 0 ? c->o[x->officer].id : 0);
	sqlite3_bind_text(st, 9, x->channel, -1, SQLITE_STATIC);
	bind_opt_text(st, 10, x->external);
	bind_opt_text(st, 11, x->sender);
	bind_opt_text(st, 12, x->sender_name);
	sqlite3_bind_text(st, 13, x->text, -1, SQLITE_STATIC);
	bind_opt_text(st, 14, x->address);
	if (x->has_loc) {
		sqlite3_bind_double(st, 15, x->lat);
		sqlite3_bind_double(st, 16, x->lon);
	}
	dd_bind_id(st, 17, x->duplicate_of);
	bind_opt_text(st, 18, x->reason);
	sqlite3_bind_int64(st, 19, x->received);
	dd_bind_id(st, 20, x->assigned_at);
	dd_bind_id(st, 21, x->resolved_at);
	sqlite3_bind_int64(st, 22, x->updated);
	sqlite3_bind_text(st, 23, x->updated_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 24, 1 + x->nsteps);
	return dd_step_done(db, st, err, _("saving the demo reports"));
}

static dd_status move_staged(dd_db *db, dd_err *err)
{
	sqlite3_stmt *st = dd_stmt(db, move_sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	dd_status s = dd_step_done(db, st, err, _("saving the demo reports"));
	if (s)
		return s;
	if (!(st = dd_stmt(db, unstage_sql, err)))
		return err ? err->status : DD_EDB;
	return dd_step_done(db, st, err, _("saving the demo reports"));
}

/* --- events, notes, notifications ------------------------------------------ */

/* A JSON string as jansson writes it with JSON_ENSURE_ASCII (so the demo's
 * events read like those written by the report module). */
static void add_json_str(struct text *t, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[13];
	add(t, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		uint32_t cp = *p++;
		int more = cp >= 0xF0 ? 3 : cp >= 0xE0 ? 2 : cp >= 0xC0 ? 1 : 0;
		if (more)
			cp &= 0x3F >> more;
		for (; more && (*p & 0xC0) == 0x80; more--)
			cp = cp << 6 | (*p++ & 0x3F);
		if (cp >= 0x20 && cp < 0x7F && cp != '"' && cp != '\\') {
			char one[2] = {(char)cp, '\0'};
			add(t, one);
			continue;
		}
		if (cp == '"' || cp == '\\') {
			char two[3] = {'\\', (char)cp, '\0'};
			add(t, two);
			continue;
		}
		uint32_t units[2] = {cp, 0};
		if (cp > 0xFFFF) {
			cp -= 0x10000;
			units[0] = 0xD800 | (cp >> 10);
			units[1] = 0xDC00 | (cp & 0x3FF);
		}
		for (int k = 0; k < 2 && units[k]; k++) {
			memcpy(esc, "\\u", 2);
			for (int d = 0; d < 4; d++)
				esc[2 + d] = hex[(units[k] >> (12 - 4 * d)) & 0xF];
			esc[6] = '\0';
			add(t, esc);
		}
	}
	add(t, "\"");
}

/*
 * The events of report x, shaped as the report module writes them (sorted
 * keys, the new version in "after"): "create", and, for a report of the
 * last two days or still open, every step since. Older ones keep their
 * "create" only: a million reports with whole histories would not fit in a
 * minute (see FULL_HISTORY_MS). *assign_event gets the assignment's event
 * id, 0 when none was written.
 */
static dd_status write_events(dd_db *db, struct city *c, const struct rep *x,
			      int64_t *assign_event, dd_err *err)
{
	char abuf[512], bbuf[64];
	struct text a = {abuf, 0, sizeof abuf}, b = {bbuf, 0, sizeof bbuf};
	addf(&a, "{\"category\":\"%s\",\"channel\":\"%s\",\"district\":", cat_codes[x->cat],
	     x->channel);
	if (x->district >= 0)
		addf(&a, "\"%s\"", c->d[x->district].code);
	else
		add(&a, "null");
	addf(&a, ",\"priority\":%d,\"status\":\"new\"}", x->prio);
	dd_actor who = creator(x);
	dd_status s = dd_audit_append_at(db, &who, x->id, "create", NULL, a.p, x->received, NULL, err);
	*assign_event = 0;
	for (int k = 0; !s && x->full_history && k < x->nsteps; k++) {
		const struct step *t = &x->steps[k];
		const char *to = dd_rs_code(t->to);
		a.len = b.len = 0;
		if (t->action == DD_ACT_ASSIGN)
			addf(&b, "{\"officer\":null,\"status\":\"%s\"}", dd_rs_code(t->from));
		else
			addf(&b, "{\"status\":\"%s\"}", dd_rs_code(t->from));
		add(&a, "{");
		switch (t->action) {
		case DD_ACT_ASSIGN:
			addf(&a, "\"officer\":\"%s\",", c->o[x->officer].badge);
			break;
		case DD_ACT_RESOLVE:
			add(&a, "\"note\":");
			add_json_str(&a, x->result);
			add(&a, ",");
			break;
		case DD_ACT_REJECT:
			add(&a, "\"reason\":");
			add_json_str(&a, x->reason);
			add(&a, ",");
			break;
		case DD_ACT_DUPLICATE:
			addf(&a, "\"duplicate_of\":%lld,", (long long)x->duplicate_of);
			break;
		default:
			break;
		}
		addf(&a, "\"status\":\"%s\",\"version\":%d}", to, k + 2);
		who = step_actor(c, x, t->action);
		if (t->action == DD_ACT_RESOLVE &&
		    (s = dd_note_add(db, &who, x->id, x->result, t->at, err)))
			break;
		int64_t id = 0;
		s = dd_audit_append_at(db, &who, x->id, dd_action_code(t->action), b.p, a.p, t->at, &id,
				       err);
		if (t->action == DD_ACT_ASSIGN)
			*assign_event = id;
	}
	return s;
}

/* The messages an assignment sends (the report module's wording). */
static dd_status notify(dd_db *db, struct city *c, const struct rep *x, int64_t event,
			dd_err *err)
{
	char buf[1536];
	struct text t = {buf, 0, sizeof buf};
	addf(&t, _("Report #%lld (%s), priority %d\n"), (long long)x->id, cat_codes[x->cat],
	     x->prio);
	if (x->address[0])
		addf(&t, _("Address: %s\n"), x->address);
	size_t n = strlen(x->text), max = 300;
	if (n > max) {
		while (max > 0 && ((unsigned char)x->text[max] & 0xC0) == 0x80)
			max--;
		addf(&t, "%.*s…\n", (int)max, x->text);
	} else {
		addf(&t, "%s\n", x->text);
	}
	if (x->reporter >= 0) {
		const struct reporter *p = &c->p[x->reporter];
		addf(&t, _("Reporter: %s\n"), p->phone[0] ? p->phone : p->name);
	} else if (x->sender[0]) {
		addf(&t, _("Reporter: %s\n"), x->sender);
	}
	add(&t, _("Reply 1 to accept, 2 when on site, 3 when done."));
	dd_status s = dd_outbox_to_officer(db, x->id, event, c->o[x->officer].id, "assigned", t.p,
					   err);
	if (s)
		return s;
	t.len = 0;
	addf(&t, _("Your report #%lld has been passed to the district officer."), (long long)x->id);
	return dd_outbox_to_reporter(db, x->id, event, "assigned", t.p, err);
}

static dd_status build_reports(dd_db *db, struct city *c, int64_t n,
			       void (*progress)(int64_t, int64_t, void *), void *arg, dd_err *err)
{
	if (sqlite3_exec(db->h, stage_create_sql, NULL, NULL, NULL) != SQLITE_OK)
		return dd_db_error(db, err, _("saving the demo reports"));
	struct rep *chunk = dd_xmalloc(CHUNK * sizeof *chunk);
	int queued = 0;
	dd_status s = DD_OK;
	for (int64_t i = 0; !s && i < n;) {
		int k = 0;
		for (; !s && k < CHUNK && i + k < n; k++) {
			make_report(c, &chunk[k], i + k, n);
			s = stage_report(db, c, &chunk[k], err);
		}
		if (!s)
			s = move_staged(db, err);
		/* events point at their reports, so they come after them */
		for (int j = 0; !s && j < k; j++) {
			const struct rep *x = &chunk[j];
			int64_t assign_event = 0;
			s = write_events(db, c, x, &assign_event, err);
			if (!s && x->status == DD_RS_ASSIGNED && assign_event && queued < MAXOUTBOX &&
			    c->now - x->assigned_at < 3 * HOUR_MS) {
				s = notify(db, c, x, assign_event, err);
				queued++;
			}
			if (!s && progress && ((i + j + 1) % 10000 == 0 || i + j + 1 == n))
				progress(i + j + 1, n, arg);
		}
		i += k;
	}
	free(chunk);
	if (!s && sqlite3_exec(db->h, "DROP TABLE temp.demo_reports", NULL, NULL, NULL) != SQLITE_OK)
		s = dd_db_error(db, err, _("saving the demo reports"));
	return s;
}

/* --- the whole -------------------------------------------------------------- */

static dd_status check_empty(dd_db *db, dd_err *err)
{
	static const char sql[] =
		"SELECT EXISTS (SELECT 1 FROM districts) OR EXISTS (SELECT 1 FROM reports) "
		"  OR EXISTS (SELECT 1 FROM officers) OR EXISTS (SELECT 1 FROM organisations) "
		"  OR EXISTS (SELECT 1 FROM reporters)";
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	int rc = sqlite3_step(st);
	int full = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return dd_db_error(db, err, _("reading the database"));
	if (full)
		return dd_fail(err, DD_EINVAL,
			       _("the database already holds a city; demo needs an empty one"));
	return DD_OK;
}

static dd_status set_last_inbound(dd_db *db, const char *sql, int64_t id, int64_t at,
				  dd_err *err)
{
	sqlite3_stmt *st = dd_stmt(db, sql, err);
	if (!st)
		return err ? err->status : DD_EDB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	return dd_step_done(db, st, err, _("saving the demo city"));
}

static dd_status finish(dd_db *db, struct city *c, uint64_t seed, dd_err *err)
{
	static const char reporter_sql[] = "UPDATE reporters SET last_inbound_at = ?2 WHERE id = ?1";
	static const char officer_sql[] = "UPDATE officers SET last_inbound_at = ?2 WHERE id = ?1";
	dd_status s = DD_OK;
	for (int i = 0; !s && i < NREPORTERS; i++)
		if (c->p[i].last_inbound)
			s = set_last_inbound(db, reporter_sql, c->p[i].id, c->p[i].last_inbound, err);
	/* Most officers wrote to the desk within the messengers' 24-hour window
	 * (drawn from a stream of its own, to keep the city apart from the
	 * number of reports). */
	rng_seed(&c->r, seed ^ 0x4f666669636572ULL);
	for (int i = 0; !s && i < c->no; i++)
		if (c->o[i].active && chance(&c->r, 70))
			s = set_last_inbound(db, officer_sql, c->o[i].id,
					     c->now - between(&c->r, 5, 20 * 60) * MIN_MS, err);
	/* Says the people in it are made up, and how to make them again. */
	if (!s) {
		char v[24];
		snprintf(v, sizeof v, "%llu", (unsigned long long)seed);
		s = dd_setting_set(db, "demo_seed", v, err);
	}
	return s;
}

static int get_pragma(dd_db *db, const char *sql)
{
	sqlite3_stmt *st;
	int v = 0;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

static void set_pragma(dd_db *db, const char *name, int value)
{
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA %s = %d", name, value);
	sqlite3_exec(db->h, sql, NULL, NULL, NULL);
}

/* Sets the journal mode to set (NULL: leaves it); true when it is then want. */
static bool journal_mode(dd_db *db, const char *set, const char *want)
{
	char sql[48] = "PRAGMA journal_mode";
	if (set)
		snprintf(sql, sizeof sql, "PRAGMA journal_mode = %s", set);
	sqlite3_stmt *st;
	bool ok = false;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			ok = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), want) == 0;
		sqlite3_finalize(st);
	}
	return ok;
}

dd_status dd_demo_build(dd_db *db, uint64_t seed, int64_t nreports,
			void (*progress)(int64_t done, int64_t total, void *arg), void *arg,
			dd_demo_stats *stats, dd_err *err)
{
	if (nreports < 0)
		return dd_fail(err, DD_EINVAL, _("the number of demo reports cannot be negative"));
	/* Once before touching the connection, and again inside the transaction. */
	dd_status s = check_empty(db, err);
	if (s)
		return s;
	struct city *c = dd_xcalloc(1, sizeof *c);
	c->now = dd_now_ms();
	rng_seed(&c->r, seed);

	/* A bigger page cache keeps the indexes of many reports from spilling
	 * midway; statement journals and the staging table stay in memory. The
	 * database, empty but for its schema, is filled under a rollback
	 * journal, which has next to nothing to save, rather than through the
	 * WAL, which would write every page twice (a million reports take a
	 * third less time). All go back as they were; a database that another
	 * program has open stays in WAL. */
	int cache = get_pragma(db, "PRAGMA cache_size");
	int temp = get_pragma(db, "PRAGMA temp_store");
	set_pragma(db, "cache_size", -64 * 1024);
	set_pragma(db, "temp_store", 2);
	int busy = get_pragma(db, "PRAGMA busy_timeout");
	set_pragma(db, "busy_timeout", 0);
	bool wal = !db->readonly && journal_mode(db, NULL, "wal") &&
		   journal_mode(db, "delete", "delete");
	set_pragma(db, "busy_timeout", busy);

	if ((s = dd_db_begin(db, err)))
		goto out;
	if ((s = check_empty(db, err)) || (s = build_force(db, c, err)) ||
	    (s = build_shifts(db, c, err)) || (s = build_orgs(db, c, err)))
		goto fail;
	/* The reports draw from their own stream: the same seed gives the same
	 * city whatever the number of reports. */
	rng_seed(&c->r, seed ^ 0x5265706f727473ULL);
	if ((s = build_reports(db, c, nreports, progress, arg, err)) ||
	    (s = finish(db, c, seed, err)))
		goto fail;
	if ((s = dd_db_commit(db, err)))
		goto out;
	if (stats) {
		stats->districts = NDISTRICTS;
		stats->officers = NOFFICERS;
		stats->supervisors = NDISTRICTS;
		stats->orgs = NORGS;
		stats->reporters = NREPORTERS;
		stats->reports = nreports;
	}
	goto out;
fail:
	dd_db_rollback(db);
out:
	if (wal)
		journal_mode(db, "wal", "wal");
	set_pragma(db, "cache_size", cache);
	set_pragma(db, "temp_store", temp);
	free(c);
	return s;
}
