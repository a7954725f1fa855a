#!/usr/bin/env bash
# The report commands on a real database: add, list, show, assign, set,
# stale versions and roles.
. "$(dirname "$0")/lib.sh"
me=$(id -un)

dd init
dd import districts "$DATA/districts.csv"
check "districts imported" [ $rc = 0 ]
dd import officers "$DATA/officers.csv"
check "officers imported" [ $rc = 0 ]
dd import orgs "$DATA/orgs.csv"
dd import reporters "$DATA/reporters.csv"
check "orgs and reporters imported" [ $rc = 0 ]

district=$(sql "SELECT code FROM districts ORDER BY code LIMIT 1")
badge=$(sql "SELECT o.badge FROM officers o JOIN districts d ON d.id = o.district_id WHERE d.code = '$district' AND o.active AND NOT o.is_supervisor ORDER BY o.badge LIMIT 1")
badge2=$(sql "SELECT o.badge FROM officers o WHERE o.active AND NOT o.is_supervisor AND o.badge <> '$badge' ORDER BY o.badge LIMIT 1")
rphone=$(sql "SELECT phone FROM reporters WHERE phone IS NOT NULL ORDER BY id LIMIT 1")

dd report add --district "$district" --category smoking --text "В подъезде №3 курят подростки" --priority 2 --reporter "$rphone"
check "report add prints the new id" [ $rc = 0 ] && [ "$out" -gt 0 ]
id=$out
check "the row is new with its district, category and priority" \
	[ "$(sql "SELECT r.status||'|'||d.code||'|'||r.category||'|'||r.priority FROM reports r JOIN districts d ON d.id = r.district_id WHERE r.id = $id")" = "new|$district|smoking|2" ]
check "a create event was written" [ "$(sql "SELECT action FROM events WHERE report_id = $id")" = create ]

dd report add --district NOPE --category smoking --text x
check "an unknown district is refused" [ $rc = 1 ] && has "$err" "district 'NOPE' does not exist"
dd report add --district "$district" --category parking --text x
check "an unknown category is refused" [ $rc = 1 ] && has "$err" "unknown category 'parking'"
dd report add --district "$district" --category smoking
check "missing --text is a usage error" [ $rc = 2 ]

dd report list --format json
check "report list --format json prints the report with the contract's keys" [ $rc = 0 ] &&
	has "$out" "\"id\": $id" && has "$out" '"status": "new"' && has "$out" "\"district\": \"$district\"" &&
	has "$out" '"category": "smoking"' && has "$out" '"priority": 2' && has "$out" '"channel": "desk"' &&
	has "$out" '"external_id": null' && has "$out" "\"reporter\": \"$rphone\"" && has "$out" '"officer": null' &&
	has "$out" '"version": 1' && has "$out" '+05:00"' && has "$out" 'курят подростки'

dd report assign "$id" "$badge" --expect-version 1 --note "срочно"
check "assign succeeds and says to whom" [ $rc = 0 ] && has "$out" "assigned to $badge" && has "$out" "version 2"
check "the row is assigned to the officer, version 2" \
	[ "$(sql "SELECT r.status||'|'||o.badge||'|'||r.version FROM reports r JOIN officers o ON o.id = r.officer_id WHERE r.id = $id")" = "assigned|$badge|2" ]
check "an assign event records before and after" \
	[ "$(sql "SELECT actor||'|'||action FROM events WHERE report_id = $id ORDER BY id DESC LIMIT 1")" = "user:$me|assign" ]
check "the officer's notification is queued with the report number" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE report_id = $id AND recipient = 'officer' AND state = 'queued' AND body LIKE '%#$id%'")" = 1 ]
check "the reporter's notification is queued" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE report_id = $id AND recipient = 'reporter' AND state = 'queued'")" = 1 ]
check "the note was kept" [ "$(sql "SELECT text FROM notes WHERE report_id = $id")" = "срочно" ]

# stale: the row is now version 2; acting on version 1 is refused
dd report assign "$id" "$badge2" --expect-version 1
check "a stale version is refused naming who changed it and how" [ $rc = 1 ] &&
	has "$err" "changed since you read it" && has "$err" "your version 1, now 2" && has "$err" "user:$me did 'assign'"
check "nothing changed after the stale refusal" \
	[ "$(sql "SELECT o.badge||'|'||r.version FROM reports r JOIN officers o ON o.id = r.officer_id WHERE r.id = $id")" = "$badge|2" ]
check "no notification was queued by the refusal" [ "$(sql "SELECT count(*) FROM outbox WHERE report_id = $id")" = 2 ]

dd report set "$id" closed
check "a transition not allowed from assigned is refused" [ $rc = 1 ] && has "$err" "cannot close report #$id: it is assigned"
dd report set "$id" acknowledged --expect-version 2
check "acknowledge" [ $rc = 0 ] && [ "$(sql "SELECT status FROM reports WHERE id = $id")" = acknowledged ]
dd report set "$id" on_site
dd report set "$id" resolved
check "resolve queues the reporter's answer" [ $rc = 0 ] &&
	[ "$(sql "SELECT count(*) FROM outbox WHERE report_id = $id AND recipient = 'reporter' AND kind = 'resolved'")" = 1 ]
dd report set "$id" closed
check "close" [ $rc = 0 ] && [ "$(sql "SELECT status FROM reports WHERE id = $id")" = closed ]

# roles: a dispatcher may not reopen; an observer may not act at all
sql "UPDATE users SET role = 'dispatcher' WHERE login = '$me'"
dd report set "$id" reopen
check "a dispatcher may not reopen" [ $rc = 1 ] && has "$err" "needs the role supervisor"
sql "UPDATE users SET role = 'supervisor' WHERE login = '$me'"
dd report set "$id" reopen
check "a supervisor reopens to assigned (the officer stays)" [ $rc = 0 ] && [ "$(sql "SELECT status FROM reports WHERE id = $id")" = assigned ]

sql "UPDATE users SET role = 'observer' WHERE login = '$me'"
v=$(sql "SELECT version FROM reports WHERE id = $id")
dd report assign "$id" "$badge2"
check "an observer's assign is refused" [ $rc = 1 ] && has "$err" "needs the role dispatcher" && has "$err" "is observer"
check "the observer changed nothing" [ "$(sql "SELECT version FROM reports WHERE id = $id")" = "$v" ]
dd report list
check "an observer may read" [ $rc = 0 ] && has "$out" "$id"
sql "DELETE FROM users WHERE login = '$me'"
dd report set "$id" resolved
check "an unknown login is told how an admin adds it" [ $rc = 1 ] && has "$err" "is not a dutydesk user" && has "$err" "dutydesk user add $me"
sql "INSERT INTO users(login, role, created_at) VALUES ('$me', 'admin', 0)"

# reject needs a reason; duplicate needs --of
id2=$("$DUTYDESK" report add --district "$district" --category noise --text "Шумят соседи")
dd report set "$id2" rejected
check "reject without a reason is refused" [ $rc = 1 ] && has "$err" "a reason is required"
dd report set "$id2" rejected --note "не наша подведомственность"
check "reject with a reason" [ $rc = 0 ] && [ "$(sql "SELECT reason FROM reports WHERE id = $id2")" = "не наша подведомственность" ]
id3=$("$DUTYDESK" report add --district "$district" --category noise --text "Шумят соседи снова")
dd report set "$id3" duplicate --of "$id"
check "duplicate of another report" [ $rc = 0 ] && [ "$(sql "SELECT status||'|'||duplicate_of FROM reports WHERE id = $id3")" = "duplicate|$id" ]
dd report set "$id3" duplicate --of "$id3"
check "a report is not a duplicate of itself" [ $rc = 1 ]

# show
dd report show "$id"
check "report show lists history and notifications" [ $rc = 0 ] && has "$out" "Report #$id" && has "$out" "History:" &&
	has "$out" "assign" && has "$out" "Notifications:" && has "$out" "курят подростки"
dd report show "$id" --format json
check "report show --format json carries events and notifications" [ $rc = 0 ] &&
	has "$out" '"events"' && has "$out" '"notifications"' && has "$out" '"action": "reopen"'
dd report show 999999
check "an unknown report is a clear error" [ $rc = 1 ] && has "$err" "no report #999999"

# filters
dd report list --status rejected --format csv
check "list by status in CSV" [ $rc = 0 ] && has "$out" "$id2,rejected" && hasnt "$out" "$id3,duplicate"
dd report list --search "ПОДРОСТКИ"
check "full-text search is case-insensitive in Cyrillic" [ $rc = 0 ] && has "$out" "курят подростки"
dd report list --search 'x" OR "' --format json
check "search text is never taken as FTS syntax" [ $rc = 0 ] && [ "$out" = "[]" ]

# untrusted text reaches the terminal cleaned
evil=$(printf 'Evil\033]52;c;SGVsbG8=\007 \033[2J\xe2\x80\xae txt')
id4=$("$DUTYDESK" report add --district "$district" --category other --text "$evil")
dd report list --limit 1
check "escape sequences and bidi overrides are shown as placeholders" [ $rc = 0 ] && has "$out" "^[]52;c;" && has "$out" "<U+202E>"
check "no raw ESC or BEL reaches the table output" bash -c "! grep -q \$'[\\033\\007]' '$SCRATCH/out'"
dd report show "$id4"
check "report show cleans the text too" bash -c "! grep -q \$'[\\033\\007]' '$SCRATCH/out'"

# district, officer, reporter lists
dd district list --format json
check "district list as JSON" [ $rc = 0 ] && has "$out" "\"code\": \"$district\""
dd officer list --district "$district" --format json
check "officer list carries the contract's keys" [ $rc = 0 ] && has "$out" "\"badge\": \"$badge\"" &&
	has "$out" '"on_duty"' && has "$out" '"open"' && has "$out" '"telegram_id"' && has "$out" '"phone"'
dd officer list --district NOPE
check "officer list of an unknown district is an error" [ $rc = 1 ] && has "$err" "district 'NOPE' does not exist"
dd reporter list --format csv
check "reporter list as CSV" [ $rc = 0 ] && has "$out" "$rphone"

# the console placeholder prints the open queue
dd
check "no command prints the open queue" [ $rc = 0 ] && has "$out" "open reports" && has "$out" "$id"

# the audit chain still verifies after all of this
dd check
check "the audit chain verifies" [ $rc = 0 ] && has "$out" "chain intact"

# limit patterns, as in the console
ids() { printf '%s\n' "$out" | tail -n +2 | cut -d, -f1 | tr '\n' ' ' | sed 's/ $//'; }
dd report list --pattern "~d $district ~s open ~o $badge" --format csv
check "--pattern selects by district, status and officer" [ $rc = 0 ] && [ "$(ids)" = "$id" ]
dd report list --pattern '~c NOISE (~s rejected | ~s duplicate) ШУМЯТ' --format csv
check "--pattern with | and full-text words" [ $rc = 0 ] && [ "$(ids)" = "$id3 $id2" ]
dd report list --pattern '~s nw'
check "a bad pattern is a usage error naming the column" [ $rc = 2 ] &&
	has "$err" "dutydesk report list: column 4: unknown status 'nw' (new, assigned,"

done_testing
