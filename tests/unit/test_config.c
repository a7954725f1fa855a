#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "dutydesk/common.h"
#include "dutydesk/config.h"

/*
 * Every test runs in a scratch tree: HOME, XDG_CONFIG_HOME, XDG_DATA_HOME,
 * DUTYDESK_SYSCONFDIR and TZDIR all point under base, and the per-test
 * setup empties them again. TZDIR holds a few fake zone files, so the tests
 * do not depend on the system's tzdata.
 */
static char base[] = "/tmp/dd-test-config-XXXXXX";

static const char *const secret_env[] = {
	"DUTYDESK_WHATSAPP_TOKEN", "DUTYDESK_WHATSAPP_APP_SECRET",
	"DUTYDESK_WHATSAPP_VERIFY_TOKEN", "DUTYDESK_TELEGRAM_TOKEN",
	"DUTYDESK_TELEGRAM_SECRET_TOKEN",
};

/* base/rel, malloc'd. */
static char *at(const char *rel)
{
	return dd_xasprintf("%s/%s", base, rel);
}

static void mkdirs(const char *path)
{
	char *p = dd_xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
		*s = '/';
	}
	assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
	free(p);
}

/* Writes n bytes to base/rel (parents created) with mode; returns the
 * full path, malloc'd. */
static char *write_bytes(const char *rel, mode_t mode, const char *data, size_t n)
{
	char *path = at(rel);
	char *dir = dd_xstrdup(path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	free(dir);

	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static char *write_file(const char *rel, mode_t mode, const char *text)
{
	return write_bytes(rel, mode, text, strlen(text));
}

/* rm -rf path (no symlinks are followed). */
static void rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		chmod(path, 0700);
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char *sub = dd_xasprintf("%s/%s", path, e->d_name);
			rm_rf(sub);
			free(sub);
		}
		if (d)
			closedir(d);
	}
	remove(path);
}

static void setenv_at(const char *var, const char *rel)
{
	char *p = at(rel);
	assert_int_equal(setenv(var, p, 1), 0);
	free(p);
}

static int group_setup(void **state)
{
	(void)state;
	umask(022);
	if (!mkdtemp(base))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rm_rf(base);
	return 0;
}

static int setup(void **state)
{
	static const char *const dirs[] = {
		"etc", "home", "xdgconf", "xdgdata", "zoneinfo", "files", "evil",
	};
	(void)state;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		char *p = at(dirs[i]);
		rm_rf(p);
		free(p);
	}
	setenv_at("HOME", "home");
	setenv_at("XDG_CONFIG_HOME", "xdgconf");
	setenv_at("XDG_DATA_HOME", "xdgdata");
	setenv_at("DUTYDESK_SYSCONFDIR", "etc");
	setenv_at("TZDIR", "zoneinfo");
	for (size_t i = 0; i < sizeof secret_env / sizeof secret_env[0]; i++)
		unsetenv(secret_env[i]);

	free(write_file("zoneinfo/Asia/Almaty", 0644, "TZif2\0fake zone"));
	free(write_file("zoneinfo/UTC", 0644, "TZif2\0fake zone"));
	free(write_file("zoneinfo/Etc/GMT+5", 0644, "TZif2\0fake zone"));
	free(write_file("zoneinfo/zone.tab", 0644, "KZ\t+4315+07657\tAsia/Almaty\n"));
	free(write_file("evil/zone", 0644, "TZif2\0not under TZDIR"));
	return 0;
}

static dd_config *load_ok(const char *path)
{
	dd_config *cfg = NULL;
	dd_err err = {0};
	dd_status st = dd_config_load(&cfg, path, &err);
	if (st != DD_OK)
		fail_msg("dd_config_load: %s", err.msg);
	assert_non_null(cfg);
	return cfg;
}

/* Loading path must fail with status st and the message path + suffix. */
static void load_fails(const char *path, dd_status st, const char *suffix)
{
	dd_config *cfg = (dd_config *)1;
	dd_err err = {0};
	assert_int_equal(dd_config_load(&cfg, path, &err), st);
	assert_int_equal(err.status, st);
	assert_null(cfg);
	char *want = dd_xasprintf("%s%s", path, suffix);
	assert_string_equal(err.msg, want);
	free(want);
}

/* Writes text to files/rel and expects loading it to fail with suffix. */
static void text_fails(const char *text, const char *suffix)
{
	char *p = write_file("files/bad.conf", 0600, text);
	load_fails(p, DD_EINVAL, suffix);
	free(p);
}

/* Writes text to files/rel and loads it. */
static dd_config *text_ok(const char *text)
{
	char *p = write_file("files/ok.conf", 0600, text);
	dd_config *cfg = load_ok(p);
	free(p);
	return cfg;
}

static void assert_path(const char *got, const char *rel)
{
	char *want = at(rel);
	assert_string_equal(got, want);
	free(want);
}

/* ---- defaults and the example ---- */

static void test_defaults(void **state)
{
	(void)state;
	dd_config *cfg = load_ok(NULL);

	assert_null(cfg->loaded[0]);
	assert_null(cfg->loaded[1]);
	assert_null(cfg->loaded_secrets[0]);
	assert_string_equal(cfg->site_name, "dutydesk");
	assert_null(cfg->timezone);
	assert_path(cfg->database, "xdgdata/dutydesk/dutydesk.db");
	assert_path(cfg->media_dir, "xdgdata/dutydesk/media");
	assert_true(cfg->media_dir_default);
	assert_null(cfg->secrets_file);
	assert_string_equal(cfg->listen, "127.0.0.1:8480");
	assert_int_equal(cfg->max_body, 1048576);
	assert_int_equal(cfg->join_window_s, 180);
	assert_int_equal(cfg->give_up_after_s, 86400);
	assert_int_equal(cfg->max_media, 16777216);
	assert_string_equal(cfg->wa_api_base, "https://graph.facebook.com/v21.0");
	assert_null(cfg->wa_phone_number_id);
	assert_null(cfg->wa_token);
	assert_null(cfg->wa_app_secret);
	assert_null(cfg->wa_verify_token);
	assert_null(cfg->wa_template_officer);
	assert_null(cfg->wa_template_reporter);
	assert_string_equal(cfg->wa_template_lang, "ru");
	assert_string_equal(cfg->tg_api_base, "https://api.telegram.org");
	assert_null(cfg->tg_token);
	assert_null(cfg->tg_secret_token);
	assert_string_equal(cfg->tg_mode, "webhook");
	dd_config_free(&cfg);
	assert_null(cfg);

	/* Without XDG_DATA_HOME (or with a relative one, which XDG says to
	 * ignore) the database goes under ~/.local/share. */
	unsetenv("XDG_DATA_HOME");
	cfg = load_ok(NULL);
	assert_path(cfg->database, "home/.local/share/dutydesk/dutydesk.db");
	assert_path(cfg->media_dir, "home/.local/share/dutydesk/media");
	dd_config_free(&cfg);
	setenv("XDG_DATA_HOME", "relative/data", 1);
	cfg = load_ok(NULL);
	assert_path(cfg->database, "home/.local/share/dutydesk/dutydesk.db");
	dd_config_free(&cfg);
}

/* CLI.md's example, verbatim apart from the code block's indentation. */
static const char cli_example[] =
	"[site]\n"
	"name = Павлодар — дежурная часть\n"
	"timezone = Asia/Almaty          ; shown times; stored times are UTC\n"
	"database = /var/lib/dutydesk/dutydesk.db\n"
	"media_dir = /var/lib/dutydesk/media\n"
	"secrets_file = /etc/dutydesk/secrets.conf\n"
	"\n"
	"[gateway]\n"
	"listen = 127.0.0.1:8480\n"
	"max_body = 1048576\n"
	"\n"
	"[whatsapp]\n"
	"api_base = https://graph.facebook.com/v21.0   ; messages go to {api_base}/{phone_number_id}/messages\n"
	"phone_number_id = ...\n"
	"token = ...\n"
	"app_secret = ...\n"
	"verify_token = ...\n"
	"\n"
	"[telegram]\n"
	"api_base = https://api.telegram.org           ; calls go to {api_base}/bot{token}/{method}\n"
	"token = ...\n"
	"secret_token = ...\n"
	"mode = webhook                                ; or poll\n";

static void check_cli_example(const dd_config *cfg)
{
	assert_string_equal(cfg->site_name, "Павлодар — дежурная часть");
	assert_string_equal(cfg->timezone, "Asia/Almaty");
	assert_string_equal(cfg->database, "/var/lib/dutydesk/dutydesk.db");
	assert_string_equal(cfg->media_dir, "/var/lib/dutydesk/media");
	assert_false(cfg->media_dir_default);
	assert_string_equal(cfg->secrets_file, "/etc/dutydesk/secrets.conf");
	assert_string_equal(cfg->listen, "127.0.0.1:8480");
	assert_int_equal(cfg->max_body, 1048576);
	assert_int_equal(cfg->join_window_s, 180);
	assert_string_equal(cfg->wa_api_base, "https://graph.facebook.com/v21.0");
	assert_string_equal(cfg->wa_phone_number_id, "...");
	assert_string_equal(cfg->wa_token, "...");
	assert_string_equal(cfg->wa_app_secret, "...");
	assert_string_equal(cfg->wa_verify_token, "...");
	assert_string_equal(cfg->tg_api_base, "https://api.telegram.org");
	assert_string_equal(cfg->tg_token, "...");
	assert_string_equal(cfg->tg_secret_token, "...");
	assert_string_equal(cfg->tg_mode, "webhook");
	assert_string_equal(cfg->loaded_secrets[0],
			    "[whatsapp] token, [whatsapp] app_secret, "
			    "[whatsapp] verify_token, [telegram] token, "
			    "[telegram] secret_token");
}

static void test_cli_example(void **state)
{
	(void)state;
	char *p = write_file("files/example.conf", 0600, cli_example);
	dd_config *cfg = load_ok(p);
	check_cli_example(cfg);
	assert_string_equal(cfg->loaded[0], p);
	assert_null(cfg->loaded[1]);
	dd_config_free(&cfg);
	free(p);

	/* The same, indented as in the Markdown, with CRLF line ends. */
	dd_buf b = {0};
	for (const char *s = cli_example; *s; ) {
		const char *nl = strchr(s, '\n');
		if (nl != s)
			dd_buf_adds(&b, "    ");
		dd_buf_add(&b, s, (size_t)(nl - s));
		dd_buf_adds(&b, "\r\n");
		s = nl + 1;
	}
	cfg = text_ok(b.data);
	check_cli_example(cfg);
	dd_config_free(&cfg);
	dd_buf_free(&b);
}

static void test_comments_and_syntax(void **state)
{
	(void)state;
	dd_config *cfg = text_ok(
		"\xEF\xBB\xBF; a comment line\n"
		"# another\n"
		"[site]\n"
		"name = a;b#c ; the ';' needs a space before it to start a comment\n"
		"[telegram]\n"
		"mode: poll\n"
		"token = t1\n"
		"token = t2\n"
		"[site] ; back again\n"
		"   timezone =  Etc/GMT+5\t\n"
		"\tdatabase = db/x.db\n");
	assert_string_equal(cfg->site_name, "a;b#c");
	assert_string_equal(cfg->tg_mode, "poll");
	assert_string_equal(cfg->tg_token, "t2");
	assert_string_equal(cfg->timezone, "Etc/GMT+5");
	/* An indented key is a key, not a continuation of the one before. */
	assert_string_equal(cfg->database, "db/x.db");
	assert_string_equal(cfg->media_dir, "db/media");
	assert_string_equal(cfg->loaded_secrets[0], "[telegram] token");
	dd_config_free(&cfg);

	/* A relative database without a directory: media next to it. An
	 * empty secret is no secret. */
	cfg = text_ok("[site]\ndatabase = x.db\n[telegram]\ntoken =\n");
	assert_string_equal(cfg->media_dir, "media");
	assert_null(cfg->tg_token);
	assert_null(cfg->loaded_secrets[0]);
	dd_config_free(&cfg);

	/* There are no continuation lines. */
	text_fails("[site]\nname = a\n   more of it\n", ":3: syntax error");
	text_fails("[site]\nname\n", ":2: syntax error");
	text_fails("[site\nname = x\n", ":1: syntax error");
	/* The first error is the one reported, whoever found it. */
	text_fails("[site]\njunk\ncolour = red\n", ":2: syntax error");
	text_fails("[site]\ncolour = red\njunk\n", ":2: unknown key 'colour' in [site]");
	text_fails("name = x\n[site]\n", ":1: key 'name' is outside any section");
	char *p = write_bytes("files/nul.conf", 0600, "[site]\nname = a\0b\n", 17);
	load_fails(p, DD_EINVAL, ":2: a NUL byte (not a text file?)");
	free(p);
}

static void test_unknown_key_section(void **state)
{
	(void)state;
	text_fails("[site]\nname = x\ncolour = red\n",
		   ":3: unknown key 'colour' in [site]");
	text_fails("[site]\nname = x\n\n[display]\nfoo = 1\n",
		   ":4: unknown section [display]");
	/* An unknown section is refused even with no keys in it. */
	text_fails("[gateway]\n[nope]\n", ":2: unknown section [nope]");
	text_fails("[ site ]\n", ":1: unknown section [ site ]");
	/* Keys are per section and case matters. */
	text_fails("[gateway]\nname = x\n", ":2: unknown key 'name' in [gateway]");
	text_fails("[site]\nName = x\n", ":2: unknown key 'Name' in [site]");
	/* The value of an unknown key, perhaps a misspelt secret, is not shown. */
	text_fails("[telegram]\ntokn = SECRET\n", ":2: unknown key 'tokn' in [telegram]");
}

static void test_bad_values(void **state)
{
	(void)state;
	char *tzmsg;

	text_fails("[gateway]\nmax_body = abc\n",
		   ":2: max_body: not a positive number: 'abc'");
	text_fails("[gateway]\nmax_body = 0\n",
		   ":2: max_body: not a positive number: '0'");
	text_fails("[gateway]\nmax_body = -5\n",
		   ":2: max_body: not a positive number: '-5'");
	text_fails("[gateway]\nmax_body = +5\n",
		   ":2: max_body: not a positive number: '+5'");
	text_fails("[gateway]\nmax_body = 1 000\n",
		   ":2: max_body: not a positive number: '1 000'");
	text_fails("[gateway]\nmax_body = 99999999999999999999999\n",
		   ":2: max_body: not a positive number: '99999999999999999999999'");
	text_fails("[gateway]\n\njoin_window = 1.5\n",
		   ":3: join_window: not a positive number: '1.5'");
	text_fails("[gateway]\njoin_window = 3000000000\n",
		   ":2: join_window: not a positive number: '3000000000'");
	text_fails("[gateway]\ngive_up_after = -5\n",
		   ":2: give_up_after: not a positive number: '-5'");
	text_fails("[gateway]\nmax_media = 16M\n", ":2: max_media: not a positive number: '16M'");

	static const char *const bad_listen[] = {
		"localhost", "127.0.0.1:0", "127.0.0.1:65536", ":8480",
		"::1:8480", "127.0.0.1:80a", "127.0.0.1:", "[::1]8480", "[]:80",
		"host name:80", "127.0.0.1:000080",
	};
	for (size_t i = 0; i < sizeof bad_listen / sizeof bad_listen[0]; i++) {
		char *text = dd_xasprintf("[gateway]\nlisten = %s\n", bad_listen[i]);
		char *msg = dd_xasprintf(":2: listen: not HOST:PORT with a port from 1 to 65535: '%s'",
					 bad_listen[i]);
		text_fails(text, msg);
		free(text);
		free(msg);
	}
	static const char *const good_listen[] = {
		"[::1]:8480", "localhost:1", "0.0.0.0:65535", "dd-gw.local:443",
	};
	for (size_t i = 0; i < sizeof good_listen / sizeof good_listen[0]; i++) {
		char *text = dd_xasprintf("[gateway]\nlisten = %s\n", good_listen[i]);
		dd_config *cfg = text_ok(text);
		assert_string_equal(cfg->listen, good_listen[i]);
		dd_config_free(&cfg);
		free(text);
	}

	text_fails("[telegram]\nmode = push\n",
		   ":2: mode: not 'webhook' or 'poll': 'push'");
	text_fails("[telegram]\nmode = Poll\n",
		   ":2: mode: not 'webhook' or 'poll': 'Poll'");

	/* Time zones: files under TZDIR that are zone files, nothing else. */
	char *tzdir = at("zoneinfo");
	char *evil = at("evil/zone");
	static const char *const bad_tz[] = {
		"Mars/Olympus", "../evil/zone", "Asia/../../evil/zone",
		"Asia/../Asia/Almaty", "./UTC", "/etc/localtime", "Asia",
		"Asia/", "zone.tab", "Asia//Almaty", "UTC+5", "",
	};
	for (size_t i = 0; i < sizeof bad_tz / sizeof bad_tz[0]; i++) {
		if (!*bad_tz[i])
			continue;
		char *text = dd_xasprintf("[site]\ntimezone = %s\n", bad_tz[i]);
		tzmsg = dd_xasprintf(":2: timezone: no such time zone in %s: '%s'",
				     tzdir, bad_tz[i]);
		text_fails(text, tzmsg);
		free(text);
		free(tzmsg);
	}
	/* The ../ target really is a zone file: it is the path that is refused. */
	assert_int_equal(access(evil, R_OK), 0);
	dd_config *cfg = text_ok("[site]\ntimezone = UTC\n");
	assert_string_equal(cfg->timezone, "UTC");
	dd_config_free(&cfg);
	/* Without TZDIR, the system's directory is named. */
	unsetenv("TZDIR");
	text_fails("[site]\ntimezone = Mars/Olympus\n",
		   ":2: timezone: no such time zone in /usr/share/zoneinfo: 'Mars/Olympus'");
	free(tzdir);
	free(evil);
}

static void test_long_lines(void **state)
{
	(void)state;
	/* Access tokens can be long: far over libinih's usual 200 bytes. */
	char token[3001];
	memset(token, 'A', sizeof token - 1);
	token[sizeof token - 1] = '\0';
	char *text = dd_xasprintf("[whatsapp]\ntoken = %s ; a comment\n[site]\nname = x\n",
				  token);
	dd_config *cfg = text_ok(text);
	assert_string_equal(cfg->wa_token, token);
	assert_string_equal(cfg->site_name, "x");
	dd_config_free(&cfg);
	free(text);

	/* 4096 bytes with the newline is the limit. */
	char name[4096 - 8 + 1];
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	text = dd_xasprintf("[site]\nname = %s\n", name);
	assert_int_equal(strlen(strchr(text, '\n') + 1), 4096);
	cfg = text_ok(text);
	assert_string_equal(cfg->site_name, name);
	dd_config_free(&cfg);
	free(text);
	text = dd_xasprintf("[site]\nname = %sn\n", name);
	text_fails(text, ":2: line too long (the limit is 4096 bytes)");
	free(text);
}

static void test_empty_value_is_default(void **state)
{
	(void)state;
	char *sys = write_file("etc/dutydesk.conf", 0644,
			       "[site]\nname = Sys\ntimezone = UTC\n"
			       "[gateway]\nlisten = 10.0.0.1:1\nmax_body = 5\n");
	char *user = write_file("xdgconf/dutydesk/dutydesk.conf", 0600,
				"[site]\nname =\ntimezone =\n"
				"[gateway]\nlisten = ; back to the default\nmax_body=\n");
	dd_config *cfg = load_ok(NULL);
	assert_string_equal(cfg->site_name, "dutydesk");
	assert_null(cfg->timezone);
	assert_string_equal(cfg->listen, "127.0.0.1:8480");
	assert_int_equal(cfg->max_body, 1048576);
	dd_config_free(&cfg);
	free(sys);
	free(user);
}

/* ---- where files come from ---- */

static void test_override_order(void **state)
{
	(void)state;
	char *sys = write_file("etc/dutydesk.conf", 0644,
			       "[site]\nname = Sys\n"
			       "[gateway]\nlisten = 10.0.0.1:1\nmax_body = 5\n");
	char *user = write_file("xdgconf/dutydesk/dutydesk.conf", 0600,
				"[site]\nname = User\n[gateway]\nmax_body = 7\n");

	dd_config *cfg = load_ok(NULL);
	assert_string_equal(cfg->loaded[0], sys);
	assert_string_equal(cfg->loaded[1], user);
	assert_string_equal(cfg->site_name, "User");
	assert_string_equal(cfg->listen, "10.0.0.1:1");
	assert_int_equal(cfg->max_body, 7);
	dd_config_free(&cfg);

	/* Without XDG_CONFIG_HOME: ~/.config. */
	unsetenv("XDG_CONFIG_HOME");
	char *home = write_file("home/.config/dutydesk/dutydesk.conf", 0600,
				"[site]\nname = Home\n");
	cfg = load_ok(NULL);
	assert_string_equal(cfg->loaded[0], sys);
	assert_string_equal(cfg->loaded[1], home);
	assert_string_equal(cfg->site_name, "Home");
	dd_config_free(&cfg);

	/* Only the user's file: it is the first one loaded. */
	assert_int_equal(unlink(sys), 0);
	cfg = load_ok(NULL);
	assert_string_equal(cfg->loaded[0], home);
	assert_null(cfg->loaded[1]);
	assert_string_equal(cfg->listen, "127.0.0.1:8480");
	dd_config_free(&cfg);

	/* An error in the second file names the second file. */
	free(write_file("etc/dutydesk.conf", 0644, "[site]\nname = Sys\n"));
	free(write_file("home/.config/dutydesk/dutydesk.conf", 0600,
			"[site]\n\n\nname = Home\n[gateway]\nmax_body = lots\n"));
	dd_err err = {0};
	assert_int_equal(dd_config_load(&cfg, NULL, &err), DD_EINVAL);
	assert_null(cfg);
	char *want = dd_xasprintf("%s:6: max_body: not a positive number: 'lots'", home);
	assert_string_equal(err.msg, want);
	free(want);
	free(sys);
	free(user);
	free(home);
}

static void test_explicit_path(void **state)
{
	(void)state;
	free(write_file("etc/dutydesk.conf", 0644,
			"[site]\nname = Sys\n[gateway]\nlisten = 10.0.0.1:1\n"));
	free(write_file("xdgconf/dutydesk/dutydesk.conf", 0600,
			"[site]\nname = User\n"));

	/* An explicit file replaces both. */
	char *p = write_file("files/explicit.conf", 0600, "[site]\nname = Explicit\n");
	dd_config *cfg = load_ok(p);
	assert_string_equal(cfg->loaded[0], p);
	assert_null(cfg->loaded[1]);
	assert_string_equal(cfg->site_name, "Explicit");
	assert_string_equal(cfg->listen, "127.0.0.1:8480");
	dd_config_free(&cfg);
	free(p);

	/* ... and must exist. */
	p = at("files/missing.conf");
	load_fails(p, DD_EIO, ": cannot open: No such file or directory");
	free(p);
	/* A directory cannot be read. */
	p = at("files");
	load_fails(p, DD_EIO, ": cannot read: Is a directory");
	free(p);
}

static void test_env_overrides(void **state)
{
	(void)state;
	char *p = write_file("files/s.conf", 0600,
			     "[whatsapp]\ntoken = f1\napp_secret = f2\nverify_token = f3\n"
			     "[telegram]\ntoken = f4\nsecret_token = f5\n");
	static const char *const vals[] = { "e1", "e2", "e3", "e4", "e5" };
	for (size_t i = 0; i < 5; i++)
		setenv(secret_env[i], vals[i], 1);
	dd_config *cfg = load_ok(p);
	assert_string_equal(cfg->wa_token, "e1");
	assert_string_equal(cfg->wa_app_secret, "e2");
	assert_string_equal(cfg->wa_verify_token, "e3");
	assert_string_equal(cfg->tg_token, "e4");
	assert_string_equal(cfg->tg_secret_token, "e5");
	dd_config_free(&cfg);

	/* An empty variable counts as unset. */
	setenv("DUTYDESK_TELEGRAM_TOKEN", "", 1);
	unsetenv("DUTYDESK_WHATSAPP_TOKEN");
	cfg = load_ok(p);
	assert_string_equal(cfg->wa_token, "f1");
	assert_string_equal(cfg->tg_token, "f4");
	assert_string_equal(cfg->tg_secret_token, "e5");
	dd_config_free(&cfg);

	/* Without any file. */
	cfg = load_ok(NULL);
	assert_null(cfg->wa_token);
	assert_string_equal(cfg->wa_app_secret, "e2");
	dd_config_free(&cfg);
	free(p);
}

static void test_set_database(void **state)
{
	(void)state;
	dd_config *cfg = load_ok(NULL);
	dd_config_set_database(cfg, "/srv/dd/other.db");
	assert_string_equal(cfg->database, "/srv/dd/other.db");
	assert_string_equal(cfg->media_dir, "/srv/dd/media");
	dd_config_free(&cfg);

	cfg = text_ok("[site]\nmedia_dir = /srv/media\n");
	dd_config_set_database(cfg, "/srv/dd/other.db");
	assert_string_equal(cfg->media_dir, "/srv/media");
	dd_config_free(&cfg);

	dd_config_free(&cfg);
	dd_config_free(NULL);
}

/* ---- the secrets file ---- */

/* Loads a main config naming files/secrets.conf, with a verify_token. */
static dd_config *with_secrets_file(void)
{
	char *s = at("files/secrets.conf");
	char *text = dd_xasprintf("[site]\nsecrets_file = %s\n"
				  "[whatsapp]\ntoken = main-token\n"
				  "verify_token = main-verify\n", s);
	dd_config *cfg = text_ok(text);
	free(text);
	free(s);
	return cfg;
}

static const char secrets_text[] =
	"; only secrets here\n"
	"[whatsapp]\ntoken = S-WA\napp_secret = S-AS\n"
	"[telegram]\ntoken = S-TG ; a comment\nsecret_token = S-ST\n";

static void test_secrets_ok(void **state)
{
	(void)state;
	dd_config *cfg = load_ok(NULL);
	dd_err err = {0};
	/* No secrets_file: nothing to do. */
	assert_int_equal(dd_config_load_secrets(cfg, &err), DD_OK);
	dd_config_free(&cfg);

	char *s = write_file("files/secrets.conf", 0600, secrets_text);
	cfg = with_secrets_file();
	assert_int_equal(dd_config_load_secrets(cfg, &err), DD_OK);
	assert_string_equal(cfg->wa_token, "S-WA");
	assert_string_equal(cfg->wa_app_secret, "S-AS");
	assert_string_equal(cfg->wa_verify_token, "main-verify");
	assert_string_equal(cfg->tg_token, "S-TG");
	assert_string_equal(cfg->tg_secret_token, "S-ST");
	dd_config_free(&cfg);

	/* 0400 is fine too. */
	assert_int_equal(chmod(s, 0400), 0);
	cfg = with_secrets_file();
	assert_int_equal(dd_config_load_secrets(cfg, &err), DD_OK);
	assert_string_equal(cfg->wa_token, "S-WA");
	dd_config_free(&cfg);

	/* The environment still wins. */
	setenv("DUTYDESK_TELEGRAM_TOKEN", "env-tg", 1);
	setenv("DUTYDESK_WHATSAPP_VERIFY_TOKEN", "env-verify", 1);
	cfg = with_secrets_file();
	assert_int_equal(dd_config_load_secrets(cfg, &err), DD_OK);
	assert_string_equal(cfg->tg_token, "env-tg");
	assert_string_equal(cfg->wa_verify_token, "env-verify");
	assert_string_equal(cfg->wa_token, "S-WA");
	dd_config_free(&cfg);
	free(s);
}

/* Loading the secrets must fail with st and path + suffix, leaving cfg
 * as it was. */
static void secrets_fail(dd_status st, const char *suffix)
{
	dd_config *cfg = with_secrets_file();
	dd_err err = {0};
	assert_int_equal(dd_config_load_secrets(cfg, &err), st);
	assert_int_equal(err.status, st);
	char *want = dd_xasprintf("%s%s", cfg->secrets_file, suffix);
	assert_string_equal(err.msg, want);
	free(want);
	assert_string_equal(cfg->wa_token, "main-token");
	assert_null(cfg->wa_app_secret);
	assert_null(cfg->tg_token);
	dd_config_free(&cfg);
}

static void test_secrets_refused(void **state)
{
	(void)state;
	char *s = write_file("files/secrets.conf", 0644, secrets_text);
	char *suffix = dd_xasprintf(": mode 0644 lets others read the secrets; chmod 600 %s", s);
	secrets_fail(DD_EPERM, suffix);
	free(suffix);

	assert_int_equal(chmod(s, 0640), 0);
	suffix = dd_xasprintf(": mode 0640 lets others read the secrets; chmod 600 %s", s);
	secrets_fail(DD_EPERM, suffix);
	free(suffix);

	assert_int_equal(chmod(s, 0620), 0);
	suffix = dd_xasprintf(": mode 0620 lets others change the secrets; chmod 600 %s", s);
	secrets_fail(DD_EPERM, suffix);
	free(suffix);

	assert_int_equal(unlink(s), 0);
	secrets_fail(DD_EIO, ": cannot open: No such file or directory");
	mkdirs(s);
	secrets_fail(DD_EPERM, ": not a regular file");
	free(s);
}

static void test_secrets_owner(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();         /* only root can give a file away */
	char *s = write_file("files/secrets.conf", 0600, secrets_text);
	assert_int_equal(chown(s, 65534, 65534), 0);
	char *suffix = dd_xasprintf(": owned by uid 65534, not by the user running dutydesk (uid 0); chown 0 %s",
				    s);
	secrets_fail(DD_EPERM, suffix);
	free(suffix);
	free(s);
}

static void test_secrets_keys(void **state)
{
	(void)state;
	char *s = write_file("files/secrets.conf", 0600,
			     "[whatsapp]\ntoken = x\nphone_number_id = 1\n");
	secrets_fail(DD_EINVAL,
		     ":3: 'phone_number_id' in [whatsapp] is not a secret; it belongs in the main config file");
	free(write_file("files/secrets.conf", 0600, "[telegram]\ntoken = x\n[site]\nname = x\n"));
	secrets_fail(DD_EINVAL, ":3: section [site] does not belong in a secrets file");
	free(write_file("files/secrets.conf", 0600, "[whatsapp]\ntokn = x\n"));
	secrets_fail(DD_EINVAL, ":2: unknown key 'tokn' in [whatsapp]");
	free(write_file("files/secrets.conf", 0600, "[display]\n"));
	secrets_fail(DD_EINVAL, ":1: unknown section [display]");
	free(write_file("files/secrets.conf", 0600, "[telegram]\ntoken\n"));
	secrets_fail(DD_EINVAL, ":2: syntax error");
	free(s);
}

/* ---- dutydesk check ---- */

static dd_status check(const dd_config *cfg, dd_buf *b)
{
	dd_buf_reset(b);
	return dd_config_check(cfg, b);
}

static void test_check_main_config(void **state)
{
	(void)state;
	char *media = at("media");
	mkdirs(media);
	char *text = dd_xasprintf("[site]\nmedia_dir = %s\n"
				  "[telegram]\ntoken = SEKRET-VALUE-123\n", media);
	char *p = write_file("files/main.conf", 0644, text);
	dd_config *cfg = load_ok(p);
	dd_buf b = {0};

	assert_int_equal(check(cfg, &b), DD_EINVAL);
	char *want = dd_xasprintf("%s: holds secrets ([telegram] token) but mode 0644 lets others read them; move them to a secrets_file or chmod 600 %s\n",
				  p, p);
	assert_string_equal(b.data, want);
	free(want);
	assert_null(strstr(b.data, "SEKRET-VALUE-123"));

	/* Readable by the owner only: fine. */
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(check(cfg, &b), DD_OK);
	assert_int_equal(b.len, 0);

	/* Anyone may change it: a problem even without secrets. */
	dd_config_free(&cfg);
	free(text);
	text = dd_xasprintf("[site]\nmedia_dir = %s\n", media);
	free(write_file("files/main.conf", 0666, text));
	cfg = load_ok(p);
	assert_int_equal(check(cfg, &b), DD_EINVAL);
	want = dd_xasprintf("%s: mode 0666 lets anyone change the configuration; chmod o-w %s\n",
			    p, p);
	assert_string_equal(b.data, want);
	free(want);
	/* A group-readable file without secrets is fine. */
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(check(cfg, &b), DD_OK);

	dd_config_free(&cfg);
	dd_buf_free(&b);
	free(text);
	free(p);
	free(media);
}

static void test_check_secrets_file(void **state)
{
	(void)state;
	char *media = at("media");
	mkdirs(media);
	char *s = write_file("files/secrets.conf", 0644, "[telegram]\ntoken = SEKRET-VALUE-456\n");
	char *text = dd_xasprintf("[site]\nmedia_dir = %s\nsecrets_file = %s\n", media, s);
	dd_config *cfg = text_ok(text);
	dd_buf b = {0};

	assert_int_equal(check(cfg, &b), DD_EINVAL);
	char *want = dd_xasprintf("%s: mode 0644 lets others read the secrets; chmod 600 %s\n",
				  s, s);
	assert_string_equal(b.data, want);
	free(want);

	assert_int_equal(chmod(s, 0600), 0);
	assert_int_equal(check(cfg, &b), DD_OK);
	assert_int_equal(b.len, 0);

	assert_int_equal(unlink(s), 0);
	assert_int_equal(check(cfg, &b), DD_EINVAL);
	want = dd_xasprintf("%s: cannot open: No such file or directory\n", s);
	assert_string_equal(b.data, want);
	free(want);

	dd_config_free(&cfg);
	dd_buf_free(&b);
	free(text);
	free(s);
	free(media);
}

static void test_console_and_keys(void **state)
{
	(void)state;
	char *path = write_file("files/console.conf", 0600,
				"[console]\nbell = yes\noverdue_after = 45\n"
				"[keys]\nassign = A\nquit = C-q\n");
	dd_config *cfg = NULL;
	dd_err err = {0};
	assert_int_equal(dd_config_load(&cfg, path, &err), DD_OK);
	assert_int_equal(cfg->console_bell, 1);
	assert_int_equal(cfg->console_overdue_min, 45);
	assert_int_equal(cfg->console_unassigned_min, 30);
	assert_string_equal(cfg->console_keys, "assign=A,quit=C-q");
	dd_config_free(&cfg);
	free(path);
	path = write_file("files/bell.conf", 0600, "[console]\nbell = loud\n");
	assert_int_equal(dd_config_load(&cfg, path, &err), DD_EINVAL);
	assert_non_null(strstr(err.msg, "bell.conf:2: bell: not yes or no: 'loud'"));
	free(path);
}

static void test_check_media_dir(void **state)
{
	(void)state;
	dd_buf b = {0};
	char *want;

	/* Missing, in a writable directory: a note, not a problem. */
	dd_config *cfg = load_ok(NULL);
	char *data = at("xdgdata");
	mkdirs(data);
	free(data);
	assert_int_equal(check(cfg, &b), DD_OK);
	/* xdgdata/dutydesk does not exist either; xdgdata does. */
	want = dd_xasprintf("media_dir %s: does not exist yet; it will be created\n",
			    cfg->media_dir);
	assert_string_equal(b.data, want);
	free(want);

	/* Not a directory. */
	char *f = write_file("xdgdata/dutydesk/media", 0644, "x");
	assert_int_equal(check(cfg, &b), DD_EINVAL);
	want = dd_xasprintf("media_dir %s: not a directory\n", f);
	assert_string_equal(b.data, want);
	free(want);
	assert_int_equal(unlink(f), 0);

	/* A writable directory. */
	mkdirs(f);
	assert_int_equal(check(cfg, &b), DD_OK);
	assert_int_equal(b.len, 0);

	if (geteuid() != 0) {
		/* Read-only, and missing under a read-only directory. */
		assert_int_equal(chmod(f, 0555), 0);
		assert_int_equal(check(cfg, &b), DD_EINVAL);
		want = dd_xasprintf("media_dir %s: not writable: Permission denied\n", f);
		assert_string_equal(b.data, want);
		free(want);

		char *sub = dd_xasprintf("%s/a/b", f);
		free(cfg->media_dir);
		cfg->media_dir = dd_xstrdup(sub);
		assert_int_equal(check(cfg, &b), DD_EINVAL);
		want = dd_xasprintf("media_dir %s: does not exist and cannot be created in %s\n",
				    sub, f);
		assert_string_equal(b.data, want);
		free(want);
		free(sub);
		assert_int_equal(chmod(f, 0755), 0);
	}
	dd_config_free(&cfg);
	dd_buf_free(&b);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, setup),
		cmocka_unit_test_setup(test_cli_example, setup),
		cmocka_unit_test_setup(test_comments_and_syntax, setup),
		cmocka_unit_test_setup(test_unknown_key_section, setup),
		cmocka_unit_test_setup(test_bad_values, setup),
		cmocka_unit_test_setup(test_long_lines, setup),
		cmocka_unit_test_setup(test_empty_value_is_default, setup),
		cmocka_unit_test_setup(test_override_order, setup),
		cmocka_unit_test_setup(test_explicit_path, setup),
		cmocka_unit_test_setup(test_env_overrides, setup),
		cmocka_unit_test_setup(test_set_database, setup),
		cmocka_unit_test_setup(test_secrets_ok, setup),
		cmocka_unit_test_setup(test_secrets_refused, setup),
		cmocka_unit_test_setup(test_secrets_owner, setup),
		cmocka_unit_test_setup(test_secrets_keys, setup),
		cmocka_unit_test_setup(test_check_main_config, setup),
		cmocka_unit_test_setup(test_check_secrets_file, setup),
		cmocka_unit_test_setup(test_console_and_keys, setup),
		cmocka_unit_test_setup(test_check_media_dir, setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
