/* dutydesk gateway | ingest | reporter link */
#include <config.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dutydesk/inbound.h"
#include "dutydesk/sanitize.h"
#include "../gateway/gateway.h"
#include "../gateway/ingest.h"

/* Handles --help for commands with no other options; -1 to go on. */
static int help_only(const char *cmd, int argc, char **argv, const char *help)
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
	return -1;
}

int cmd_gateway(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"allow-demo", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *listen = NULL;
	bool allow_demo = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			listen = optarg;
			break;
		case 'D':
			allow_demo = true;
			break;
		case 'h':
			fputs(_("Usage: dutydesk gateway [--listen HOST:PORT] [--allow-demo]\n"
				"Runs the network daemon in the foreground: the webhook server\n"
				"(WhatsApp and Telegram), Telegram polling when [telegram] mode = poll,\n"
				"the outbox sender and media downloads. Logs one line per event on\n"
				"stderr. SIGTERM or SIGINT stops it cleanly; SIGHUP reloads the config.\n\n"
				"  --listen HOST:PORT  listen here instead of [gateway] listen; port 0\n"
				"                      picks a free port (the log says which)\n"
				"  --allow-demo        run on a demo city too (its made-up numbers\n"
				"                      look real: only with test messengers)\n"
				"  --help              show this help and exit\n"),
			      stdout);
			return EXIT_OK;
		default:
			return cli_usage("gateway", _("bad option"));
		}
	}
	if (optind < argc)
		return cli_usage("gateway", _("unexpected argument '%s'"), argv[optind]);
	/* the demo's phone numbers and Telegram ids are made up in real
	 * formats: a gateway with real tokens would message strangers */
	if (!allow_demo) {
		dd_db *db = NULL;
		dd_err derr = {0};
		if (dd_db_open(&db, c->db_path, DD_DB_READONLY, &derr) == DD_OK) {
			char *seed = dd_setting_get(db, "demo_seed");
			dd_db_close(&db);
			if (seed) {
				free(seed);
				return cli_fail(_("%s holds a demo city ('dutydesk demo'): its made-up numbers "
						  "look real, so the gateway will not send to them; "
						  "--allow-demo runs it anyway, for tests with fake messengers"),
						c->db_path);
			}
		}
	}
	gw_options o = {
		.cfg = c->cfg,
		.config_path = c->config_path,
		.db_override = c->db_path,
		.listen = listen,
	};
	dd_err err = {0};
	int rc = gw_run(&o, &err);
	if (rc)
		return cli_fail("%s", err.msg);
	return EXIT_OK;
}

/* Reads all of path ("-": standard input). */
static char *slurp(const char *path, size_t *len, dd_err *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		dd_fail(err, DD_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	dd_buf b = {0};
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		dd_buf_add(&b, chunk, n);
		if (b.len > (size_t)64 << 20) {
			dd_fail(err, DD_EINVAL, _("%s: larger than 64 MiB"), path);
			break;
		}
	}
	bool bad = ferror(f) || b.len > (size_t)64 << 20;
	if (ferror(f))
		dd_fail(err, DD_EIO, "%s: %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	if (bad) {
		dd_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	if (!b.data)
		return dd_xstrdup("");
	return dd_buf_take(&b);
}

int cmd_ingest(struct cli *c, int argc, char **argv)
{
	int rc = help_only("ingest", argc, argv,
			   _("Usage: dutydesk ingest whatsapp|telegram [FILE|-]\n"
			     "Processes one webhook body (a WhatsApp Cloud API webhook, a Telegram\n"
			     "update or getUpdates answer) exactly as the gateway would, without the\n"
			     "signature check, and prints what it stored, one line per message.\n"
			     "FILE '-' or none reads standard input.\n"));
	if (rc >= 0)
		return rc;
	int n = argc - optind;
	if (n < 1 || n > 2)
		return cli_usage("ingest", _("expected whatsapp or telegram, then a file"));
	const char *channel = argv[optind];
	if (strcmp(channel, "whatsapp") && strcmp(channel, "telegram"))
		return cli_usage("ingest", _("unknown channel '%s' (whatsapp or telegram)"), channel);
	const char *path = n == 2 ? argv[optind + 1] : "-";
	dd_err err = {0};
	size_t len = 0;
	char *body = slurp(path, &len, &err);
	if (!body) {
		char *p = dd_clean(err.msg);
		cli_fail("%s", p);
		free(p);
		return EXIT_FAIL;
	}
	if ((rc = cli_open(c, DD_DB_WRITER))) {
		free(body);
		return rc;
	}
	gw_ingest_out out = {0};
	dd_status s = gw_ingest(c->db, channel, body, len, c->cfg->join_window_s, &out, &err);
	free(body);
	if (out.lines.len) {
		char *clean = dd_clean_text(out.lines.data, out.lines.len, DD_CLEAN_MULTILINE);
		fputs(clean, stdout);
		free(clean);
	}
	if (!out.lines.len && !s)
		puts(_("nothing to store"));
	for (size_t i = 0; i < out.nanswers; i++) {
		char *id = dd_clean(out.answers[i].id);
		printf(_("callback %s would be answered (the gateway does that)\n"), id);
		free(id);
	}
	gw_ingest_out_free(&out);
	if (s) {
		char *p = dd_clean(err.msg), *f = dd_clean(path);
		cli_fail("%s: %s", f, p);
		free(p);
		free(f);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_reporter_link(struct cli *c, int argc, char **argv)
{
	int rc = help_only("reporter link", argc, argv,
			   _("Usage: dutydesk reporter link PHONE|TGID REPORTER\n"
			     "Links an unknown sender (the phone number or Telegram id that wrote\n"
			     "in) to a known reporter (REPORTER: the reporter's id or phone): the\n"
			     "reporter gets that number or id when missing, and the sender's\n"
			     "unrouted reports move to the reporter and their organisation's\n"
			     "district. Needs the dispatcher role.\n"));
	if (rc >= 0)
		return rc;
	if (argc - optind != 2)
		return cli_usage("reporter link", _("expected PHONE|TGID and REPORTER"));
	if ((rc = cli_open(c, 0)))
		return rc;
	dd_err err = {0};
	int64_t moved = 0;
	if (dd_reporter_link(c->db, &c->actor, argv[optind], argv[optind + 1], &moved, &err)) {
		char *p = dd_clean(err.msg);
		cli_fail("%s", p);
		free(p);
		return EXIT_FAIL;
	}
	char *who = dd_clean(argv[optind]);
	printf(_("linked %s: %lld report(s) moved\n"), who, (long long)moved);
	free(who);
	return EXIT_OK;
}

static bool set(const char *s)
{
	return s && *s;
}

int cli_check_gateway(const dd_config *cfg, dd_buf *report)
{
	int problems = 0;
	/* WhatsApp is on when it has a number to send from */
	bool wa = set(cfg->wa_phone_number_id);
	if (!wa && (set(cfg->wa_token) || set(cfg->wa_app_secret)))
		dd_buf_printf(report, _("whatsapp: note: no phone_number_id; WhatsApp is off\n"));
	if (wa) {
		if (!set(cfg->wa_app_secret)) {
			dd_buf_printf(report, _("whatsapp: no app_secret: the gateway refuses every "
						"webhook (it cannot check X-Hub-Signature-256)\n"));
			problems++;
		}
		if (!set(cfg->wa_token)) {
			dd_buf_printf(report, _("whatsapp: no token: notifications cannot be sent\n"));
			problems++;
		}
		if (!set(cfg->wa_verify_token))
			dd_buf_printf(report, _("whatsapp: note: no verify_token; Meta's webhook "
						"verification will be refused\n"));
	}
	bool poll = cfg->tg_mode && strcmp(cfg->tg_mode, "poll") == 0;
	if (poll && !set(cfg->tg_token)) {
		dd_buf_printf(report, _("telegram: mode = poll needs a token\n"));
		problems++;
	}
	if (set(cfg->tg_token) && !poll && !set(cfg->tg_secret_token)) {
		dd_buf_printf(report, _("telegram: mode = webhook needs secret_token (the gateway "
					"refuses webhooks without X-Telegram-Bot-Api-Secret-Token)\n"));
		problems++;
	}
	if (!wa && !set(cfg->tg_token))
		dd_buf_printf(report, _("gateway: note: no messenger configured\n"));
	return problems;
}
