/* dutydesk district|officer|reporter list */
#include <config.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "dutydesk/registry.h"

/* Parses "list [--format F] [--district CODE] [--unverified]" for the three
 * commands; what is not allowed for a command is rejected. */
struct list_args {
	cli_format fmt;
	const char *district;
	bool unverified;
};

static int list_args(const char *cmd, int argc, char **argv, bool with_district,
		     bool with_unverified, const char *help, struct list_args *a, bool *helped)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"district", required_argument, NULL, 'd'},
		{"unverified", no_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	*helped = false;
	a->fmt = FMT_TABLE;
	if (argc < 2 || strcmp(argv[1], "list") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(help, stdout);
			*helped = true;
			return EXIT_OK;
		}
		return cli_usage(cmd, _("expected 'list'"));
	}
	argc--, argv++;
	optind = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (cli_format_parse(cmd, optarg, false, &a->fmt))
				return EXIT_USAGE;
			break;
		case 'd':
			if (!with_district)
				return cli_usage(cmd, _("bad option"));
			a->district = optarg;
			break;
		case 'u':
			if (!with_unverified)
				return cli_usage(cmd, _("bad option"));
			a->unverified = true;
			break;
		case 'h':
			fputs(help, stdout);
			*helped = true;
			return EXIT_OK;
		default:
			return cli_usage(cmd, _("bad option"));
		}
	}
	if (optind < argc)
		return cli_usage(cmd, _("unexpected argument '%s'"), argv[optind]);
	return EXIT_OK;
}

static json_t *jstr(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;
	return j ? j : json_null();
}

static void print_json(json_t *arr)
{
	size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER;
	if (cli_stdout_tty())
		flags |= JSON_ENSURE_ASCII;
	json_dumpf(arr, stdout, flags);
	fputc('\n', stdout);
	json_decref(arr);
}

int cmd_district(struct cli *c, int argc, char **argv)
{
	struct list_args a = {0};
	bool helped;
	int rc = list_args("district", argc, argv, false, false,
			   _("Usage: dutydesk district list [--format table|csv|json]\n"
			     "Lists districts: code, name, supervisor, officers, open reports.\n"),
			   &a, &helped);
	if (rc || helped || (rc = cli_open(c, 0)))
		return rc;
	dd_district *d;
	size_t n;
	dd_err err = {0};
	if (dd_district_list(c->db, &d, &n, &err))
		return cli_fail("%s", err.msg);
	if (a.fmt == FMT_JSON) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o, s:i, s:i}",
				"code", jstr(d[i].code), "name", jstr(d[i].name),
				"supervisor", jstr(d[i].supervisor_badge),
				"supervisor_name", jstr(d[i].supervisor_name),
				"officers", d[i].officers, "open", d[i].open));
		print_json(arr);
	} else {
		const char *h[] = {_("CODE"), _("NAME"), _("SUPERVISOR"), _("OFFICERS"), _("OPEN")};
		cli_table *t = cli_table_new(a.fmt, 5, h);
		for (size_t i = 0; i < n; i++) {
			char off[16], open[16], sup[256];
			snprintf(off, sizeof off, "%d", d[i].officers);
			snprintf(open, sizeof open, "%d", d[i].open);
			snprintf(sup, sizeof sup, "%s%s%s", d[i].supervisor_badge ? d[i].supervisor_badge : "-",
				 d[i].supervisor_name ? " " : "", d[i].supervisor_name ? d[i].supervisor_name : "");
			const char *row[] = {d[i].code, d[i].name, sup, off, open};
			cli_table_row(t, row);
		}
		cli_table_print(&t, stdout);
	}
	dd_district_list_free(&d, n);
	return EXIT_OK;
}

int cmd_officer(struct cli *c, int argc, char **argv)
{
	struct list_args a = {0};
	bool helped;
	int rc = list_args("officer", argc, argv, true, false,
			   _("Usage: dutydesk officer list [--district CODE] [--format table|csv|json]\n"
			     "Lists officers: badge, name, district, phone, Telegram id, on duty, open load.\n"),
			   &a, &helped);
	if (rc || helped || (rc = cli_open(c, 0)))
		return rc;
	dd_officer *o;
	size_t n;
	dd_err err = {0};
	if (dd_officer_list(c->db, a.district, &o, &n, &err))
		return cli_fail("%s", err.msg);
	if (a.fmt == FMT_JSON) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:b, s:b, s:i}",
				"badge", jstr(o[i].badge), "name", jstr(o[i].name), "rank", jstr(o[i].rank),
				"district", jstr(o[i].district), "phone", jstr(o[i].phone),
				"telegram_id", o[i].telegram_id ? json_integer(o[i].telegram_id) : json_null(),
				"supervisor", o[i].supervisor, "active", o[i].active,
				"on_duty", o[i].on_duty, "open", o[i].open));
		print_json(arr);
	} else {
		const char *h[] = {_("BADGE"), _("NAME"), _("DISTRICT"), _("PHONE"), _("TELEGRAM"),
				   _("ON DUTY"), _("OPEN")};
		cli_table *t = cli_table_new(a.fmt, 7, h);
		for (size_t i = 0; i < n; i++) {
			char tg[24] = "-", open[16];
			if (o[i].telegram_id)
				snprintf(tg, sizeof tg, "%lld", (long long)o[i].telegram_id);
			snprintf(open, sizeof open, "%d", o[i].open);
			const char *duty = !o[i].active ? _("inactive") : o[i].on_duty ? _("yes") : _("no");
			char name[300];
			snprintf(name, sizeof name, "%s%s", o[i].name, o[i].supervisor ? _(" (supervisor)") : "");
			const char *row[] = {o[i].badge, name, o[i].district ? o[i].district : "-",
					     o[i].phone ? o[i].phone : "-", tg, duty, open};
			cli_table_row(t, row);
		}
		cli_table_print(&t, stdout);
	}
	dd_officer_list_free(&o, n);
	return EXIT_OK;
}

int cmd_reporter(struct cli *c, int argc, char **argv)
{
	struct list_args a = {0};
	bool helped;
	if (argc >= 2 && strcmp(argv[1], "link") == 0)
		return cmd_reporter_link(c, argc - 1, argv + 1);
	int rc = list_args("reporter", argc, argv, false, true,
			   _("Usage: dutydesk reporter list [--unverified] [--format table|csv|json]\n"
			     "       dutydesk reporter link PHONE|TGID REPORTER\n"
			     "Lists reporters with their organisation and number of reports; links\n"
			     "an unknown sender to a reporter ('reporter link --help' tells more).\n"),
			   &a, &helped);
	if (rc || helped || (rc = cli_open(c, 0)))
		return rc;
	dd_reporter *r;
	size_t n;
	dd_err err = {0};
	if (dd_reporter_list(c->db, a.unverified, &r, &n, &err))
		return cli_fail("%s", err.msg);
	if (a.fmt == FMT_JSON) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:b, s:i}",
				"id", (json_int_t)r[i].id, "name", jstr(r[i].name), "phone", jstr(r[i].phone),
				"telegram_id", r[i].telegram_id ? json_integer(r[i].telegram_id) : json_null(),
				"organisation", jstr(r[i].org), "district", jstr(r[i].district),
				"verified", r[i].verified, "reports", r[i].reports));
		print_json(arr);
	} else {
		const char *h[] = {_("NAME"), _("PHONE"), _("TELEGRAM"), _("ORGANISATION"),
				   _("DISTRICT"), _("VERIFIED"), _("REPORTS")};
		cli_table *t = cli_table_new(a.fmt, 7, h);
		for (size_t i = 0; i < n; i++) {
			char tg[24] = "-", cnt[16];
			if (r[i].telegram_id)
				snprintf(tg, sizeof tg, "%lld", (long long)r[i].telegram_id);
			snprintf(cnt, sizeof cnt, "%d", r[i].reports);
			const char *row[] = {r[i].name, r[i].phone ? r[i].phone : "-", tg,
					     r[i].org ? r[i].org : "-", r[i].district ? r[i].district : "-",
					     r[i].verified ? _("yes") : _("no"), cnt};
			cli_table_row(t, row);
		}
		cli_table_print(&t, stdout);
	}
	dd_reporter_list_free(&r, n);
	return EXIT_OK;
}
