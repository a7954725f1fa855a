/* dutydesk: the entry point; picks the subcommand. */
#include <config.h>
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dutydesk/clock.h"

static const struct {
	const char *name;
	cli_cmd_fn fn;
	const char *help;
} commands[] = {
	{"console", cmd_console, N_("open the full-screen console (the default)")},
	{"init", cmd_init, N_("create the database, or migrate it to the current schema")},
	{"demo", cmd_demo, N_("fill the database with a synthetic city")},
	{"import", cmd_import, N_("import districts, officers, orgs, reporters, users, shifts or stolen items from CSV")},
	{"report", cmd_report, N_("add, list, show, assign and move reports")},
	{"district", cmd_district, N_("list districts")},
	{"officer", cmd_officer, N_("list officers")},
	{"reporter", cmd_reporter, N_("list reporters; link a sender to a reporter")},
	{"user", cmd_user, N_("add and list users (who may do what)")},
	{"ingest", cmd_ingest, N_("process one webhook body as the gateway would")},
	{"gateway", cmd_gateway, N_("run the network daemon (webhooks, polling, sending)")},
	{"check", cmd_check, N_("validate the config, secrets and database")},
};

int cli_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("dutydesk: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "dutydesk%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, _("\nTry 'dutydesk%s%s --help' for more information.\n"), cmd ? " " : "",
		cmd ? cmd : "");
	return EXIT_USAGE;
}

void cli_version(void)
{
	printf("dutydesk %s\n", PACKAGE_VERSION);
	printf(_("Database schema version %d.\n"), dd_db_current_version());
}

long long cli_number(const char *s)
{
	if (!s || !*s)
		return -1;
	char *end;
	long long v = strtoll(*s == '#' ? s + 1 : s, &end, 10);
	return *end || v < 0 ? -1 : v;
}

int cli_format_parse(const char *cmd, const char *s, bool allow_text, cli_format *out)
{
	if (strcmp(s, "table") == 0)
		*out = FMT_TABLE;
	else if (strcmp(s, "csv") == 0)
		*out = FMT_CSV;
	else if (strcmp(s, "json") == 0)
		*out = FMT_JSON;
	else if (allow_text && strcmp(s, "text") == 0)
		*out = FMT_TEXT;
	else
		return cli_usage(cmd, _("unknown format '%s' (use %s)"), s,
				 allow_text ? "text, json" : "table, csv, json");
	return EXIT_OK;
}

int cli_open(struct cli *c, unsigned flags)
{
	if (c->db)
		return EXIT_OK;
	dd_err err = {0};
	if (dd_db_open(&c->db, c->db_path, flags, &err))
		return cli_fail("%s", err.msg);
	if (dd_actor_for_login(c->db, dd_current_login(), &c->actor, &err))
		return cli_fail("%s", err.msg);
	return EXIT_OK;
}

static void usage(FILE *out)
{
	fprintf(out, _("Usage: dutydesk [--db PATH] [--config PATH] [COMMAND [ARGS]]\n"
		       "The police duty desk: reports from messengers, triaged and assigned.\n\n"
		       "Commands:\n"));
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, _(commands[i].help));
	fprintf(out, _("\nOptions:\n"
		       "  --db PATH       the database file (also DUTYDESK_DB)\n"
		       "  --config PATH   the config file (also DUTYDESK_CONFIG)\n"
		       "  --help          show this help and exit\n"
		       "  --version       show the version and exit\n\n"
		       "'dutydesk COMMAND --help' tells more; see also dutydesk(1).\n"));
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
#ifdef ENABLE_NLS
	bindtextdomain(PACKAGE, LOCALEDIR);
	textdomain(PACKAGE);
#endif
	struct cli c = {0};
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c.db_path = optarg; break;
		case 'c': c.config_path = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': cli_version(); return EXIT_OK;
		default: return cli_usage(NULL, _("bad option"));
		}
	}
	if (!c.config_path)
		c.config_path = getenv("DUTYDESK_CONFIG");
	if (c.config_path && !*c.config_path)
		c.config_path = NULL;
	dd_err err = {0};
	if (dd_config_load(&c.cfg, c.config_path, &err))
		return cli_fail("%s", err.msg);
	dd_clock_set_zone(c.cfg->timezone);
	if (!c.db_path)
		c.db_path = getenv("DUTYDESK_DB");
	if (c.db_path && *c.db_path)
		dd_config_set_database(c.cfg, c.db_path);
	c.db_path = c.cfg->database;

	const char *name = optind < argc ? argv[optind] : "console";
	/* --version works on every command (GNU style) */
	for (int i = optind; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--version") == 0) {
			cli_version();
			dd_config_free(&c.cfg);
			return EXIT_OK;
		}
	int rc = -1;
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
		if (strcmp(name, commands[i].name) == 0) {
			int sub_argc = optind < argc ? argc - optind : 1;
			char *console_argv[] = {(char *)"console", NULL};
			char **sub_argv = optind < argc ? argv + optind : console_argv;
			optind = 0; /* let each command parse its own options afresh */
			rc = commands[i].fn(&c, sub_argc, sub_argv);
			break;
		}
	}
	if (rc < 0)
		rc = cli_usage(NULL, _("unknown command '%s'"), name);
	dd_db_close(&c.db);
	dd_config_free(&c.cfg);
	return rc;
}
