#!/usr/bin/env bash
# The console on the demo city, in a real terminal (tmux, 100x30): what it
# opens with (header, sidebar counts, the queue), moving, the pager, the
# help, the sidebar, limits (good, bad, saved), PgDn/PgUp, the order, go to,
# the detail pane on and off, a search in Cyrillic, resizing down to 60x16
# and below (also while the pager is open), quitting.
. "$(dirname "$0")/lib.sh"

make_demo
OPEN="'new','assigned','acknowledged','on_site'"
# a few more new reports, so that ~u has rows to show
add_report PVL-02 "Во дворе дома по ул. Кутузова, 10 жгут мусор" 3
add_report PVL-05 "В подъезде №2 курят, запах на всех этажах" 2
add_report PVL-11 "Шумят соседи сверху, кв. 45" 4
n_new=$(sql "SELECT count(*) FROM reports WHERE status = 'new'")
n_work=$(sql "SELECT count(*) FROM reports WHERE status IN ('assigned','acknowledged','on_site')")

t_start=$(date +%s%3N)
console_start A 100x30
tcheck "the console opens with the site name in the header" wait_for "$SITE"
scr=$(screen)
head=$(printf '%s\n' "$scr" | head -n 1)
tcheck "the header names the login and its role" has "$head" "$ME (admin)"
tcheck "the header counts the new reports as in the database (new $n_new)" has "$head" "new $n_new "
tcheck "the header says the gateway's state" has "$head" "gateway never started"

tcheck "the sidebar lists All with new/in work counts from the database" \
	wait_re "^All +$n_new/$n_work/[0-9]+│"
tcheck "the sidebar lists Unrouted" has "$scr" "Unrouted"
# every district's counts: new / in work / overdue (new for over 30 min,
# or open for over 120 min: the defaults)
# (a report may cross a threshold between the console's count and ours: the
# counts as of the console's start or as of now both do)
counts_at() {
	local now=$1
	sql "SELECT d.code || ' ' || coalesce(sum(r.status = 'new'), 0) || '/' ||
	coalesce(sum(r.status IN ('assigned','acknowledged','on_site')), 0) || '/' ||
	coalesce(sum((r.status = 'new' AND r.received_at < $now - 1800000) OR r.received_at < $now - 7200000), 0)
	FROM districts d LEFT JOIN reports r ON r.district_id = d.id AND r.status IN ($OPEN)
	GROUP BY d.code ORDER BY d.code" | tr '\n' ' '
}
overdue_at() {
	sql "SELECT count(*) FROM reports WHERE status IN ($OPEN) AND
		((status = 'new' AND received_at < $1 - 1800000) OR received_at < $1 - 7200000)"
}
got=$(printf '%s\n' "$scr" | sed -nE 's/^(PVL-[0-9]+) .* ([0-9]+\/[0-9]+\/[0-9]+)│.*/\1 \2/p' | tr '\n' ' ')
now=$(date +%s%3N)
tcheck "the sidebar counts new/in work/overdue per district as in the database" \
	eval '[ "$got" = "$(counts_at "$t_start")" ] || expect "counts" "$got" "$(counts_at "$now")"'
tcheck "the header counts the overdue reports" \
	eval 'printf "%s\n" "$head" | grep -qE "overdue ($(overdue_at "$t_start")|$(overdue_at "$now"))( |\$)" ||
		{ why="header: $head; overdue in the database: $(overdue_at "$now")"; false; }'
missing=""
for code in $(sql "SELECT code FROM districts ORDER BY code"); do
	printf '%s\n' "$scr" | grep -q "^$code " || missing="$missing $code"
done
tcheck "the sidebar lists every district code" expect "districts missing from the sidebar" "$missing" ""

# the queue: open reports, most urgent first, then oldest
ids=($(queue_ids "$scr"))
h=${#ids[@]}
# the queue's height: the rows between its title line and the detail pane's rule
qh=$(($(printf '%s\n' "$scr" | grep -n '│───' | head -1 | cut -d: -f1) - 3))
want=$(sql "SELECT id FROM reports WHERE status IN ($OPEN) ORDER BY priority, received_at, id LIMIT $qh" | tr '\n' ' ')
tcheck "the queue shows report numbers" [ "$h" -ge 5 ]
tcheck "the queue holds the open reports, urgent then oldest first" expect "queue" "${ids[*]} " "$want"
tcheck "the column titles show at 100 columns" has "$scr" "OFFICER STATUS"
tcheck "the detail pane shows the report under the cursor" wait_detail "${ids[0]}"
first_text=$(sql "SELECT substr(text, 1, 20) FROM reports WHERE id = ${ids[0]}")
tcheck "the detail pane holds the report's text" wait_for "$first_text"

# moving: vi keys and arrows; the detail pane follows
keys j
tcheck "j moves down: the detail pane shows the second report" wait_detail "${ids[1]}"
keys Down
tcheck "Down moves down: the third report" wait_detail "${ids[2]}"
keys k
tcheck "k moves up: the second report" wait_detail "${ids[1]}"
keys Up
tcheck "Up moves up: the first report" wait_detail "${ids[0]}"
keys Up
tcheck "Up on the first row stays there" wait_detail "${ids[0]}"
keys End
last=$(sql "SELECT id FROM reports WHERE status IN ($OPEN) ORDER BY priority DESC, received_at DESC, id DESC LIMIT 1")
tcheck "End goes to the last open report" wait_detail "$last"
keys Home
tcheck "Home goes back to the first" wait_detail "${ids[0]}"
keys j j

# the pager
keys Enter
tcheck "Enter opens the pager with 'Report #N' on top" wait_re "^ Report #${ids[2]} *$"
scr=$(screen)
r2_text=$(sql "SELECT substr(text, 1, 20) FROM reports WHERE id = ${ids[2]}")
tcheck "the pager shows the report's text and history" eval 'has "$scr" "$r2_text" && has "$scr" "History:"'
tcheck "the pager's foot says how to close it" has "$(status_line "$scr")" "q to close"
keys q
tcheck "q closes the pager: the queue is back on the same report" eval 'wait_gone " Report #" && wait_detail "${ids[2]}"'

# help, from the action table
keys '?'
tcheck "? shows the help" wait_for "dutydesk — help"
scr=$(screen)
tcheck "the help lists assign with its key and help line" \
	eval 'printf "%s\n" "$scr" | grep -qE "^  a +assign +assign or reassign to an officer"'
tcheck "the help lists limit with its key" eval 'printf "%s\n" "$scr" | grep -qE "^  l +limit +limit the queue"'
keys q
tcheck "q leaves the help" eval 'wait_gone "dutydesk — help" && wait_for "a assign"'

# the sidebar narrows the queue
keys Tab
tcheck "Tab moves to the sidebar (its hints show)" wait_for "Tab queue"
keys j
n_unrouted=$(sql "SELECT count(*) FROM reports WHERE status IN ($OPEN) AND district_id IS NULL")
if [ "$n_unrouted" = 0 ]; then
	tcheck "Unrouted: no open unrouted reports, and the queue says so" wait_for "(no reports here)"
else
	tcheck "Unrouted: the queue shows reports" wait_re "│#[0-9]+ "
fi
# the first district (in the sidebar's order) with open reports: which
# districts have some depends on the hour the demo was built at
read -r code1 rank <<<"$(sql "SELECT code, (SELECT count(*) FROM districts e WHERE e.code < d.code)
	FROM districts d WHERE EXISTS (SELECT 1 FROM reports r WHERE r.district_id = d.id AND status IN ($OPEN))
	ORDER BY code LIMIT 1" | tr '|' ' ')"
want=$(sql "SELECT r.id FROM reports r JOIN districts d ON d.id = r.district_id WHERE d.code = '$code1' AND status IN ($OPEN) ORDER BY priority, received_at, r.id" | tr '\n' ' ')
for ((i = 0; i <= rank; i++)); do keys j; done
tcheck "district $code1 in the sidebar ($((rank + 3))th entry) shows its first report" wait_re "│#${want%% *} "
ids_d=($(queue_ids))
tcheck "district $code1 in the sidebar: the queue shows its open reports only" expect "queue" "${ids_d[*]} " "$want"
keys Home Tab
tcheck "Home goes back to All; Tab back to the queue" eval 'wait_for "a assign" && wait_re "│#${ids[0]} "'

# a limit: ~u shows the unassigned reports; the queue stays on open
# reports unless the limit names statuses (~s)
keys l
tcheck "l asks for a limit" wait_re "^Limit:"
type_text "~u"
keys Enter
tcheck "the limit shows in the status line" wait_for "[~u]"
scr=$(screen)
ids_u=($(queue_ids "$scr"))
want=$(sql "SELECT id FROM reports WHERE officer_id IS NULL AND status IN ($OPEN) ORDER BY priority, received_at, id LIMIT $qh" | tr '\n' ' ')
tcheck "~u: the rows are the open unassigned reports, in queue order" expect "queue" "${ids_u[*]} " "$want"
tcheck "~u: there are several" [ "${#ids_u[@]}" -ge 4 ]
bad=""
for i in "${ids_u[@]}"; do
	row=$(row_of "$i" "$scr")
	printf '%s\n' "$row" | grep -qE '—       [a-z]' || bad="$bad #$i"
done
tcheck "~u: every visible row shows no officer (—)" expect "rows with an officer" "$bad" ""
assigned=$(sql "SELECT group_concat(id) FROM reports WHERE officer_id IS NOT NULL AND id IN ($(IFS=,; echo "${ids_u[*]:-0}"))")
tcheck "~u: none of the rows shown has an officer in the database" expect "assigned" "$assigned" ""

# ~s names statuses: closed reports, many pages of them; PgDn and PgUp
keys l C-u
type_text "~s closed"
keys Enter
tcheck "~s closed: the limit shows" wait_for "[~s closed]"
scr=$(screen)
want=$(sql "SELECT id FROM reports WHERE status = 'closed' ORDER BY priority, received_at, id LIMIT $qh" | tr '\n' ' ')
tcheck "~s closed: the rows are the closed reports, in queue order, a full page" \
	expect "queue" "$(queue_ids "$scr" | tr '\n' ' ')" "$want"
keys PageDown
tcheck "PgDn moves the cursor a page down" \
	wait_detail "$(sql "SELECT id FROM reports WHERE status = 'closed' ORDER BY priority, received_at, id LIMIT 1 OFFSET $qh")"
tcheck "…and the cursor's row is on the screen" eval 'wait_re "│#$(detail_id) "'
keys PageUp
tcheck "PgUp moves it back to the first" wait_detail "${want%% *}"
keys l C-u
type_text "~u"
keys Enter
wait_for "[~u]" >/dev/null

# a bad pattern: the parser's message, and the limit stays
keys l
tcheck "l again offers the current limit to edit" wait_for "Limit: ~u"
keys C-u
type_text "~s nw"
keys Enter
tcheck "a bad limit says where and what is wrong in the status line" \
	eval 'wait_for "column 4: unknown status '"'"'nw'"'"'" && has "$(status_line "$scr")" "column 4"'
tcheck "after a bad limit the queue keeps the old one" expect "queue" "$(queue_ids | tr '\n' ' ')" "$(printf '%s ' "${ids_u[@]}")"
keys l C-u
type_text "~x"
keys Enter
tcheck "an unknown ~ operator is named" wait_re "column [0-9]+: .*~x"
keys l C-u Enter
tcheck "an empty limit clears it: the open queue is back" eval 'wait_gone "[~u]" && wait_re "│#${ids[0]} "'

# a limit saved to the sidebar, and picked from there
keys l C-u
type_text "~d PVL-02"
keys Enter
tcheck "~d PVL-02: the limit shows" wait_for "[~d PVL-02]"
ids_l=$(queue_ids | tr '\n' ' ')
keys L
tcheck "L asks for a name for the limit" wait_re "^Save the limit as:"
type_text "Усольский участок"
keys Enter
tcheck "L saves it and says so" wait_for "saved to the sidebar"
tcheck "the saved limit shows in the sidebar" wait_re "^= Усольский участок +│"
keys l C-u Enter
wait_gone "[~d PVL-02]" >/dev/null
keys Tab End
tcheck "picking the saved limit in the sidebar applies it" \
	eval 'wait_for "[~d PVL-02]" && [ "$(queue_ids | tr "\n" " ")" = "$ids_l" ]'
keys Home Tab
keys l C-u Enter
tcheck "back to All with no limit" eval 'wait_gone "[~d PVL-02]" && wait_re "│#${ids[0]} "'

# the order: urgency, newest, oldest
keys o
tcheck "o: newest first" eval 'wait_for "order: newest first" && wait_re "│#$(sql "SELECT id FROM reports WHERE status IN ($OPEN) ORDER BY received_at DESC, id DESC LIMIT 1") "'
keys o
tcheck "o again: oldest first" eval 'wait_for "order: oldest first" && wait_re "│#$(sql "SELECT id FROM reports WHERE status IN ($OPEN) ORDER BY received_at, id LIMIT 1") "'
keys o
tcheck "o again: back to urgency" eval 'wait_for "order: urgency" && [ "$(queue_ids | head -1)" = "${ids[0]}" ]'

# g: a report not in the queue
keys g
wait_re "^Go to report #" >/dev/null
type_text "99999"
keys Enter
tcheck "g 99999: no such report, says so" wait_for "no report #99999"
closed1=$(sql "SELECT min(id) FROM reports WHERE status = 'closed'")
keys g
wait_re "^Go to report #" >/dev/null
type_text "$closed1"
keys Enter
wait_gone "Go to report #" >/dev/null
tcheck "g to a closed report (outside the open queue) opens it in the pager" eval 'WAIT_S=1 wait_for " Report #$closed1"'
screen | grep -q "^ Report #" && keys q
tcheck "…and q comes back to the queue" eval 'wait_gone " Report #" && wait_for "a assign"'
keys Home

# v hides and shows the detail pane
keys v
tcheck "v hides the detail pane" eval '_no_detail() { [ -z "$(detail_id "$scr")" ]; }; _poll _no_detail x'
keys v
tcheck "v shows it again" wait_detail "${ids[0]}"

# search in Cyrillic
word="подъезд"
keys /
tcheck "/ asks for words to search" wait_re "^Search:"
type_text "${word}щщ"
keys BSpace BSpace
tcheck "Backspace takes back whole Cyrillic letters" wait_re "^Search: $word *$"
keys Enter
tcheck "the search says what it searched for" wait_for "search: $word"
scr=$(screen)
ids_s=($(queue_ids "$scr"))
tcheck "the search finds reports" [ "${#ids_s[@]}" -ge 3 ]
bad=""
for i in "${ids_s[@]}"; do
	sql "SELECT text || ' ' || coalesce(address, '') FROM reports WHERE id = $i" | grep -qi -- "$word" || bad="$bad #$i"
done
tcheck "every report found holds '$word' (in the database)" expect "reports without it" "$bad" ""
keys Enter
tcheck "the first one found opens in the pager and shows the word" \
	eval 'wait_for " Report #${ids_s[0]}" && screen | grep -qi -- "$word"'
keys q
keys /
wait_re "^Search:" >/dev/null
keys Enter
tcheck "an empty search clears it" wait_re "│#${ids[0]} "

# resizing: 60x16 works, smaller says so, and it comes back
T resize-window -t A -x 80 -y 24
tcheck "at 80x24 the queue is drawn, without the detail pane" \
	eval 'wait_for "OFFICER STATUS" && wait_re "│#${ids[0]} " && [ -z "$(detail_id)" ]'
T resize-window -t A -x 200 -y 40
tcheck "at 200x40 the detail pane sits right of the queue, on the cursor's report" \
	wait_re "OFFICER STATUS +│ #${ids[0]}  "
tcheck "at 200x40 the queue (86 columns) shows the district and sender too" \
	wait_re "│# +AGE +P DISTR +FROM +TEXT +OFFICER STATUS"
T resize-window -t A -x 60 -y 16
tcheck "at 60x16 the header and queue are still drawn" \
	eval 'wait_re "^ Павлодар" && wait_re "│#${ids[0]} +[0-9]+[smhdw]"'
scr=$(screen)
tcheck "at 60x16 the status line still shows keys" has "$(status_line "$scr")" "a assign"
T resize-window -t A -x 50 -y 12
tcheck "at 50x12 the console says the terminal is too small" wait_for "terminal too small: 50x12"
keys j
T resize-window -t A -x 100 -y 30
tcheck "back at 100x30 the console is whole again" \
	eval 'wait_gone "terminal too small" && wait_for "$SITE" && wait_re "│#${ids[0]} " && wait_for "a assign"'
tcheck "the detail pane is back, on the cursor's report" wait_detail "${ids[0]}"

_foot_at() { printf '%s\n' "$scr" | sed -n "$1p" | grep -q "q to close"; }
_foot_on() { _poll _foot_at "$1" || { why="no pager foot on line $1"; false; }; }
# a resize while the pager is open (the console is not reading its own
# keys then): back in the queue, the page fits the new size
keys l C-u
type_text "~s closed"
keys Enter
wait_for "[~s closed]" >/dev/null
closed=($(sql "SELECT id FROM reports WHERE status = 'closed' ORDER BY priority, received_at, id LIMIT 40"))
keys Enter
wait_for " Report #${closed[0]}" >/dev/null
T resize-window -t A -x 100 -y 50
tcheck "the pager redraws at 100x50 (its foot on line 50)" eval '_foot_on 50'
keys q
wait_gone " Report #" >/dev/null
qh50=$(($(screen | grep -n '│───' | head -1 | cut -d: -f1) - 3))
wait_for "a assign" >/dev/null
tcheck "grown to 100x50 in the pager, the queue fills its $qh50 rows" \
	eval 'local WAIT_S=1; _rows_are() { [ "$(queue_ids "$scr" | wc -l)" = "$1" ]; }; _poll _rows_are "$qh50" ||
		{ why="the queue shows $(queue_ids | wc -l) rows"; false; }'
for _ in $(seq 20); do keys j; done
tcheck "at 100x50, 20 rows down" wait_detail "${closed[20]}"
keys Enter
wait_for " Report #${closed[20]}" >/dev/null
T resize-window -t A -x 100 -y 30
tcheck "the pager redraws at 100x30 (its foot on line 30)" eval '_foot_on 30'
keys q
wait_gone " Report #" >/dev/null
wait_for "a assign" >/dev/null
tcheck "shrunk to 100x30 in the pager, the cursor's report is still in view" \
	eval 'local WAIT_S=1; wait_detail "${closed[20]}" && wait_re "│#${closed[20]} "'

# quitting
keys q
tcheck "q quits the console with status 0" console_exited 0

done_testing
