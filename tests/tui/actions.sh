#!/usr/bin/env bash
# Actions in the console, checked on the screen and in the database: assign
# through the officer picker (typing a Cyrillic surname), undo within 30 s,
# a stale action refused, and an observer refused.
. "$(dirname "$0")/lib.sh"

make_demo
add_report PVL-07 "Соседи из кв. 12 сверлят ночью, просим участкового" 2
R=$id
pick_officer PVL-07
# a second officer (another district) for the change made behind the console's back
badge2=$(sql "SELECT badge FROM officers WHERE active AND NOT is_supervisor AND badge <> '$badge' ORDER BY badge DESC LIMIT 1")

console_start A 100x30
tcheck "the console opens" wait_for "$SITE"
tcheck "g goes to the new report #$R" goto "$R"
tcheck "its row shows no officer and the status new" eval 'wait_re "│#$R .*—       new"'

# assign through the picker
keys a
tcheck "a opens the officer picker for #$R" wait_for "Assign #$R to:"
tcheck "the picker lists the report's district officers first" \
	eval 'screen | sed -n 4p | grep -q "PVL-07"'
type_text "$typed"
tcheck "typing the surname in lower case ('$typed') leaves one officer: $badge" \
	eval 'wait_re "filter: $typed +\(1\)" && wait_re " $badge +$surname "'
keys Enter
tcheck "Enter assigns: the status line says assign done" wait_for "#$R: assign done (u undoes)"
tcheck "the row shows the officer's badge and the queued notification" \
	wait_re "│#$R .* $badge +assigned \[q\]"
tcheck "in the database #$R is assigned to $badge, version 2" \
	expect "status|officer|version" "$(status_of "$R")|$(officer_of "$R")|$(version_of "$R")" "assigned|$badge|2"
tcheck "the officer's notification is queued in the outbox" \
	expect "officer outbox rows" "$(sql "SELECT o.badge || ':' || x.state FROM outbox x JOIN officers o ON o.id = x.officer_id WHERE x.report_id = $R AND x.recipient = 'officer'")" "$badge:queued"
tcheck "the assign event names this login" \
	expect "last event" "$(sql "SELECT actor || ' ' || action FROM events WHERE report_id = $R ORDER BY id DESC LIMIT 1")" "user:$ME assign"

# undo within 30 s
keys u
tcheck "u undoes the assign and says so" wait_for "undid the assign of report #$R"
tcheck "the row shows no officer again" eval 'wait_re "│#$R .*—       new"'
tcheck "in the database #$R is new again with no officer" \
	expect "status|officer" "$(status_of "$R")|$(officer_of "$R")" "new|"
tcheck "its notifications were cancelled, not sent" \
	expect "outbox states" "$(sql "SELECT group_concat(DISTINCT state) FROM outbox WHERE report_id = $R")" "cancelled"
keys u
tcheck "a second u has nothing to undo" wait_for "nothing to undo"

# stale: the report changes while the dispatcher is choosing an officer
v0=$(version_of "$R")
keys a
tcheck "the picker is open again" wait_for "Assign #$R to:"
dd report assign "$R" "$badge2" --note "из другого терминала"
tcheck "meanwhile the CLI assigns #$R to $badge2" [ "$rc" = 0 ]
v1=$(version_of "$R")
type_text "$typed"
wait_re "filter: $typed +\(1\)" >/dev/null
keys Enter
tcheck "the console refuses: the report changed since it was read" wait_for "changed since you read it"
tcheck "the refusal names the versions and who changed it" \
	eval 'has "$(status_line)" "your version $v0, now $v1" && has "$(status_line)" "user:$ME did '"'"'assign'"'"'"'
tcheck "the database keeps the CLI's change" \
	expect "status|officer|version" "$(status_of "$R")|$(officer_of "$R")|$(version_of "$R")" "assigned|$badge2|$v1"
tcheck "no notification went to the officer picked in the console" \
	expect "outbox rows for $badge" "$(sql "SELECT count(*) FROM outbox x JOIN officers o ON o.id = x.officer_id WHERE x.report_id = $R AND o.badge = '$badge' AND x.state <> 'cancelled'")" "0"
tcheck "the view refreshed: the row shows $badge2" wait_re "│#$R .* $badge2 +assigned"
tcheck "the detail pane shows $badge2 too" wait_re "│ Officer: $badge2 "
keys u
tcheck "the refused action left nothing to undo" wait_for "nothing to undo"
tcheck "…and the CLI's change stands" expect "officer" "$(officer_of "$R")" "$badge2"

# a status change through the menu and the ':' command line
keys s
tcheck "s opens the status menu" wait_for " Status "
keys 1
tcheck "choosing 1 acknowledges" wait_for "#$R: acknowledge done"
tcheck "in the database #$R is acknowledged" expect "status" "$(status_of "$R")" "acknowledged"
keys :
type_text "priority 1"
keys Enter
tcheck ":priority 1 from the command line" wait_for "#$R: change priority done"
tcheck "in the database #$R has priority 1" expect "priority" "$(sql "SELECT priority FROM reports WHERE id = $R")" "1"

# tags and ';': one action for all tagged reports, and one undo for all
add_report PVL-07 "Во дворе дома по ул. Естая, 98 жгут листья" 2
T1=$id
add_report PVL-07 "В подъезде №1 курят, прошу принять меры" 2
T2=$id
tcheck "the new reports show" eval 'wait_re "│#$T1 " && wait_re "│#$T2 "'
goto "$T1"
keys t
tcheck "t tags #$T1 (its row is marked *)" wait_re "│\*$T1 "
goto "$T2"
keys t
tcheck "t tags #$T2" wait_re "│\*$T2 "
keys '\;'
tcheck "; says the next action goes to the 2 tagged" wait_for "next action goes to 2 tagged"
keys a
tcheck "the picker opens for the bulk assign" wait_for "to: (type to filter"
type_text "$typed"
wait_re "filter: $typed +\(1\)" >/dev/null
keys Enter
tcheck "assign is done for both" wait_for "assign: done for 2 tagged reports"
tcheck "both are assigned to $badge in the database" \
	expect "officers" "$(officer_of "$T1") $(officer_of "$T2")" "$badge $badge"
keys u
tcheck "u undoes both" wait_for "undid 2 actions"
tcheck "both are new again in the database" \
	expect "status" "$(status_of "$T1")|$(officer_of "$T1") $(status_of "$T2")|$(officer_of "$T2")" "new| new|"

# the other actions, each checked in the database
add_report PVL-07 "Собака без намордника во дворе дома по ул. Естая, 12" 3
X=$id
add_report PVL-07 "Собака без намордника во дворе, Естая 12 (повторно)" 3
Y=$id
tcheck "g goes to #$X" goto "$X"
keys n
tcheck "n asks for a note" wait_re "^Note:"
type_text "Позвонил заявителю, ждёт"
keys Enter
tcheck "the note is added" wait_for "#$X: add note done"
tcheck "the note is in the database with its author" \
	expect "note" "$(sql "SELECT author || ': ' || text FROM notes WHERE report_id = $X")" "user:$ME: Позвонил заявителю, ждёт"
tcheck "the detail pane lists the note" wait_re "│   .* user:$ME: Позвонил заявителю, ждёт"
keys p
tcheck "p opens the priority menu" wait_for " Priority "
keys 2
tcheck "choosing 2: high" eval 'wait_for "#$X: change priority done" && expect "priority" "$(sql "SELECT priority FROM reports WHERE id = $X")" 2'
keys c
tcheck "c opens the category menu" wait_for " Category "
keys 7
tcheck "choosing 7: other" eval 'wait_for "#$X: change category done" && expect "category" "$(sql "SELECT category FROM reports WHERE id = $X")" other'
keys :
type_text "move PVL-05"
keys Enter
tcheck ":move PVL-05 moves it to another district" \
	eval 'wait_for "#$X: move to district done" && expect "district" "$(sql "SELECT d.code FROM reports r JOIN districts d ON d.id = r.district_id WHERE r.id = $X")" PVL-05'
keys :
type_text "fly away"
keys Enter
tcheck "an unknown action on the command line is named" wait_for "unknown action 'fly'"
keys x
tcheck "x asks for a reason" wait_re "^Reject — the reason:"
keys Escape
tcheck "Esc cancels the rejection" eval 'wait_gone "Reject — the reason" && expect "status" "$(status_of "$X")" new'
tcheck "g goes to #$Y" goto "$Y"
keys d
tcheck "d asks for the original's number" wait_re "^Duplicate of report #"
type_text "$X"
keys Enter
tcheck "d marks #$Y a duplicate of #$X" \
	eval 'wait_for "#$Y: mark duplicate done" && expect "status|of" "$(status_of "$Y")|$(sql "SELECT duplicate_of FROM reports WHERE id = $Y")" "duplicate|$X"'
tcheck "the duplicate leaves the open queue" wait_gone "│#$Y "
tcheck "g goes to #$X" goto "$X"
keys x
wait_re "^Reject — the reason:" >/dev/null
type_text "Не относится к полиции: передано в акимат"
keys Enter
tcheck "x rejects with the reason" \
	eval 'wait_for "#$X: reject done" && expect "status|reason" "$(status_of "$X")|$(sql "SELECT reason FROM reports WHERE id = $X")" "rejected|Не относится к полиции: передано в акимат"'
tcheck "the rejected report leaves the open queue" wait_gone "│#$X "

keys q
tcheck "q quits" console_exited 0

# an observer browses but every action is read-only
sql "UPDATE users SET role = 'observer' WHERE login = '$ME'"
before=$(sql "SELECT version || '|' || status || '|' || coalesce(officer_id, '') FROM reports WHERE id = $R")
events=$(sql "SELECT count(*) FROM events")
outbox=$(sql "SELECT count(*) FROM outbox")
console_start B 100x30
TGT=B
tcheck "the observer's console opens and says the role" eval 'wait_for "$SITE" && wait_for "$ME (observer)"'
tcheck "the observer can move to #$R" goto "$R"
keys a
tcheck "a: read-only, and no picker" eval 'wait_for "read-only: $ME is an observer" && ! screen | grep -q "Assign #"'
# C-l (redraw) clears the status line, so each refusal below is a new one
for k in s n u x p; do
	keys C-l
	wait_gone "read-only" >/dev/null
	keys "$k"
	tcheck "$k: read-only too" eval 'wait_for "read-only: $ME is an observer" && ! screen | grep -qE " (Status|Priority) |Note:|Reject"'
done
keys Enter
tcheck "the observer may read the report in the pager" wait_for " Report #$R"
keys q
tcheck "nothing changed in the database" \
	expect "report|events|outbox" "$(sql "SELECT version || '|' || status || '|' || coalesce(officer_id, '') FROM reports WHERE id = $R")|$(sql "SELECT count(*) FROM events")|$(sql "SELECT count(*) FROM outbox")" "$before|$events|$outbox"
keys q
console_exited 0 >/dev/null

# a login that is not a dutydesk user at all: read-only, told how to fix it
sql "DELETE FROM users WHERE login = '$ME'"
console_start C 100x30
TGT=C
tcheck "an unknown login's console opens read-only and says why" \
	eval 'wait_for "$ME (read-only)" && wait_for "read-only: '"'$ME'"' is not a dutydesk user"'
keys a
tcheck "a: refused, saying an admin can add the login" \
	wait_for "read-only: '$ME' is not a user; an admin runs: dutydesk user add $ME"
tcheck "nothing changed in the database" \
	expect "events|outbox" "$(sql "SELECT count(*) FROM events")|$(sql "SELECT count(*) FROM outbox")" "$events|$outbox"

done_testing
