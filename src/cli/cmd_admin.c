/* dutydesk console|init|demo|import|user|check */
#include <config.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "../tui/console.h"
#include "dutydesk/audit.h"
#include "dutydesk/demo.h"
#include "dutydesk/import.h"
#include "dutydesk/sanitize.h"

/* Handles the --help of commands that take no other options; returns -1 to
 * go on, or the exit status. */
static int only_help(const char *cmd, int argc, char **argv, const char *help, int min_args,
		     int max_args)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(help, stdout);
			return EXIT_OK;
		}
		return cli_usage(cmd, _("bad option"));
	}
	int n = argc - optind;
	if (n < min_args || n > max_args)
		return cli_usage(cmd, _("wrong number of arguments"));
	return -1;
}

int cmd_console(struct cli *c, int argc, char **argv)
{
	int rc = only_help("console", argc, argv,
			   _("Usage: dutydesk [console]\n"
			     "Opens the full-screen console: reports by district, triaged with the\n"
			     "keyboard; '?' inside lists the keys. When standard input or output is\n"
			     "not a terminal, prints the open queue instead.\n"),
			   0, 0);
	if (rc >= 0)
		return rc;
	if ((rc = cli_open(c, 0)))
		return rc;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		printf(_("%s: open reports, most urgent and oldest first\n"), c->cfg->site_name);
		return cli_print_queue(c, 40);
	}
	struct tui_options opt = {
		.bell = c->cfg->console_bell,
		.overdue_min = c->cfg->console_overdue_min,
		.unassigned_min = c->cfg->console_unassigned_min,
		.keys = c->cfg->console_keys,
	};
	return tui_run(c->db, &c->actor, c->cfg, &opt);
}

static void say_bootstrap(struct cli *c)
{
	dd_err err = {0};
	bool added;
	if (dd_user_bootstrap(c->db, dd_current_login(), &added, &err)) {
		cli_fail("%s", err.msg);
		return;
	}
	if (added) {
		printf(_("added you (%s) as the first user, with the role admin\n"), dd_current_login());
		dd_actor_for_login(c->db, dd_current_login(), &c->actor, &err);
	}
}

int cmd_init(struct cli *c, int argc, char **argv)
{
	int rc = only_help("init", argc, argv,
			   _("Usage: dutydesk init\n"
			     "Creates the database, or migrates it to the current schema. The login\n"
			     "that creates it becomes its first admin.\n"),
			   0, 0);
	if (rc >= 0)
		return rc;
	struct stat sb;
	bool existed = stat(c->db_path, &sb) == 0;
	if ((rc = cli_open(c, DD_DB_CREATE)))
		return rc;
	say_bootstrap(c);
	char *p = dd_clean(c->db_path);
	printf(existed ? _("%s is at schema version %d\n") : _("created %s (schema version %d)\n"), p,
	       dd_db_version(c->db));
	free(p);
	return EXIT_OK;
}

static void demo_progress(int64_t done, int64_t total, void *arg)
{
	(void)arg;
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r%lld / %lld", (long long)done, (long long)total);
}

int cmd_demo(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"reports", required_argument, NULL, 'r'},
		{"seed", required_argument, NULL, 's'},
		{"no-console", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	long long reports = 5000, seed = 1;
	bool console = true;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if ((reports = cli_number(optarg)) < 0)
				return cli_usage("demo", _("--reports wants a number, not '%s'"), optarg);
			break;
		case 's':
			if ((seed = cli_number(optarg)) < 0)
				return cli_usage("demo", _("--seed wants a number, not '%s'"), optarg);
			break;
		case 'n': console = false; break;
		case 'h':
			printf(_("Usage: dutydesk demo [--reports N] [--seed S] [--no-console]\n"
				 "Fills an empty database with a synthetic city: 25 districts, 122 district\n"
				 "officers and their supervisors, 130 housing cooperatives, 20 pawnshops,\n"
				 "10 bookmakers, their reporters and N reports (default 5000). The same seed\n"
				 "gives the same city. Then opens the console unless --no-console.\n"));
			return EXIT_OK;
		default:
			return cli_usage("demo", _("bad option"));
		}
	}
	if (optind < argc)
		return cli_usage("demo", _("unexpected argument '%s'"), argv[optind]);
	int rc = cli_open(c, DD_DB_CREATE);
	if (rc)
		return rc;
	say_bootstrap(c);
	dd_err err = {0};
	dd_demo_stats st = {0};
	if (dd_demo_build(c->db, (uint64_t)seed, reports, demo_progress, NULL, &st, &err)) {
		if (isatty(STDERR_FILENO))
			fputc('\n', stderr);
		return cli_fail("%s", err.msg);
	}
	if (isatty(STDERR_FILENO))
		fputc('\n', stderr);
	char *p = dd_clean(c->db_path);
	printf(_("demo city in %s: %d districts, %d officers, %d supervisors, %d organisations, "
		 "%d reporters, %lld reports\n"),
	       p, st.districts, st.officers, st.supervisors, st.orgs, st.reporters,
	       (long long)st.reports);
	free(p);
	if (!console)
		return EXIT_OK;
	argv[0] = (char *)"console";
	optind = 0;
	return cmd_console(c, 1, argv);
}

int cmd_import(struct cli *c, int argc, char **argv)
{
	dd_buf help = {0};
	dd_buf_adds(&help, _("Usage: dutydesk import KIND FILE\n"
			     "Imports a CSV file (UTF-8, with a header row; FILE '-' is standard\n"
			     "input). Every row is checked; on any problem nothing is imported.\n"
			     "Rows update what has the same key. KIND and its columns (optional in []):\n"));
	for (int k = 0; k < DD_IMPORT_COUNT; k++)
		dd_buf_printf(&help, "  %-10s %s\n", dd_import_kind_name((dd_import_kind)k),
			      dd_import_kind_columns((dd_import_kind)k));
	int rc = only_help("import", argc, argv, help.data, 2, 2);
	dd_buf_free(&help);
	if (rc >= 0)
		return rc;
	int kind = dd_import_kind_parse(argv[optind]);
	if (kind < 0)
		return cli_usage("import",
				 _("unknown kind '%s' (districts, officers, orgs, reporters, users, "
				   "shifts, stolen)"),
				 argv[optind]);
	if ((rc = cli_open(c, 0)))
		return rc;
	dd_err err = {0};
	dd_buf problems = {0};
	size_t rows = 0;
	if (dd_import_csv(c->db, &c->actor, (dd_import_kind)kind, argv[optind + 1], &rows, &problems,
			  &err)) {
		if (problems.len) {
			char *clean = dd_clean_text(problems.data, problems.len, DD_CLEAN_MULTILINE);
			fputs(clean, stderr);
			if (problems.data[problems.len - 1] != '\n')
				fputc('\n', stderr);
			free(clean);
		}
		dd_buf_free(&problems);
		char *m = dd_clean(err.msg);
		cli_fail("%s", m);
		free(m);
		return EXIT_FAIL;
	}
	dd_buf_free(&problems);
	printf(_("imported %zu %s\n"), rows, dd_import_kind_name((dd_import_kind)kind));
	return EXIT_OK;
}

static int user_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *name = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': name = optarg; break;
		case 'h':
			printf(_("Usage: dutydesk user add LOGIN ROLE [--name NAME]\n"
				 "Adds the Unix login LOGIN, or changes its role. ROLE is observer,\n"
				 "dispatcher, supervisor or admin. Only an admin may do it.\n"));
			return EXIT_OK;
		default:
			return cli_usage("user add", _("bad option"));
		}
	}
	if (argc - optind != 2)
		return cli_usage("user add", _("give LOGIN and ROLE"));
	dd_role role = dd_role_parse(argv[optind + 1]);
	if (role == DD_ROLE_NONE)
		return cli_usage("user add", _("unknown role '%s' (observer, dispatcher, supervisor, admin)"),
				 argv[optind + 1]);
	int rc = cli_open(c, 0);
	if (rc)
		return rc;
	dd_err err = {0};
	if (dd_user_add(c->db, &c->actor, argv[optind], role, name, &err))
		return cli_fail("%s", err.msg);
	printf(_("%s is %s\n"), argv[optind], dd_role_name(role));
	return EXIT_OK;
}

static int user_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	cli_format fmt = FMT_TABLE;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (cli_format_parse("user list", optarg, false, &fmt))
				return EXIT_USAGE;
			if (fmt == FMT_JSON)
				return cli_usage("user list", _("--format is table or csv"));
			break;
		case 'h':
			printf(_("Usage: dutydesk user list [--format table|csv]\nLists users and their roles.\n"));
			return EXIT_OK;
		default:
			return cli_usage("user list", _("bad option"));
		}
	}
	int rc = cli_open(c, 0);
	if (rc)
		return rc;
	dd_user *u;
	size_t n;
	dd_err err = {0};
	if (dd_user_list(c->db, &u, &n, &err))
		return cli_fail("%s", err.msg);
	const char *h[] = {_("LOGIN"), _("ROLE"), _("NAME")};
	cli_table *t = cli_table_new(fmt, 3, h);
	for (size_t i = 0; i < n; i++) {
		const char *row[] = {u[i].login, dd_role_name(u[i].role), u[i].name};
		cli_table_row(t, row);
	}
	cli_table_print(&t, stdout);
	dd_user_list_free(&u, n);
	return EXIT_OK;
}

int cmd_user(struct cli *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0) {
		optind = 0;
		return user_add(c, argc - 1, argv + 1);
	}
	if (argc >= 2 && strcmp(argv[1], "list") == 0) {
		optind = 0;
		return user_list(c, argc - 1, argv + 1);
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf(_("Usage: dutydesk user add LOGIN ROLE [--name NAME]\n"
			 "       dutydesk user list [--format table|csv]\n"));
		return EXIT_OK;
	}
	return cli_usage("user", _("expected 'add' or 'list'"));
}

int cmd_check(struct cli *c, int argc, char **argv)
{
	int rc = only_help("check", argc, argv,
			   _("Usage: dutydesk check\n"
			     "Validates the config files, the secrets file's permissions and the\n"
			     "database (schema version, integrity, the audit chain). Prints what is\n"
			     "wrong; exits 1 when anything is.\n"),
			   0, 0);
	if (rc >= 0)
		return rc;
	int problems = 0;
	dd_buf report = {0};
	dd_err err = {0};
	for (int i = 0; i < 2; i++)
		if (c->cfg->loaded[i])
			printf(_("config: read %s\n"), c->cfg->loaded[i]);
	if (!c->cfg->loaded[0])
		printf(_("config: no config file; using the built-in defaults\n"));
	if (dd_config_check(c->cfg, &report))
		problems++;
	if (dd_config_load_secrets(c->cfg, &err)) {
		dd_buf_printf(&report, "%s\n", err.msg);
		problems++;
	}
	problems += cli_check_gateway(c->cfg, &report);
	if (report.len)
		fputs(report.data, stdout);
	dd_buf_reset(&report);

	if ((rc = cli_open(c, DD_DB_READONLY))) {
		problems++;
	} else {
		char *p = dd_clean(c->db_path);
		printf(_("database: %s, schema version %d\n"), p, dd_db_version(c->db));
		free(p);
		if (dd_db_check(c->db, &report, &err)) {
			fputs(report.data ? report.data : "", stdout);
			problems++;
		} else {
			printf(_("database: integrity ok\n"));
		}
		int64_t checked, bad;
		if (dd_audit_verify(c->db, &checked, &bad, &err)) {
			printf(_("audit: %s\n"), err.msg);
			problems++;
		} else {
			printf(_("audit: %lld events, chain intact\n"), (long long)checked);
		}
	}
	dd_buf_free(&report);
	if (problems) {
		printf(_("%d problem(s) found\n"), problems);
		return EXIT_FAIL;
	}
	printf(_("all checks passed\n"));
	return EXIT_OK;
}
