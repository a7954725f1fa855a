#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ini.h>

#include "dutydesk/common.h"
#include "dutydesk/config.h"

/*
 * libinih does the lexing; this file feeds it lines through its own reader
 * (ini_parse_stream) so that it always knows the line being parsed: this
 * build of libinih passes no line number to the handler. The reader also
 * strips leading whitespace, which turns off inih's continuation lines (an
 * indented "key = value" after another key would otherwise silently become
 * part of that key's value), skips a UTF-8 BOM, and checks [section] lines,
 * for which inih does not call the handler at all.
 *
 * The first error stops the reading: the reader returns NULL from then on.
 * ini_parse_stream() returns the line of its first error, which is either
 * one of ours (the handler refused the line) or inih's own syntax error on
 * an earlier line.
 */

/* Longest line accepted, newline included: long WhatsApp tokens must fit. */
#define LINE_MAX_BYTES 4096

#define DEFAULT_SYSCONFDIR "/etc/dutydesk"
#define DEFAULT_TZDIR "/usr/share/zoneinfo"
#define CONF_NAME "dutydesk.conf"

enum kind {
	K_STR,
	K_TZ,           /* a zone under $TZDIR */
	K_LISTEN,       /* HOST:PORT */
	K_LONG,         /* positive long */
	K_INT,          /* positive int */
	K_MODE,         /* webhook | poll */
	K_BOOL,         /* yes/no, true/false, on/off, 1/0 (stored as int) */
};

struct key {
	const char *section;
	const char *name;
	enum kind kind;
	size_t off;
	bool secret;
	const char *def;        /* built-in default; NULL for none */
};

#define STR(s, n, f, d) { s, n, K_STR, offsetof(dd_config, f), false, d }
#define SECRET(s, n, f) { s, n, K_STR, offsetof(dd_config, f), true, NULL }

static const struct key keys[] = {
	STR("site", "name", site_name, "dutydesk"),
	{ "site", "timezone", K_TZ, offsetof(dd_config, timezone), false, NULL },
	STR("site", "database", database, NULL),
	STR("site", "media_dir", media_dir, NULL),
	STR("site", "secrets_file", secrets_file, NULL),
	{ "gateway", "listen", K_LISTEN, offsetof(dd_config, listen), false,
	  "127.0.0.1:8480" },
	{ "gateway", "max_body", K_LONG, offsetof(dd_config, max_body), false,
	  "1048576" },
	{ "gateway", "join_window", K_INT, offsetof(dd_config, join_window_s),
	  false, "180" },
	{ "gateway", "give_up_after", K_LONG, offsetof(dd_config, give_up_after_s),
	  false, "86400" },
	{ "gateway", "client_timeout", K_INT, offsetof(dd_config, client_timeout_s), false,
	  "15" },
	{ "gateway", "max_media", K_LONG, offsetof(dd_config, max_media), false,
	  "16777216" },
	STR("whatsapp", "api_base", wa_api_base,
	    "https://graph.facebook.com/v21.0"),
	STR("whatsapp", "phone_number_id", wa_phone_number_id, NULL),
	SECRET("whatsapp", "token", wa_token),
	SECRET("whatsapp", "app_secret", wa_app_secret),
	SECRET("whatsapp", "verify_token", wa_verify_token),
	STR("whatsapp", "template_officer", wa_template_officer, NULL),
	STR("whatsapp", "template_reporter", wa_template_reporter, NULL),
	STR("whatsapp", "template_lang", wa_template_lang, "ru"),
	STR("telegram", "api_base", tg_api_base, "https://api.telegram.org"),
	SECRET("telegram", "token", tg_token),
	SECRET("telegram", "secret_token", tg_secret_token),
	{ "telegram", "mode", K_MODE, offsetof(dd_config, tg_mode), false,
	  "webhook" },
	{ "console", "bell", K_BOOL, offsetof(dd_config, console_bell), false, "no" },
	{ "console", "overdue_after", K_INT, offsetof(dd_config, console_overdue_min), false,
	  "120" },
	{ "console", "unassigned_after", K_INT, offsetof(dd_config, console_unassigned_min),
	  false, "30" },
};

#define NKEYS (sizeof keys / sizeof keys[0])
_Static_assert(NKEYS <= 32, "the key masks are 32 bits wide");

static const char *const sections[] = { "site", "gateway", "whatsapp", "telegram", "console",
					"keys" };
static const char *const secret_sections[] = { "whatsapp", "telegram" };

static const struct {
	const char *var;
	size_t off;
} env_keys[] = {
	{ "DUTYDESK_WHATSAPP_TOKEN", offsetof(dd_config, wa_token) },
	{ "DUTYDESK_WHATSAPP_APP_SECRET", offsetof(dd_config, wa_app_secret) },
	{ "DUTYDESK_WHATSAPP_VERIFY_TOKEN", offsetof(dd_config, wa_verify_token) },
	{ "DUTYDESK_TELEGRAM_TOKEN", offsetof(dd_config, tg_token) },
	{ "DUTYDESK_TELEGRAM_SECRET_TOKEN", offsetof(dd_config, tg_secret_token) },
};

static char **str_field(dd_config *cfg, size_t off)
{
	return (char **)(void *)((char *)cfg + off);
}

/* Frees s, first overwriting it: it may hold a secret. */
static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void set_str(char **field, const char *value)
{
	wipe_free(*field);
	*field = value ? dd_xstrdup(value) : NULL;
}

/* The value of a non-empty environment variable, else NULL. */
static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* An XDG base directory: only absolute values count (XDG spec). */
static const char *env_absolute(const char *name)
{
	const char *v = getenv(name);
	return v && v[0] == '/' ? v : NULL;
}

static const char *home_dir(void)
{
	const char *h = env_nonempty("HOME");
	if (h)
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : NULL;
}

static const char *tz_dir(void)
{
	const char *d = env_nonempty("TZDIR");
	return d ? d : DEFAULT_TZDIR;
}

/* ---- value checks ---- */

/* All digits, no sign, fits in [1, max]. */
static bool parse_positive(const char *s, long max, long *out)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > max)
		return false;
	*out = v;
	return true;
}

static bool valid_port(const char *s)
{
	long port;
	return strlen(s) <= 5 && parse_positive(s, 65535, &port);
}

/* HOST:PORT or [IPV6]:PORT. */
static bool valid_listen(const char *s)
{
	const char *port;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close == s + 1 || close[1] != ':')
			return false;
		for (const char *p = s + 1; p < close; p++)
			if (!isalnum((unsigned char)*p) && !strchr(":.%", *p))
				return false;
		port = close + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon || colon == s)
			return false;
		for (const char *p = s; p < colon; p++)
			if (!isalnum((unsigned char)*p) && !strchr(".-_", *p))
				return false;
		port = colon + 1;
	}
	return valid_port(port);
}

/* A zone name: relative, components of [A-Za-z0-9_+-] (with dots inside,
 * but no "." or ".." component), naming a TZif file under $TZDIR. */
static bool valid_timezone(const char *name)
{
	const char *p = name;

	if (!*p || strlen(p) > 255)
		return false;
	while (*p) {
		const char *start = p;
		while (*p && *p != '/') {
			if (!isalnum((unsigned char)*p) && !strchr("_+-.", *p))
				return false;
			p++;
		}
		size_t n = (size_t)(p - start);
		if (n == 0 || (n == 1 && start[0] == '.') ||
		    (n == 2 && start[0] == '.' && start[1] == '.'))
			return false;
		if (*p == '/' && !*++p)
			return false;   /* trailing slash */
	}

	char *path = dd_xasprintf("%s/%s", tz_dir(), name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	free(path);
	if (fd < 0)
		return false;
	struct stat st;
	char magic[4];
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		  read(fd, magic, sizeof magic) == (ssize_t)sizeof magic &&
		  memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

/*
 * Sets key k of cfg from value (NULL or "" for the built-in default). On a
 * bad value returns false with the reason in why (the file and line are
 * added by the caller).
 */
static bool set_key(dd_config *cfg, const struct key *k, const char *value,
		    char *why, size_t whylen)
{
	if (!value || !*value)
		value = k->def;
	switch (k->kind) {
	case K_LONG:
	case K_INT: {
		long v;
		if (!parse_positive(value, k->kind == K_INT ? INT_MAX : LONG_MAX, &v)) {
			snprintf(why, whylen, _("%s: not a positive number: '%s'"),
				 k->name, value);
			return false;
		}
		if (k->kind == K_INT)
			*(int *)(void *)((char *)cfg + k->off) = (int)v;
		else
			*(long *)(void *)((char *)cfg + k->off) = v;
		return true;
	}
	case K_LISTEN:
		if (!valid_listen(value)) {
			snprintf(why, whylen,
				 _("%s: not HOST:PORT with a port from 1 to 65535: '%s'"),
				 k->name, value);
			return false;
		}
		break;
	case K_MODE:
		if (strcmp(value, "webhook") != 0 && strcmp(value, "poll") != 0) {
			snprintf(why, whylen, _("%s: not 'webhook' or 'poll': '%s'"),
				 k->name, value);
			return false;
		}
		break;
	case K_TZ:
		if (value && !valid_timezone(value)) {
			snprintf(why, whylen, _("%s: no such time zone in %s: '%s'"),
				 k->name, tz_dir(), value);
			return false;
		}
		break;
	case K_BOOL: {
		static const char *const yes[] = {"yes", "true", "on", "1"};
		static const char *const no[] = {"no", "false", "off", "0"};
		int v = -1;
		for (int i = 0; i < 4; i++) {
			if (strcasecmp(value, yes[i]) == 0)
				v = 1;
			if (strcasecmp(value, no[i]) == 0)
				v = 0;
		}
		if (v < 0) {
			snprintf(why, whylen, _("%s: not yes or no: '%s'"), k->name, value);
			return false;
		}
		*(int *)(void *)((char *)cfg + k->off) = v;
		return true;
	}
	case K_STR:
		break;
	}
	set_str(str_field(cfg, k->off), value);
	return true;
}

static void set_defaults(dd_config *cfg)
{
	char why[8];
	for (size_t i = 0; i < NKEYS; i++)
		set_key(cfg, &keys[i], NULL, why, sizeof why);
}

static void apply_env(dd_config *cfg)
{
	for (size_t i = 0; i < sizeof env_keys / sizeof env_keys[0]; i++) {
		const char *v = env_nonempty(env_keys[i].var);
		if (v)
			set_str(str_field(cfg, env_keys[i].off), v);
	}
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* ---- parsing ---- */

struct parse {
	dd_config *cfg;
	FILE *fp;
	bool secrets_only;
	char *line;             /* getline() buffer */
	size_t cap;
	int lineno;
	int read_errno;         /* the read failed */
	int err_line;           /* our first error, 0 for none */
	char why[sizeof ((dd_err *)0)->msg];
	uint32_t set;           /* keys[i] set by this file: bit i */
	uint32_t filled;        /* ... to a non-empty value */
};

static void parse_fail(struct parse *ps, const char *fmt, ...) DD_PRINTF(2, 3);

static void parse_fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->why, sizeof ps->why, fmt, ap);
	va_end(ap);
	ps->err_line = ps->lineno;
}

static bool section_allowed(const struct parse *ps, const char *name)
{
	if (ps->secrets_only)
		return in_list(name, secret_sections,
			       sizeof secret_sections / sizeof secret_sections[0]);
	return in_list(name, sections, sizeof sections / sizeof sections[0]);
}

/* An ini_reader: the next line, without leading whitespace. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;

	if (ps->err_line || ps->read_errno)
		return NULL;
	errno = 0;
	ssize_t n = getline(&ps->line, &ps->cap, ps->fp);
	if (n < 0) {
		if (ferror(ps->fp))
			ps->read_errno = errno ? errno : EIO;
		return NULL;
	}
	ps->lineno++;

	char *s = ps->line;
	if (memchr(s, '\0', (size_t)n)) {
		parse_fail(ps, "%s", _("a NUL byte (not a text file?)"));
		return NULL;
	}
	if (ps->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	if (len >= (size_t)num) {
		parse_fail(ps, _("line too long (the limit is %d bytes)"),
			   LINE_MAX_BYTES);
		return NULL;
	}
	if (s[0] == '[') {
		char *close = strchr(s, ']');
		if (close) {
			char *name = dd_xstrndup(s + 1, (size_t)(close - s - 1));
			if (!section_allowed(ps, name)) {
				if (ps->secrets_only && in_list(name, sections,
				    sizeof sections / sizeof sections[0]))
					parse_fail(ps, _("section [%s] does not belong in a secrets file"),
						   name);
				else
					parse_fail(ps, _("unknown section [%s]"), name);
			}
			free(name);
			if (ps->err_line)
				return NULL;
		}
	}
	memcpy(str, s, len + 1);
	return str;
}

/* The ini_handler: one "name = value" in section. */
static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse *ps = user;
	const struct key *k = NULL;

	if (!*section) {
		parse_fail(ps, _("key '%s' is outside any section"), name);
		return 0;
	}
	if (!section_allowed(ps, section)) {
		parse_fail(ps, _("unknown section [%s]"), section);
		return 0;
	}
	if (strcmp(section, "keys") == 0) {
		/* key bindings: the console checks the names and keys */
		char *old = ps->cfg->console_keys;
		ps->cfg->console_keys = dd_xasprintf("%s%s%s=%s", old ? old : "", old ? "," : "",
						     name, value);
		free(old);
		return 1;
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			k = &keys[i];
	if (!k) {
		parse_fail(ps, _("unknown key '%s' in [%s]"), name, section);
		return 0;
	}
	if (ps->secrets_only && !k->secret) {
		parse_fail(ps, _("'%s' in [%s] is not a secret; it belongs in the main config file"),
			   name, section);
		return 0;
	}
	char why[sizeof ps->why];
	if (!set_key(ps->cfg, k, value, why, sizeof why)) {
		parse_fail(ps, "%s", why);
		return 0;
	}
	ps->set |= UINT32_C(1) << (k - keys);
	if (*value)
		ps->filled |= UINT32_C(1) << (k - keys);
	return 1;
}

/*
 * Parses the open file fp (named path) into cfg. *set receives the keys the
 * file set (bit i for keys[i]), *filled those set to a non-empty value.
 */
static dd_status parse_file(dd_config *cfg, const char *path, FILE *fp,
			    bool secrets_only, uint32_t *set, uint32_t *filled,
			    dd_err *err)
{
	struct parse ps = {
		.cfg = cfg, .fp = fp, .secrets_only = secrets_only,
	};

	/* Debian's libinih reads its line length from this global; the
	 * built-in 200 bytes are too few for some access tokens. */
	int saved_max = ini_max_line;
	ini_max_line = LINE_MAX_BYTES + 1;
	int r = ini_parse_stream(reader, &ps, handler, &ps);
	ini_max_line = saved_max;

	if (ps.line) {
		explicit_bzero(ps.line, ps.cap);
		free(ps.line);
	}
	*set = ps.set;
	*filled = ps.filled;
	if (r > 0 && (!ps.err_line || r < ps.err_line))
		return dd_fail(err, DD_EINVAL, _("%s:%d: syntax error"), path, r);
	if (ps.err_line)
		return dd_fail(err, DD_EINVAL, "%s:%d: %s", path, ps.err_line,
			       ps.why);
	if (ps.read_errno)
		return dd_fail(err, DD_EIO, _("%s: cannot read: %s"), path,
			       strerror(ps.read_errno));
	if (r < 0)
		return dd_fail(err, DD_EIO, _("%s: cannot read: %s"), path,
			       strerror(ENOMEM));
	return DD_OK;
}

/* "[telegram] token, ..." for the secret keys in set, or NULL. */
static char *secret_names(uint32_t set)
{
	dd_buf b = {0};
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].secret && (set & (UINT32_C(1) << i)))
			dd_buf_printf(&b, "%s[%s] %s", b.len ? ", " : "",
				      keys[i].section, keys[i].name);
	return b.data;
}

/*
 * Reads the main config file path into cfg as its next loaded file. With
 * optional, a file that does not exist is skipped.
 */
static dd_status load_file(dd_config *cfg, const char *path, bool optional,
			   dd_err *err)
{
	FILE *fp = fopen(path, "re");
	if (!fp) {
		if (optional && (errno == ENOENT || errno == ENOTDIR))
			return DD_OK;
		return dd_fail(err, DD_EIO, _("%s: cannot open: %s"), path,
			       strerror(errno));
	}
	uint32_t set, filled;
	dd_status st = parse_file(cfg, path, fp, false, &set, &filled, err);
	fclose(fp);
	if (st != DD_OK)
		return st;
	int i = cfg->loaded[0] ? 1 : 0;
	cfg->loaded[i] = dd_xstrdup(path);
	cfg->loaded_secrets[i] = secret_names(filled);
	return DD_OK;
}

static void default_media_dir(dd_config *cfg)
{
	const char *slash = strrchr(cfg->database, '/');
	free(cfg->media_dir);
	if (!slash)
		cfg->media_dir = dd_xstrdup("media");
	else
		cfg->media_dir = dd_xasprintf("%.*s/media",
					      (int)(slash - cfg->database),
					      cfg->database);
}

dd_status dd_config_load(dd_config **out, const char *path, dd_err *err)
{
	dd_config *cfg = dd_xcalloc(1, sizeof *cfg);
	dd_status st;
	char *p;

	*out = NULL;
	set_defaults(cfg);
	if (path) {
		st = load_file(cfg, path, false, err);
	} else {
		const char *sys = env_nonempty("DUTYDESK_SYSCONFDIR");
		p = dd_xasprintf("%s/%s", sys ? sys : DEFAULT_SYSCONFDIR, CONF_NAME);
		st = load_file(cfg, p, true, err);
		free(p);
		if (st == DD_OK) {
			const char *xdg = env_absolute("XDG_CONFIG_HOME");
			const char *home = home_dir();
			p = NULL;
			if (xdg)
				p = dd_xasprintf("%s/dutydesk/%s", xdg, CONF_NAME);
			else if (home)
				p = dd_xasprintf("%s/.config/dutydesk/%s", home, CONF_NAME);
			if (p)
				st = load_file(cfg, p, true, err);
			free(p);
		}
	}
	if (st != DD_OK) {
		dd_config_free(&cfg);
		return st;
	}
	apply_env(cfg);

	if (!cfg->database) {
		const char *xdg = env_absolute("XDG_DATA_HOME");
		const char *home = home_dir();
		if (xdg)
			cfg->database = dd_xasprintf("%s/dutydesk/dutydesk.db", xdg);
		else if (home)
			cfg->database = dd_xasprintf("%s/.local/share/dutydesk/dutydesk.db",
						     home);
		else {
			dd_config_free(&cfg);
			return dd_fail(err, DD_EINVAL,
				       _("no home directory for the default database; set HOME or database in [site]"));
		}
	}
	cfg->media_dir_default = !cfg->media_dir;
	if (cfg->media_dir_default)
		default_media_dir(cfg);
	*out = cfg;
	return DD_OK;
}

void dd_config_set_database(dd_config *cfg, const char *path)
{
	set_str(&cfg->database, path);
	if (cfg->media_dir_default)
		default_media_dir(cfg);
}

/* ---- the secrets file ---- */

/* Whether the secrets file with status st may be trusted. */
static dd_status check_secret_perms(const char *path, const struct stat *st,
				    dd_err *err)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);

	if (!S_ISREG(st->st_mode))
		return dd_fail(err, DD_EPERM, _("%s: not a regular file"), path);
	if (st->st_uid != geteuid())
		return dd_fail(err, DD_EPERM,
			       _("%s: owned by uid %u, not by the user running dutydesk (uid %u); chown %u %s"),
			       path, (unsigned)st->st_uid, (unsigned)geteuid(),
			       (unsigned)geteuid(), path);
	if (mode & 044)
		return dd_fail(err, DD_EPERM,
			       _("%s: mode %04o lets others read the secrets; chmod 600 %s"),
			       path, mode, path);
	if (mode & 022)
		return dd_fail(err, DD_EPERM,
			       _("%s: mode %04o lets others change the secrets; chmod 600 %s"),
			       path, mode, path);
	return DD_OK;
}

/* Frees the strings of a scratch config (not the struct). */
static void free_fields(dd_config *cfg)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].kind != K_LONG && keys[i].kind != K_INT && keys[i].kind != K_BOOL)
			set_str(str_field(cfg, keys[i].off), NULL);
	free(cfg->console_keys);
	cfg->console_keys = NULL;
	for (int i = 0; i < 2; i++) {
		free(cfg->loaded[i]);
		free(cfg->loaded_secrets[i]);
		cfg->loaded[i] = cfg->loaded_secrets[i] = NULL;
	}
}

dd_status dd_config_load_secrets(dd_config *cfg, dd_err *err)
{
	const char *path = cfg->secrets_file;
	if (!path)
		return DD_OK;

	/* O_NONBLOCK: a FIFO must not hang us before fstat() refuses it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return dd_fail(err, DD_EIO, _("%s: cannot open: %s"), path,
			       strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return dd_fail(err, DD_EIO, _("%s: cannot stat: %s"), path,
			       strerror(e));
	}
	dd_status s = check_secret_perms(path, &st, err);
	if (s != DD_OK) {
		close(fd);
		return s;
	}
	FILE *fp = fdopen(fd, "r");
	if (!fp) {
		int e = errno;
		close(fd);
		return dd_fail(err, DD_EIO, _("%s: cannot open: %s"), path,
			       strerror(e));
	}

	/* Into a scratch config, so that a bad file changes nothing. */
	dd_config tmp = {0};
	uint32_t set, filled;
	s = parse_file(&tmp, path, fp, true, &set, &filled, err);
	fclose(fp);
	if (s == DD_OK) {
		for (size_t i = 0; i < NKEYS; i++) {
			if (!(set & (UINT32_C(1) << i)))
				continue;
			char **from = str_field(&tmp, keys[i].off);
			char **to = str_field(cfg, keys[i].off);
			wipe_free(*to);
			*to = *from;
			*from = NULL;
		}
		apply_env(cfg);
	}
	free_fields(&tmp);
	return s;
}

/* ---- dutydesk check ---- */

/* Notes on media_dir in report; returns the number of problems. */
static int check_media_dir(const char *dir, dd_buf *report)
{
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			dd_buf_printf(report, _("media_dir %s: not a directory\n"), dir);
			return 1;
		}
		if (access(dir, W_OK | X_OK) != 0) {
			dd_buf_printf(report, _("media_dir %s: not writable: %s\n"), dir,
				      strerror(errno));
			return 1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		dd_buf_printf(report, _("media_dir %s: %s\n"), dir, strerror(errno));
		return 1;
	}

	/* Missing: fine if the nearest existing ancestor lets us create it. */
	char *up = dd_xmalloc(strlen(dir) + 2);     /* room for "." */
	int problems = 0;

	strcpy(up, dir);
	for (;;) {
		char *slash = strrchr(up, '/');
		if (!slash)
			strcpy(up, ".");
		else if (slash == up)
			up[1] = '\0';
		else
			*slash = '\0';
		if (stat(up, &st) == 0 || errno != ENOENT || strcmp(up, ".") == 0 ||
		    strcmp(up, "/") == 0)
			break;
	}
	if (stat(up, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    access(up, W_OK | X_OK) != 0) {
		dd_buf_printf(report,
			      _("media_dir %s: does not exist and cannot be created in %s\n"),
			      dir, up);
		problems = 1;
	} else {
		dd_buf_printf(report, _("media_dir %s: does not exist yet; it will be created\n"),
			      dir);
	}
	free(up);
	return problems;
}

dd_status dd_config_check(const dd_config *cfg, dd_buf *report)
{
	int problems = 0;
	struct stat st;

	for (int i = 0; i < 2; i++) {
		const char *f = cfg->loaded[i];
		if (!f)
			continue;
		if (stat(f, &st) != 0) {
			dd_buf_printf(report, _("%s: cannot stat: %s\n"), f,
				      strerror(errno));
			problems++;
			continue;
		}
		unsigned mode = (unsigned)(st.st_mode & 07777);
		if (cfg->loaded_secrets[i] && (mode & 044)) {
			dd_buf_printf(report,
				      _("%s: holds secrets (%s) but mode %04o lets others read them; move them to a secrets_file or chmod 600 %s\n"),
				      f, cfg->loaded_secrets[i], mode, f);
			problems++;
		}
		if (mode & 002) {
			dd_buf_printf(report,
				      _("%s: mode %04o lets anyone change the configuration; chmod o-w %s\n"),
				      f, mode, f);
			problems++;
		}
	}

	if (cfg->secrets_file) {
		dd_err err = {0};
		if (stat(cfg->secrets_file, &st) != 0) {
			dd_buf_printf(report, _("%s: cannot open: %s\n"),
				      cfg->secrets_file, strerror(errno));
			problems++;
		} else if (check_secret_perms(cfg->secrets_file, &st, &err) != DD_OK) {
			dd_buf_printf(report, "%s\n", err.msg);
			problems++;
		}
	}

	if (cfg->media_dir)
		problems += check_media_dir(cfg->media_dir, report);
	return problems ? DD_EINVAL : DD_OK;
}

void dd_config_free(dd_config **cfg)
{
	if (!cfg || !*cfg)
		return;
	free_fields(*cfg);
	free(*cfg);
	*cfg = NULL;
}
