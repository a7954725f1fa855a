#!/usr/bin/env bash
# dutydesk import: every kind, all rows or none, FILE:LINE errors.
. "$(dirname "$0")/lib.sh"

dd init
for kind in districts officers orgs reporters users shifts stolen; do
	rows=$(($(grep -c '' "$DATA/$kind.csv") - 1))
	dd import "$kind" "$DATA/$kind.csv"
	check "import $kind reports its rows" [ $rc = 0 ] && has "$out" "imported" && has "$out" "$kind"
done
check "districts are stored" [ "$(sql 'SELECT count(*) FROM districts')" = "$(($(grep -c '' "$DATA/districts.csv") - 1))" ]
check "officers keep Cyrillic names and normalised phones" \
	[ "$(sql "SELECT name||'|'||phone FROM officers WHERE badge = '1101'")" = "Касымов Нурлан Болатович|77015551101" ]
check "shifts are stored as UTC milliseconds" [ "$(sql "SELECT count(*) FROM shifts")" -gt 0 ]
check "stolen items are stored" [ "$(sql "SELECT count(*) FROM stolen_items")" -gt 0 ]
check "users are stored with roles" [ "$(sql "SELECT role FROM users WHERE login = 'nurlanov'")" = supervisor ]

# importing again updates rather than duplicates
before=$(sql 'SELECT count(*) FROM officers')
dd import officers "$DATA/officers.csv"
check "re-import updates by key" [ $rc = 0 ] && [ "$(sql 'SELECT count(*) FROM officers')" = "$before" ]

# a bad file: every problem named with FILE:LINE, nothing imported
officers_before=$(sql 'SELECT group_concat(badge||name) FROM officers')
dd import officers "$DATA/bad_officers.csv"
check "a bad file fails with exit 1" [ $rc = 1 ] && has "$err" "nothing was imported"
check "a short phone is named with its line" has "$err" "bad_officers.csv:3:"
check "an unknown district is named with its line" has "$err" "bad_officers.csv:4:" && has "$err" "PVL-99"
check "a repeated badge names both lines" has "$err" "bad_officers.csv:5:" && has "$err" "line 2"
check "the good rows of the bad file were not imported either" [ "$(sql 'SELECT group_concat(badge||name) FROM officers')" = "$officers_before" ]
check "no officer 2001 from the bad file" [ "$(sql "SELECT count(*) FROM officers WHERE badge = '2001'")" = 0 ]

dd import districts "$DATA/bad_quote.csv"
check "an unterminated quote is named with the line it opened on" [ $rc = 1 ] && has "$err" "bad_quote.csv:4:" && has "$err" "never closed"

printf 'code,name,colour\nX1,Икс,red\n' >"$SCRATCH/cols.csv"
dd import districts "$SCRATCH/cols.csv"
check "an unknown column is named" [ $rc = 1 ] && has "$err" "cols.csv:1:" && has "$err" "colour"

printf 'code,name\nX9,Девятый\n' | { "$DUTYDESK" import districts - >"$SCRATCH/out" 2>&1; echo $? >"$SCRATCH/rc"; }
check "import reads standard input" [ "$(cat "$SCRATCH/rc")" = 0 ] && [ "$(sql "SELECT name FROM districts WHERE code = 'X9'")" = "Девятый" ]

dd import planets "$DATA/districts.csv"
check "an unknown kind is a usage error" [ $rc = 2 ] && has "$err" "unknown kind 'planets'"
dd import districts "$SCRATCH/nope.csv"
check "a missing file is a clear error" [ $rc = 1 ] && has "$err" "nope.csv"

sql "UPDATE users SET role = 'dispatcher' WHERE login = '$(id -un)'"
dd import districts "$DATA/districts.csv"
check "only an admin may import" [ $rc = 1 ] && has "$err" "needs the role admin"

done_testing
