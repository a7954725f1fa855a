/* dutydesk report: add, list, show, assign, set. */
#include <config.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "dutydesk/clock.h"
#include "dutydesk/outbox.h"
#include "dutydesk/pattern.h"
#include "dutydesk/registry.h"
#include "dutydesk/report.h"
#include "dutydesk/sanitize.h"

/* A JSON string; text that is not valid UTF-8 goes in cleaned. */
static json_t *jstr(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (!j) {
		char *c = dd_clean(s);
		j = json_string(c);
		free(c);
	}
	return j;
}

static void json_print(json_t *j)
{
	size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER;
	/* for a terminal, everything past ASCII is escaped: no raw control or
	 * bidi character reaches it */
	if (cli_stdout_tty())
		flags |= JSON_ENSURE_ASCII;
	json_dumpf(j, stdout, flags);
	fputc('\n', stdout);
}

static json_t *report_json(const dd_report *r)
{
	char when[40], upd[40];
	dd_time_iso(when, sizeof when, r->received_at);
	dd_time_iso(upd, sizeof upd, r->updated_at);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "status", json_string(dd_rs_code(r->status)));
	json_object_set_new(o, "district", jstr(r->district));
	json_object_set_new(o, "category", jstr(r->category));
	json_object_set_new(o, "priority", json_integer(r->priority));
	json_object_set_new(o, "text", jstr(r->text));
	json_object_set_new(o, "channel", jstr(r->channel));
	json_object_set_new(o, "external_id", jstr(r->external_id));
	json_object_set_new(o, "reporter", jstr(r->reporter_phone));
	json_object_set_new(o, "reporter_name", jstr(r->reporter_name));
	json_object_set_new(o, "organisation", jstr(r->org_name));
	json_object_set_new(o, "sender", jstr(r->sender));
	json_object_set_new(o, "sender_name", jstr(r->sender_name));
	json_object_set_new(o, "officer", jstr(r->officer_badge));
	json_object_set_new(o, "officer_name", jstr(r->officer_name));
	json_object_set_new(o, "address", jstr(r->address));
	if (r->has_location) {
		json_object_set_new(o, "lat", json_real(r->lat));
		json_object_set_new(o, "lon", json_real(r->lon));
	}
	json_object_set_new(o, "duplicate_of", r->duplicate_of ? json_integer(r->duplicate_of) : json_null());
	json_object_set_new(o, "reason", jstr(r->reason));
	json_object_set_new(o, "received_at", json_string(when));
	json_object_set_new(o, "updated_at", json_string(upd));
	json_object_set_new(o, "notification", jstr(r->notify_state));
	json_object_set_new(o, "version", json_integer(r->version));
	return o;
}

static const char *const list_headers[] = {
	N_("ID"), N_("STATUS"), N_("PRI"), N_("CATEGORY"), N_("DISTRICT"), N_("RECEIVED"),
	N_("OFFICER"), N_("FROM"), N_("TEXT"),
};
#define LIST_COLS 9

static void list_row(cli_table *t, const dd_report *r, cli_format fmt)
{
	char id[24], pri[8], when[40];
	snprintf(id, sizeof id, "%lld", (long long)r->id);
	snprintf(pri, sizeof pri, "%d", r->priority);
	if (fmt == FMT_CSV)
		dd_time_iso(when, sizeof when, r->received_at);
	else
		dd_time_short(when, sizeof when, r->received_at);
	const char *from = r->org_name ? r->org_name
			 : r->reporter_name ? r->reporter_name
			 : r->sender_name ? r->sender_name : r->sender;
	const char *cells[LIST_COLS] = {
		id, dd_rs_code(r->status), pri, r->category, r->district ? r->district : "-", when,
		r->officer_badge ? r->officer_badge : "-", from ? from : "-", r->text,
	};
	cli_table_row(t, cells);
}

static cli_table *list_table(cli_format fmt)
{
	const char *h[LIST_COLS];
	for (int i = 0; i < LIST_COLS; i++)
		h[i] = fmt == FMT_CSV ? list_headers[i] : _(list_headers[i]);
	return cli_table_new(fmt, LIST_COLS, h);
}

/* Prints reports page by page so that a million rows never sit in memory. */
static int print_reports(struct cli *c, const dd_report_filter *f, long long limit,
			 cli_format fmt)
{
	enum { PAGE = 1000 };
	cli_table *t = fmt == FMT_JSON ? NULL : list_table(fmt);
	json_t *arr = fmt == FMT_JSON ? json_array() : NULL;
	long long done = 0;
	dd_err err = {0};
	bool first = true;
	if (arr)
		fputs("[", stdout);
	for (;;) {
		int want = limit && limit - done < PAGE ? (int)(limit - done) : PAGE;
		if (want <= 0)
			break;
		dd_report *rows;
		size_t n;
		if (dd_report_page(c->db, f, done, want, &rows, &n, &err)) {
			if (t)
				cli_table_print(&t, stdout);
			if (arr) {
				fputs("]\n", stdout);
				json_decref(arr);
			}
			return cli_fail("%s", err.msg);
		}
		for (size_t i = 0; i < n; i++) {
			if (t) {
				list_row(t, &rows[i], fmt);
				continue;
			}
			json_t *o = report_json(&rows[i]);
			size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER;
			if (cli_stdout_tty())
				flags |= JSON_ENSURE_ASCII;
			char *s = json_dumps(o, flags);
			fputs(first ? "\n" : ",\n", stdout);
			fputs(s, stdout);
			free(s);
			json_decref(o);
			first = false;
		}
		/* memory stays bounded: a table is aligned page by page */
		if (t)
			cli_table_flush(t, stdout);
		done += (long long)n;
		dd_report_list_free(&rows, n);
		if ((int)n < want)
			break;
	}
	if (t)
		cli_table_print(&t, stdout);
	if (arr) {
		fputs(first ? "]\n" : "\n]\n", stdout);
		json_decref(arr);
	}
	return EXIT_OK;
}

int cli_print_queue(struct cli *c, int limit)
{
	dd_report_filter f = {.open_only = true, .order = DD_ORDER_QUEUE};
	return print_reports(c, &f, limit, FMT_TABLE);
}

static int report_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"status", required_argument, NULL, 's'},
		{"district", required_argument, NULL, 'd'},
		{"category", required_argument, NULL, 'c'},
		{"limit", required_argument, NULL, 'l'},
		{"format", required_argument, NULL, 'f'},
		{"search", required_argument, NULL, 'q'},
		{"pattern", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	dd_report_filter f = {.order = DD_ORDER_NEWEST};
	const char *pattern = NULL;
	long long limit = 0;
	cli_format fmt = FMT_TABLE;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': {
			/* several statuses: --status new,assigned; "open" for all open ones */
			char *list = dd_xstrdup(optarg), *save = NULL;
			for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				int st = dd_rs_parse(tok);
				if (strcmp(tok, "open") == 0) {
					f.open_only = true;
				} else if (st < 0) {
					free(list);
					return cli_usage("report list",
							 _("unknown status '%s' (new, assigned, acknowledged, "
							   "on_site, resolved, closed, rejected, duplicate, open)"),
							 tok);
				} else {
					f.status_mask |= 1u << st;
				}
			}
			free(list);
			break;
		}
		case 'd':
			if (strcmp(optarg, "-") == 0 || strcmp(optarg, "none") == 0)
				f.unrouted = true;
			else
				f.district = optarg;
			break;
		case 'c': f.category = optarg; break;
		case 'q': f.search = optarg; break;
		case 'p': pattern = optarg; break;
		case 'l':
			if ((limit = cli_number(optarg)) < 0)
				return cli_usage("report list", _("--limit wants a number, not '%s'"), optarg);
			break;
		case 'f':
			if (cli_format_parse("report list", optarg, false, &fmt))
				return EXIT_USAGE;
			break;
		case 'h':
			printf(_("Usage: dutydesk report list [--status S[,S...]] [--district CODE|none]\n"
				 "         [--category CAT] [--search WORDS] [--pattern PATTERN] [--limit N]\n"
				 "         [--format table|csv|json]\n"
				 "Lists reports, newest first. --status open means every open status;\n"
				 "--district none the unrouted reports. --pattern limits them as the\n"
				 "console's limit does, e.g. '~d D1 ~s open !~o B12 | ~p 1' (PATTERNS in\n"
				 "dutydesk(1)).\n"));
			return EXIT_OK;
		default:
			return cli_usage("report list", _("bad option"));
		}
	}
	if (optind < argc)
		return cli_usage("report list", _("unexpected argument '%s'"), argv[optind]);
	dd_pattern *pat = NULL;
	if (pattern) {
		dd_err err = {0};
		if (dd_pattern_parse(pattern, &pat, NULL, &err))
			return cli_usage("report list", "%s", err.msg);
		if (dd_pattern_uses_tags(pat)) {
			dd_pattern_free(&pat);
			return cli_usage("report list",
					 _("~t means the reports tagged in the console; the command line has none"));
		}
		f.pattern = pat;
	}
	int rc = cli_open(c, 0);
	if (!rc)
		rc = print_reports(c, &f, limit, fmt);
	dd_pattern_free(&pat);
	return rc;
}

static int report_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"district", required_argument, NULL, 'd'},
		{"category", required_argument, NULL, 'c'},
		{"text", required_argument, NULL, 't'},
		{"priority", required_argument, NULL, 'p'},
		{"reporter", required_argument, NULL, 'r'},
		{"address", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	dd_report_in in = {.channel = "desk"};
	char phone[16];
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': in.district = optarg; break;
		case 'c': in.category = optarg; break;
		case 't': in.text = optarg; break;
		case 'a': in.address = optarg; break;
		case 'r':
			if (!dd_phone_normalize(optarg, phone))
				return cli_usage("report add", _("'%s' is not a phone number"), optarg);
			in.reporter_phone = phone;
			break;
		case 'p': {
			long long p = cli_number(optarg);
			if (p < 1 || p > 4)
				return cli_usage("report add", _("--priority is 1 (urgent) to 4 (low), not '%s'"), optarg);
			in.priority = (int)p;
			break;
		}
		case 'h':
			printf(_("Usage: dutydesk report add --district CODE --category CAT --text TEXT\n"
				 "         [--priority 1-4] [--reporter PHONE] [--address ADDRESS]\n"
				 "Adds a report taken at the desk (a phone call) and prints its number.\n"));
			return EXIT_OK;
		default:
			return cli_usage("report add", _("bad option"));
		}
	}
	if (!in.district || !in.category || !in.text)
		return cli_usage("report add", _("--district, --category and --text are required"));
	if (optind < argc)
		return cli_usage("report add", _("unexpected argument '%s'"), argv[optind]);
	int rc = cli_open(c, 0);
	if (rc)
		return rc;
	dd_err err = {0};
	int64_t id;
	if (dd_report_create(c->db, &c->actor, &in, &id, &err))
		return cli_fail("%s", err.msg);
	printf("%lld\n", (long long)id);
	return EXIT_OK;
}

static int print_show_json(struct cli *c, const dd_report *r)
{
	json_t *o = report_json(r);
	dd_err err = {0};
	dd_event *ev;
	dd_note *notes;
	dd_attachment *att;
	dd_notification *nt;
	size_t nev, nnotes, natt, nnt;
	if (dd_report_events(c->db, r->id, &ev, &nev, &err) ||
	    dd_report_notes(c->db, r->id, &notes, &nnotes, &err) ||
	    dd_report_attachments(c->db, r->id, &att, &natt, &err) ||
	    dd_outbox_for_report(c->db, r->id, &nt, &nnt, &err)) {
		json_decref(o);
		return cli_fail("%s", err.msg);
	}
	char when[40];
	json_t *a = json_array();
	for (size_t i = 0; i < natt; i++) {
		json_t *x = json_object();
		json_object_set_new(x, "kind", jstr(att[i].kind));
		json_object_set_new(x, "mime", jstr(att[i].mime));
		json_object_set_new(x, "size", json_integer(att[i].size));
		json_object_set_new(x, "path", jstr(att[i].path));
		json_object_set_new(x, "state", jstr(att[i].state));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "attachments", a);
	a = json_array();
	for (size_t i = 0; i < nnotes; i++) {
		json_t *x = json_object();
		dd_time_iso(when, sizeof when, notes[i].at);
		json_object_set_new(x, "at", json_string(when));
		json_object_set_new(x, "author", jstr(notes[i].author));
		json_object_set_new(x, "text", jstr(notes[i].text));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "notes", a);
	a = json_array();
	for (size_t i = 0; i < nev; i++) {
		json_t *x = json_object();
		dd_time_iso(when, sizeof when, ev[i].at);
		json_object_set_new(x, "at", json_string(when));
		json_object_set_new(x, "actor", jstr(ev[i].actor));
		json_object_set_new(x, "action", jstr(ev[i].action));
		json_object_set_new(x, "before", ev[i].before ? json_loads(ev[i].before, 0, NULL) : json_null());
		json_object_set_new(x, "after", ev[i].after ? json_loads(ev[i].after, 0, NULL) : json_null());
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "events", a);
	a = json_array();
	for (size_t i = 0; i < nnt; i++) {
		json_t *x = json_object();
		dd_time_iso(when, sizeof when, nt[i].created_at);
		json_object_set_new(x, "id", json_integer(nt[i].id));
		json_object_set_new(x, "created_at", json_string(when));
		json_object_set_new(x, "recipient", jstr(nt[i].recipient));
		json_object_set_new(x, "to", jstr(nt[i].to));
		json_object_set_new(x, "channel", jstr(nt[i].channel));
		json_object_set_new(x, "kind", jstr(nt[i].kind));
		json_object_set_new(x, "state", jstr(nt[i].state));
		json_object_set_new(x, "error", jstr(nt[i].error));
		json_object_set_new(x, "body", jstr(nt[i].body));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "notifications", a);
	json_print(o);
	json_decref(o);
	dd_event_list_free(&ev, nev);
	dd_note_list_free(&notes, nnotes);
	dd_attachment_list_free(&att, natt);
	dd_notification_list_free(&nt, nnt);
	return EXIT_OK;
}

/* "label: value" with the value cleaned. */
static void field(const char *label, const char *value)
{
	if (!value || !*value)
		return;
	char *v = dd_clean_text(value, strlen(value), DD_CLEAN_MULTILINE);
	printf("%-12s %s\n", label, v);
	free(v);
}

static int print_show_text(struct cli *c, const dd_report *r)
{
	char buf[64], when[40];
	printf(_("Report #%lld\n"), (long long)r->id);
	field(_("Status:"), dd_rs_label(r->status));
	snprintf(buf, sizeof buf, "%d", r->priority);
	field(_("Priority:"), buf);
	field(_("Category:"), r->category);
	field(_("District:"), r->district ? r->district : _("(unrouted)"));
	field(_("Channel:"), r->channel);
	dd_time_iso(when, sizeof when, r->received_at);
	field(_("Received:"), when);
	field(_("Reporter:"), r->reporter_name);
	field(_("Phone:"), r->reporter_phone);
	field(_("Organisation:"), r->org_name);
	field(_("Sender:"), r->sender_name);
	field(_("Address:"), r->address);
	field(_("Officer:"), r->officer_badge);
	field(_("Reason:"), r->reason);
	snprintf(buf, sizeof buf, "%lld", (long long)r->version);
	field(_("Version:"), buf);
	printf("\n");
	char *text = dd_clean_text(r->text ? r->text : "", strlen(r->text ? r->text : ""),
				   DD_CLEAN_MULTILINE);
	printf("%s\n", text);
	free(text);

	dd_err err = {0};
	dd_attachment *att;
	dd_note *notes;
	dd_event *ev;
	dd_notification *nt;
	size_t natt, nnotes, nev, nnt;
	if (dd_report_attachments(c->db, r->id, &att, &natt, &err) ||
	    dd_report_notes(c->db, r->id, &notes, &nnotes, &err) ||
	    dd_report_events(c->db, r->id, &ev, &nev, &err) ||
	    dd_outbox_for_report(c->db, r->id, &nt, &nnt, &err))
		return cli_fail("%s", err.msg);
	if (natt)
		printf(_("\nAttachments:\n"));
	for (size_t i = 0; i < natt; i++) {
		char *p = dd_clean(att[i].path ? att[i].path : att[i].state);
		printf("  %s %s %lld  %s\n", att[i].kind, att[i].mime ? att[i].mime : "",
		       (long long)att[i].size, p);
		free(p);
	}
	if (nnotes)
		printf(_("\nNotes:\n"));
	for (size_t i = 0; i < nnotes; i++) {
		dd_time_short(when, sizeof when, notes[i].at);
		char *t = dd_clean(notes[i].text), *a = dd_clean(notes[i].author);
		printf("  %s  %s  %s\n", when, a, t);
		free(t);
		free(a);
	}
	printf(_("\nHistory:\n"));
	for (size_t i = 0; i < nev; i++) {
		dd_time_short(when, sizeof when, ev[i].at);
		char *a = dd_clean(ev[i].actor), *x = dd_clean(ev[i].after ? ev[i].after : "");
		printf("  %s  %-20s %-12s %s\n", when, a, ev[i].action, x);
		free(a);
		free(x);
	}
	if (nnt)
		printf(_("\nNotifications:\n"));
	for (size_t i = 0; i < nnt; i++) {
		dd_time_short(when, sizeof when, nt[i].created_at);
		char *to = dd_clean(nt[i].to), *e = dd_clean(nt[i].error ? nt[i].error : "");
		printf("  %s  %-8s %-10s %-9s %-10s %s\n", when, nt[i].recipient, to, nt[i].channel,
		       nt[i].state, e);
		free(to);
		free(e);
	}
	dd_attachment_list_free(&att, natt);
	dd_note_list_free(&notes, nnotes);
	dd_event_list_free(&ev, nev);
	dd_notification_list_free(&nt, nnt);
	return EXIT_OK;
}

static int report_show(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	cli_format fmt = FMT_TEXT;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (cli_format_parse("report show", optarg, true, &fmt))
				return EXIT_USAGE;
			if (fmt != FMT_TEXT && fmt != FMT_JSON)
				return cli_usage("report show", _("--format is text or json"));
			break;
		case 'h':
			printf(_("Usage: dutydesk report show ID [--format text|json]\n"
				 "Shows one report with its attachments, notes, history and notifications.\n"));
			return EXIT_OK;
		default:
			return cli_usage("report show", _("bad option"));
		}
	}
	if (optind + 1 != argc)
		return cli_usage("report show", _("which report? give one ID"));
	long long id = cli_number(argv[optind]);
	if (id <= 0)
		return cli_usage("report show", _("'%s' is not a report number"), argv[optind]);
	int rc = cli_open(c, 0);
	if (rc)
		return rc;
	dd_report r;
	dd_err err = {0};
	if (dd_report_get(c->db, id, &r, &err))
		return cli_fail("%s", err.msg);
	rc = fmt == FMT_JSON ? print_show_json(c, &r) : print_show_text(c, &r);
	dd_report_clear(&r);
	return rc;
}

/* Runs one change and says what happened. */
static int run_change(struct cli *c, dd_change *ch)
{
	int rc = cli_open(c, 0);
	if (rc)
		return rc;
	dd_err err = {0};
	int64_t version;
	if (dd_report_apply(c->db, &c->actor, ch, &version, &err))
		return cli_fail("%s", err.msg);
	dd_report r;
	if (dd_report_get(c->db, ch->report, &r, &err))
		return cli_fail("%s", err.msg);
	if (ch->action == DD_ACT_ASSIGN) {
		char *name = dd_clean(r.officer_name);
		printf(_("report #%lld assigned to %s %s (version %lld)\n"), (long long)r.id,
		       r.officer_badge, name, (long long)version);
		free(name);
	} else {
		printf(_("report #%lld is %s (version %lld)\n"), (long long)r.id,
		       dd_rs_code(r.status), (long long)version);
	}
	dd_report_clear(&r);
	return EXIT_OK;
}

static int change_opts(const char *cmd, int argc, char **argv, dd_change *ch, const char *usage,
		       int nargs, bool *helped)
{
	static const struct option opts[] = {
		{"note", required_argument, NULL, 'n'},
		{"reason", required_argument, NULL, 'n'},
		{"expect-version", required_argument, NULL, 'v'},
		{"of", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int o;
	*helped = false;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n': ch->text = optarg; break;
		case 'v':
			if ((ch->expect_version = cli_number(optarg)) <= 0)
				return cli_usage(cmd, _("--expect-version wants a version number, not '%s'"), optarg);
			break;
		case 'o':
			if ((ch->duplicate_of = cli_number(optarg)) <= 0)
				return cli_usage(cmd, _("--of wants a report number, not '%s'"), optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			*helped = true;
			return EXIT_OK;
		default:
			return cli_usage(cmd, _("bad option"));
		}
	}
	if (argc - optind != nargs)
		return cli_usage(cmd, _("wrong number of arguments"));
	if ((ch->report = cli_number(argv[optind])) <= 0)
		return cli_usage(cmd, _("'%s' is not a report number"), argv[optind]);
	return EXIT_OK;
}

static int report_assign(struct cli *c, int argc, char **argv)
{
	dd_change ch = {.action = DD_ACT_ASSIGN};
	bool helped;
	int rc = change_opts("report assign", argc, argv, &ch,
			     _("Usage: dutydesk report assign ID OFFICER [--note TEXT] [--expect-version V]\n"
			       "Assigns (or reassigns) report ID to OFFICER, a badge number or #id,\n"
			       "and queues the officer's and the reporter's notifications. With\n"
			       "--expect-version, refused if the report changed since version V.\n"),
			     2, &helped);
	if (rc || helped)
		return rc;
	ch.officer = argv[optind + 1];
	return run_change(c, &ch);
}

static int report_set(struct cli *c, int argc, char **argv)
{
	dd_change ch = {0};
	bool helped;
	int rc = change_opts("report set", argc, argv, &ch,
			     _("Usage: dutydesk report set ID STATUS [--note TEXT] [--expect-version V] [--of ID]\n"
			       "Moves report ID to STATUS: acknowledged, on_site, resolved, closed,\n"
			       "rejected (the reason in --note), duplicate (--of the original), or\n"
			       "new / reopen (reopen a resolved, closed or rejected report).\n"),
			     2, &helped);
	if (rc || helped)
		return rc;
	static const struct {
		const char *status;
		dd_action action;
	} map[] = {
		{"acknowledged", DD_ACT_ACKNOWLEDGE}, {"on_site", DD_ACT_ON_SITE},
		{"resolved", DD_ACT_RESOLVE},         {"closed", DD_ACT_CLOSE},
		{"rejected", DD_ACT_REJECT},          {"duplicate", DD_ACT_DUPLICATE},
		{"new", DD_ACT_REOPEN},               {"reopen", DD_ACT_REOPEN},
	};
	const char *want = argv[optind + 1];
	size_t i;
	for (i = 0; i < sizeof map / sizeof *map; i++)
		if (strcmp(want, map[i].status) == 0)
			break;
	if (i == sizeof map / sizeof *map) {
		if (strcmp(want, "assigned") == 0)
			return cli_usage("report set", _("use 'dutydesk report assign ID OFFICER' to assign"));
		return cli_usage("report set",
				 _("unknown status '%s' (acknowledged, on_site, resolved, closed, "
				   "rejected, duplicate, reopen)"),
				 want);
	}
	ch.action = map[i].action;
	if (ch.action == DD_ACT_DUPLICATE && !ch.duplicate_of)
		return cli_usage("report set", _("duplicate of which report? give --of ID"));
	return run_change(c, &ch);
}

static int report_note(struct cli *c, int argc, char **argv)
{
	dd_change ch = {.action = DD_ACT_NOTE};
	bool helped;
	int rc = change_opts("report note", argc, argv, &ch,
			     _("Usage: dutydesk report note ID TEXT [--expect-version V]\n"
			       "Adds a note to report ID.\n"),
			     2, &helped);
	if (rc || helped)
		return rc;
	ch.text = argv[optind + 1];
	return run_change(c, &ch);
}

int cmd_report(struct cli *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		cli_cmd_fn fn;
	} subs[] = {
		{"list", report_list}, {"add", report_add},   {"show", report_show},
		{"assign", report_assign}, {"set", report_set}, {"note", report_note},
	};
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf(_("Usage: dutydesk report COMMAND [ARGS]\n"
			 "  list    list reports, newest first\n"
			 "  add     add a report taken at the desk\n"
			 "  show    show one report in full\n"
			 "  assign  assign a report to an officer\n"
			 "  set     move a report to another status\n"
			 "  note    add a note to a report\n"
			 "'dutydesk report COMMAND --help' tells more.\n"));
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		cli_version();
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
		if (strcmp(argv[1], subs[i].name) == 0) {
			optind = 0;
			return subs[i].fn(c, argc - 1, argv + 1);
		}
	return cli_usage("report", _("unknown command '%s'"), argv[1]);
}
