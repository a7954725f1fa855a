/* The command line: shared state of one run and the subcommands. */
#ifndef DUTYDESK_CLI_H
#define DUTYDESK_CLI_H

#include <stdio.h>

#include "dutydesk/config.h"
#include "dutydesk/db.h"
#include "dutydesk/user.h"

/* Exit statuses (CLI.md). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cli {
	const char *config_path; /* --config or DUTYDESK_CONFIG */
	const char *db_path;     /* --db, DUTYDESK_DB, or the config's */
	dd_config *cfg;
	dd_db *db;
	dd_actor actor;
};

typedef enum { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_TEXT } cli_format;

/* Prints "dutydesk: MSG" on stderr; returns EXIT_FAIL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "dutydesk CMD: MSG" and the hint to --help; returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Opens the database (creating it with DD_DB_CREATE) and looks up the actor.
 * Prints the error and returns EXIT_FAIL on failure. */
int cli_open(struct cli *c, unsigned flags);
/* Parses "table", "csv", "json" (and "text" when allowed). */
int cli_format_parse(const char *cmd, const char *s, bool allow_text, cli_format *out);
/* Parses a positive integer argument; returns -1 when it is not one. */
long long cli_number(const char *s);
/* GNU-style --version text. */
void cli_version(void);

/* Output helpers (output.c). */
typedef struct cli_table cli_table;
cli_table *cli_table_new(cli_format fmt, int ncols, const char *const *headers);
/* Adds one row of ncols cells; untrusted cells are cleaned for the terminal. */
void cli_table_row(cli_table *t, const char *const *cells);
/* Prints the rows added so far (aligned among themselves) and drops them. */
void cli_table_flush(cli_table *t, FILE *out);
/* Prints and frees the table: aligned columns by display width (the last
 * column fitted to the terminal), or CSV. */
void cli_table_print(cli_table **t, FILE *out);
/* Text of untrusted origin for the terminal: cleaned, one line. Caller frees. */
char *cli_clean(const char *s);
/* Are we writing to a terminal? Then JSON is ASCII-escaped and CSV cleaned. */
bool cli_stdout_tty(void);

typedef int (*cli_cmd_fn)(struct cli *c, int argc, char **argv);
int cmd_console(struct cli *c, int argc, char **argv);
int cmd_init(struct cli *c, int argc, char **argv);
int cmd_demo(struct cli *c, int argc, char **argv);
int cmd_import(struct cli *c, int argc, char **argv);
int cmd_user(struct cli *c, int argc, char **argv);
int cmd_check(struct cli *c, int argc, char **argv);
int cmd_report(struct cli *c, int argc, char **argv);
int cmd_district(struct cli *c, int argc, char **argv);
int cmd_officer(struct cli *c, int argc, char **argv);
int cmd_reporter(struct cli *c, int argc, char **argv);
int cmd_ingest(struct cli *c, int argc, char **argv);
int cmd_gateway(struct cli *c, int argc, char **argv);
/* dutydesk reporter link (cmd_gateway.c); argv[0] is "link". */
int cmd_reporter_link(struct cli *c, int argc, char **argv);
/* For `check`: the messenger settings the gateway needs (secrets already
 * loaded); appends one line per finding, returns the number of problems. */
int cli_check_gateway(const dd_config *cfg, dd_buf *report);

/* Prints the open queue (the console's first screen, as text). */
int cli_print_queue(struct cli *c, int limit);

#endif
