#!/usr/bin/env bash
# The demo city: shape, determinism, and the issue's "done when" path.
. "$(dirname "$0")/lib.sh"

export DUTYDESK_NOW=2026-11-30T09:00:00+05:00
dd gateway --listen 127.0.0.1:0
check "the gateway refuses a demo city: its made-up numbers look real" [ $rc = 1 ] && has "$err" "holds a demo city" && has "$err" "--allow-demo"

dd demo --no-console --reports 1000
check "demo builds a city" [ $rc = 0 ] && has "$out" "1000 reports"
check "25 districts" [ "$(sql 'SELECT count(*) FROM districts')" = 25 ]
check "122 district officers" [ "$(sql 'SELECT count(*) FROM officers WHERE NOT is_supervisor')" = 122 ]
check "130 housing cooperatives, 20 pawnshops, 10 bookmakers" \
	[ "$(sql "SELECT group_concat(kind||'='||n) FROM (SELECT kind, count(*) n FROM organisations GROUP BY kind ORDER BY kind)")" = "bookmaker=10,ksk=130,pawnshop=20" ]
check "every status is present" [ "$(sql 'SELECT count(DISTINCT status) FROM reports')" = 8 ]
check "every category is present" [ "$(sql 'SELECT count(DISTINCT category) FROM reports')" = 7 ]

dd report list --format json
check "report list --format json prints all 1000 reports" [ $rc = 0 ] && [ "$(printf '%s' "$out" | grep -c '^    "id": ')" = 1000 ]

id=$(sql "SELECT id FROM reports WHERE status = 'new' AND district_id IS NOT NULL ORDER BY id LIMIT 1")
v=$(sql "SELECT version FROM reports WHERE id = $id")
badge=$(sql "SELECT o.badge FROM officers o JOIN reports r ON r.district_id = o.district_id WHERE r.id = $id AND o.active AND NOT o.is_supervisor LIMIT 1")
events=$(sql "SELECT count(*) FROM events")
dd report assign "$id" "$badge" --expect-version "$v"
check "assign on a demo report" [ $rc = 0 ] && [ "$(sql "SELECT status FROM reports WHERE id = $id")" = assigned ]
check "one audit event more" [ "$(sql "SELECT count(*) FROM events")" = $((events + 1)) ]
check "a queued notification to the officer" [ "$(sql "SELECT count(*) FROM outbox WHERE report_id = $id AND recipient = 'officer' AND state = 'queued'")" = 1 ]
dd report assign "$id" "$badge" --expect-version "$v"
check "the same command again, now stale, is refused" [ $rc = 1 ] && has "$err" "changed since you read it"

dd gateway --listen 127.0.0.1:0
check "the gateway refuses a demo city: its made-up numbers look real" [ $rc = 1 ] && has "$err" "holds a demo city" && has "$err" "--allow-demo"

dd demo --no-console --reports 10
check "demo refuses a database that already holds a city" [ $rc = 1 ] && has "$err" "already"

# same seed, same city
a=$SCRATCH/a.db b=$SCRATCH/b.db c=$SCRATCH/c.db
"$DUTYDESK" --db "$a" demo --no-console --reports 300 --seed 7 >/dev/null
"$DUTYDESK" --db "$b" demo --no-console --reports 300 --seed 7 >/dev/null
"$DUTYDESK" --db "$c" demo --no-console --reports 300 --seed 8 >/dev/null
q="SELECT group_concat(id||status||category||coalesce(district_id,'')||text, '') FROM (SELECT * FROM reports ORDER BY id)"
check "the same seed gives the same reports" [ "$(sqlite3 "$a" "$q" | md5sum)" = "$(sqlite3 "$b" "$q" | md5sum)" ]
check "another seed gives other reports" [ "$(sqlite3 "$a" "$q" | md5sum)" != "$(sqlite3 "$c" "$q" | md5sum)" ]

done_testing
