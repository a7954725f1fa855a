#!/usr/bin/env bash
# Help, version, exit codes, init, config errors, check.
. "$(dirname "$0")/lib.sh"
me=$(id -un)

dd --help
check "--help prints usage and the commands" [ $rc = 0 ] && has "$out" "Usage: dutydesk" && has "$out" "report"
dd --version
check "--version names the program and the schema" [ $rc = 0 ] && has "$out" "dutydesk 0." && has "$out" "schema version"
dd report assign --version
check "--version works on a subcommand" [ $rc = 0 ] && has "$out" "dutydesk 0."
dd frobnicate
check "an unknown command is a usage error (2)" [ $rc = 2 ] && has "$err" "unknown command 'frobnicate'"
dd report list --bogus
check "an unknown option is a usage error (2)" [ $rc = 2 ] && has "$err" "Try 'dutydesk report list --help'"

dd report list
check "no database: a clear error and exit 1" [ $rc = 1 ] && has "$err" "no database at $DUTYDESK_DB" && has "$err" "dutydesk init"

dd init
check "init creates the database and makes the runner admin" [ $rc = 0 ] && has "$out" "created" && has "$out" "added you ($me)"
check "the runner is admin in the users table" [ "$(sql "SELECT role FROM users WHERE login='$me'")" = admin ]
check "the schema version is stored" [ "$(sql 'PRAGMA user_version')" -ge 2 ]
check "the database is in WAL mode" [ "$(sql 'PRAGMA journal_mode')" = wal ]
dd init
check "init again only reports the version" [ $rc = 0 ] && has "$out" "is at schema version" && hasnt "$out" "added you"

# a database from a newer dutydesk is refused, naming both versions
cp "$DUTYDESK_DB" "$SCRATCH/newer.db"
sqlite3 "$SCRATCH/newer.db" 'PRAGMA user_version = 99'
dd --db "$SCRATCH/newer.db" report list
check "a newer database is refused naming both versions" [ $rc = 1 ] && has "$err" "schema version 99" && has "$err" "knows up to version"

# config errors name file, line and key
mkdir -p "$SCRATCH/cfg"
printf '[site]\nname = Тест\ncolour = blue\n' >"$SCRATCH/cfg/bad.conf"
dd --config "$SCRATCH/cfg/bad.conf" report list
check "an unknown config key names file:line and key" [ $rc = 1 ] && has "$err" "bad.conf:3:" && has "$err" "colour"
DUTYDESK_CONFIG=$SCRATCH/cfg/missing.conf dd report list
check "a missing explicit config is an error" [ $rc = 1 ] && has "$err" "missing.conf"

# the config's database key is used when no --db is given
printf '[site]\ndatabase = %s\n' "$SCRATCH/fromconfig.db" >"$SCRATCH/cfg/db.conf"
(unset DUTYDESK_DB; "$DUTYDESK" --config "$SCRATCH/cfg/db.conf" init >/dev/null 2>&1)
check "the config's database key is honoured" [ -f "$SCRATCH/fromconfig.db" ]

dd check
check "check passes on a fresh database" [ $rc = 0 ] && has "$out" "chain intact" && has "$out" "all checks passed"

# secrets file with loose permissions is flagged by check
printf '[whatsapp]\ntoken = SECRET-TOKEN-XYZ\n' >"$SCRATCH/cfg/secrets.conf"
chmod 644 "$SCRATCH/cfg/secrets.conf"
printf '[site]\nsecrets_file = %s\n' "$SCRATCH/cfg/secrets.conf" >"$SCRATCH/cfg/s.conf"
dd --config "$SCRATCH/cfg/s.conf" check
check "check flags a secrets file others can read" [ $rc = 1 ] && has "$out$err" "chmod 600" && hasnt "$out$err" "SECRET-TOKEN-XYZ"
chmod 600 "$SCRATCH/cfg/secrets.conf"
dd --config "$SCRATCH/cfg/s.conf" check
check "check accepts a 0600 secrets file" [ $rc = 0 ]

# users: admin adds, list shows; unknown role refused
dd user add ivanov dispatcher --name "Иванов И. И."
check "user add by admin" [ $rc = 0 ] && [ "$(sql "SELECT role FROM users WHERE login='ivanov'")" = dispatcher ]
dd user add petrov chief
check "an unknown role is a usage error" [ $rc = 2 ] && has "$err" "unknown role 'chief'"
dd user list
check "user list shows logins and roles" [ $rc = 0 ] && has "$out" "ivanov" && has "$out" "dispatcher" && has "$out" "Иванов И. И."

# a non-admin cannot add users
sql "UPDATE users SET role = 'dispatcher' WHERE login = '$me'"
dd user add sidorov admin
check "a dispatcher cannot add users" [ $rc = 1 ] && has "$err" "needs the role admin"
check "nothing was added" [ "$(sql "SELECT count(*) FROM users WHERE login='sidorov'")" = 0 ]

# the audit chain: tampering is found by check
sql "UPDATE users SET role = 'admin' WHERE login = '$me'"
dd import districts "$DATA/districts.csv"
sql "DROP TRIGGER events_no_update; UPDATE events SET after = '{\"kind\":\"forged\"}' WHERE id = 1;"
dd check
check "check finds a tampered audit event" [ $rc = 1 ] && has "$out" "audit trail broken at event 1"

done_testing
