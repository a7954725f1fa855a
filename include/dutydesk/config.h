/* The configuration: built-in defaults, INI files (libinih), environment. */
#ifndef DUTYDESK_CONFIG_H
#define DUTYDESK_CONFIG_H

#include "dutydesk/common.h"

typedef struct dd_config {
	char *loaded[2];        /* files read, in order; NULL when none */
	/* Secret keys found in loaded[i] ("[telegram] token, ..."; names only,
	 * never values), NULL when none: for dd_config_check. */
	char *loaded_secrets[2];

	/* [site] */
	char *site_name;        /* default "dutydesk" */
	char *timezone;         /* default NULL: the system's */
	char *database;         /* default $XDG_DATA_HOME/dutydesk/dutydesk.db */
	char *media_dir;        /* default next to the database: media/ */
	bool media_dir_default; /* media_dir was not set: it follows database */
	char *secrets_file;     /* default NULL */

	/* [gateway] */
	char *listen;           /* default "127.0.0.1:8480" */
	long max_body;          /* default 1048576 */
	int join_window_s;      /* default 180: messages joined into one report */
	int client_timeout_s;   /* default 15: a webhook client idle this long is cut off */
	long give_up_after_s;   /* default 86400: unsent notifications then fail */
	long max_media;         /* default 16777216: largest media file downloaded */

	/* [whatsapp] */
	char *wa_api_base;      /* default https://graph.facebook.com/v21.0 */
	char *wa_phone_number_id;
	char *wa_token;         /* secret */
	char *wa_app_secret;    /* secret */
	char *wa_verify_token;  /* secret */
	char *wa_template_officer; /* template used outside the 24-hour window */
	char *wa_template_reporter;
	char *wa_template_lang; /* default "ru" */

	/* [telegram] */
	char *tg_api_base;      /* default https://api.telegram.org */
	char *tg_token;         /* secret */
	char *tg_secret_token;  /* secret */
	char *tg_mode;          /* "webhook" (default) or "poll" */

	/* [console] */
	int console_bell;           /* default no: ring on a new report */
	int console_overdue_min;    /* default 120: an open report this old is overdue */
	int console_unassigned_min; /* default 30: a new report unassigned this long stands out */
	/* [keys]: "action=key,action=key..." as written; the console checks them */
	char *console_keys;
} dd_config;

/*
 * Loads the configuration. path is the explicit file (--config or
 * DUTYDESK_CONFIG), which must exist ("PATH: cannot open: No such file or
 * directory", DD_EIO); when NULL, /etc/dutydesk/dutydesk.conf then
 * $XDG_CONFIG_HOME/dutydesk/dutydesk.conf (~/.config/...) are read if
 * present, the second overriding the first. DUTYDESK_SYSCONFDIR, when set,
 * replaces /etc/dutydesk (for tests and relocated installs). Then the
 * environment: DUTYDESK_WHATSAPP_TOKEN, DUTYDESK_WHATSAPP_APP_SECRET,
 * DUTYDESK_WHATSAPP_VERIFY_TOKEN, DUTYDESK_TELEGRAM_TOKEN,
 * DUTYDESK_TELEGRAM_SECRET_TOKEN (a set, non-empty variable wins). The
 * secrets file is not read here.
 *
 * Files: sections [site], [gateway], [whatsapp], [telegram]; "key = value"
 * (or "key: value"); comments are lines starting with ';' or '#', and
 * "; ..." after a value when a space or tab comes before the ';'. Leading
 * whitespace is ignored (there are no continuation lines); lines may be up
 * to 4096 bytes. An empty value restores the built-in default. Errors
 * (DD_EINVAL) name the file, line and key, and never quote a secret:
 *   "FILE:LINE: unknown section [x]"
 *   "FILE:LINE: unknown key 'x' in [site]"
 *   "FILE:LINE: key 'x' is outside any section"
 *   "FILE:LINE: syntax error"
 *   "FILE:LINE: max_body: not a positive number: 'abc'" (also join_window,
 *   give_up_after, max_media)
 *   "FILE:LINE: listen: not HOST:PORT with a port from 1 to 65535: 'x'"
 *   "FILE:LINE: mode: not 'webhook' or 'poll': 'x'"
 *   "FILE:LINE: timezone: no such time zone in /usr/share/zoneinfo: 'x'"
 * timezone must name a zone file under $TZDIR (default /usr/share/zoneinfo);
 * listen takes [IPv6]:PORT too. database defaults to
 * $XDG_DATA_HOME/dutydesk/dutydesk.db (~/.local/share/...), media_dir to
 * "media" in the directory of the final database.
 *
 * Not thread-safe: it adjusts libinih's line length (a global of Debian's
 * build) for the duration of each parse. Call it before starting threads.
 */
dd_status dd_config_load(dd_config **out, const char *path, dd_err *err);
/* Reads secrets_file when set (same INI format, secret keys only:
 * [whatsapp] token, app_secret, verify_token; [telegram] token,
 * secret_token). Refuses (DD_EPERM) a file that is not a regular file owned
 * by the effective user or that group or others may read or write
 * ("FILE: mode 0644 lets others read the secrets; chmod 600 FILE").
 * Environment values still win. On failure cfg keeps its previous values. */
dd_status dd_config_load_secrets(dd_config *cfg, dd_err *err);
/* Replaces database (--db); a media_dir that was not set follows it. */
void dd_config_set_database(dd_config *cfg, const char *path);
/*
 * For "dutydesk check": appends to report one line per problem found
 * (newline-terminated, never a secret value): secrets in a loaded main
 * config file that group or others can read, a main config file others can
 * write, secrets_file permission problems, a media_dir that is not a
 * writable directory. A media_dir that does not exist yet gets a note
 * ("will be created") that is not a problem. Returns DD_OK when there were
 * no problems, else DD_EINVAL.
 */
dd_status dd_config_check(const dd_config *cfg, dd_buf *report);
void dd_config_free(dd_config **cfg);

#endif
