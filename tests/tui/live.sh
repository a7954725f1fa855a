#!/usr/bin/env bash
# Two consoles on one database: what one does, the other shows within a
# second without a key pressed, keeping its cursor on its report; a report
# arriving from elsewhere shows in both.
. "$(dirname "$0")/lib.sh"

ms() { date +%s%3N; }

# wait_ms TEST ARG LIMIT_MS: polls the screen of $TGT every 0.05 s; sets
# $took to the milliseconds from $t0 until TEST held.
wait_ms() {
	_last_tgt=$TGT
	local test=$1 arg=$2 limit=$3 i
	for ((i = 0; i < 100; i++)); do
		scr=$(screen)
		if "$test" "$arg"; then
			took=$(($(ms) - t0))
			[ "$took" -le "$limit" ] && return 0
			why="$TGT showed it after $took ms, more than $limit"
			return 1
		fi
		sleep 0.05
	done
	why="$TGT did not show /$arg/ within 5 s"
	return 1
}

make_demo
add_report PVL-03 "Во дворе дома по ул. Естая, 40 ночью шумит компания, бьют бутылки" 2
R=$id
pick_officer PVL-03


console_start A 100x30
console_start B 100x30
tcheck "console A opens" eval 'TGT=A wait_for "$SITE"'
tcheck "console B opens" eval 'TGT=B wait_for "$SITE"'
tcheck "A goes to #$R" eval 'TGT=A goto "$R"'
tcheck "B goes to #$R" eval 'TGT=B goto "$R"'
tcheck "B shows #$R unassigned" eval 'TGT=B wait_re "│#$R .*—       new"'

# A assigns; B is not touched
TGT=A keys a
tcheck "A's picker is open" eval 'TGT=A wait_for "Assign #$R to:"'
TGT=A type_text "$typed"
tcheck "A's picker filters to $badge" eval 'TGT=A wait_re " $badge +$surname "'
t_enter=$(ms)
TGT=A keys Enter
# from the moment the assignment is in the database
for _ in $(seq 250); do
	[ "$(status_of "$R")" = assigned ] && break
	sleep 0.02
done
t0=$(ms)
echo "# A stored the assignment $((t0 - t_enter)) ms after Enter"
tcheck "B shows #$R assigned to $badge within a second, no key pressed" \
	eval 'TGT=B wait_ms _has_re "│#$R .* $badge +assigned" 1000'
echo "# B showed the assignment $took ms after it was stored"
tcheck "A says assign done" eval 'TGT=A wait_for "#$R: assign done"'
tcheck "B's detail pane, still on #$R, shows the officer" \
	eval 'TGT=B wait_detail "$R" && TGT=B wait_re "│ Officer: $badge "'
tcheck "the database agrees" expect "status|officer" "$(status_of "$R")|$(officer_of "$R")" "assigned|$badge"

# the gateway's progress with the officer's notification shows in the row
# (here the outbox row is updated directly, as the sender would)
sql "UPDATE outbox SET state = 'delivered' WHERE report_id = $R AND recipient = 'officer'"
t0=$(ms)
tcheck "the notification delivered: A's row says [d] within a second" \
	eval 'TGT=A wait_ms _has_re "│#$R .* assigned \[d\]" 1000'
tcheck "…and B's too" eval 'TGT=B wait_ms _has_re "│#$R .* assigned \[d\]" 1000'
sql "UPDATE outbox SET state = 'failed', error = 'recipient blocked the bot' WHERE report_id = $R AND recipient = 'officer'"
t0=$(ms)
tcheck "the notification failed: the row changes within a second" \
	eval 'TGT=B wait_ms _has_re "│#$R .* assigned \[F" 1000'
tcheck "…and says [FAIL] in full" eval 'TGT=B screen | grep -qE "│#$R .* assigned \[FAIL\]"'
TGT=B keys Enter
tcheck "the pager shows the notification's state and error" \
	eval 'TGT=B wait_for " Report #$R" && TGT=B wait_re "officer .*: failed — recipient blocked the bot"'
TGT=B keys q
TGT=B wait_gone " Report #" >/dev/null

# B acts on what it now sees; A follows
TGT=B keys s
tcheck "B opens the status menu" eval 'TGT=B wait_for " Status "'
t0=$(ms)
TGT=B keys 1
tcheck "A shows #$R acknowledged within a second" eval 'TGT=A wait_ms _has_re "│#$R .* acknowledged" 1000'
echo "# A showed it after $took ms"
tcheck "B's action was not refused (it had the new version)" eval 'TGT=B wait_for "#$R: acknowledge done"'
tcheck "the database says acknowledged" expect "status" "$(status_of "$R")" "acknowledged"

# a third console rings the bell on a new report (configured)
cat >"$SCRATCH/bell.conf" <<CONF
[site]
name = $SITE
[console]
bell = yes
CONF
PIPE=$SCRATCH/raw.bell console_start C 100x30 DUTYDESK_CONFIG="$SCRATCH/bell.conf"
tcheck "console C (bell = yes) opens" eval 'TGT=C wait_for "$SITE"'

# a report arriving from elsewhere (the CLI here, the gateway in life); it
# is urgent, so it sorts above #$R and the rows move under the cursors
pos_before=$(TGT=B queue_ids | grep -nx "$R" | cut -d: -f1)
t0=$(ms)
add_report PVL-03 "Срочно: на остановке по ул. Естая драка" 1
R2=$id
tcheck "A shows the new report #$R2 within a second" eval 'TGT=A wait_ms _has_re "│#$R2 " 1000'
tcheck "B shows it within a second too" eval 'TGT=B wait_ms _has_re "│#$R2 " 1000'
tcheck "C rang the bell (BEL went to its terminal)" \
	eval 'TGT=C wait_re "│#$R2 " && LC_ALL=C grep -qa $'"'"'\a'"'"' "$SCRATCH/raw.bell"'
tcheck "A did not ring it (bell is off by default)" eval 'T display-message -p -t A "#{window_bell_flag}" | grep -qx 0'
tcheck "tmux saw C's bell" eval 'T display-message -p -t C "#{window_bell_flag}" | grep -qx 1'
tcheck "the header's new count went up in both" \
	eval 'n=$(sql "SELECT count(*) FROM reports WHERE status = '"'new'"'"); TGT=A wait_for "new $n " && TGT=B wait_for "new $n "'
tcheck "A's cursor stayed on its report #$R" eval 'TGT=A wait_detail "$R"'
tcheck "B's cursor stayed on its report #$R" eval 'TGT=B wait_detail "$R"'
pos_after=$(TGT=B queue_ids | grep -nx "$R" | cut -d: -f1)
tcheck "…though its row moved down under the new one" [ "$pos_after" -gt "$pos_before" ]
# the attributes each row is drawn with: what tmux's capture (-e) puts
# between the sidebar's rule and the row's "#"
attrs_of() { T capture-pane -p -e -t B | sed -n "$1p" | sed -E 's/^.*│//; s/#.*//' | od -An -c | tr -d ' \n'; }
scr=$(TGT=B screen)
line_new=$(printf '%s\n' "$scr" | grep -n "│#$R2 " | cut -d: -f1)
line_old=$(printf '%s\n' "$scr" | grep -nE "│#[0-9]+ " | grep -vE "│#($R|$R2) " | head -1 | cut -d: -f1)
a_new=$(attrs_of "$line_new")
a_old=$(attrs_of "$line_old")
echo "# attributes: new report '$a_new', another row '$a_old'"
tcheck "the new report's row stands out (drawn with other attributes)" \
	eval '[ -n "$a_new" ] && [ "$a_new" != "$a_old" ]'

done_testing
