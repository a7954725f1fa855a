#!/usr/bin/env bash
# Concurrency: eight processes act on the same few reports at once, for 15 s
# (HARDENING_LONG=1: a minute), through the CLI as dispatchers do: read the
# report's version fresh, then assign, change the status or add a note with
# --expect-version. Afterwards:
#   - no update lost: every action a worker saw succeed has its event (same
#     report, action and version), and there are no other events;
#   - versions only grow: per report, the events' versions are 2, 3, 4, ...
#     in event order, and the report's version is 1 + their number;
#   - no "database is locked" (or any other database failure) reached a
#     user, and no command crashed;
#   - `dutydesk check` passes (the audit chain intact).
. "$(dirname "$0")/../cli/lib.sh"
command -v jq >/dev/null || { echo "1..0 # SKIP jq is needed"; exit 0; }
WORKERS=8
NREPORTS=4
if [ "${HARDENING_LONG:-0}" = 1 ]; then SECONDS_=60; else SECONDS_=15; fi
# killtree PID: PID and then its descendants, by id (the parent first, so
# that it starts no new child meanwhile)
killtree() {
	local c kids
	kids=$(cat "/proc/$1/task/"*/children 2>/dev/null)
	kill -9 "$1" 2>/dev/null
	for c in $kids; do killtree "$c"; done
}
_wpids=""
_conc_cleanup() {
	local p
	for p in $_wpids; do killtree "$p"; done
	for p in $_wpids; do wait "$p" 2>/dev/null; done
	rm -rf "$SCRATCH"
}
trap _conc_cleanup EXIT
trap 'exit 1' INT TERM HUP

dd init
dd import districts "$DATA/districts.csv"
dd import officers "$DATA/officers.csv"
for i in $(seq "$NREPORTS"); do
	dd report add --district PVL-01 --category noise --text "Шум за стеной, квартира $i"
	echo "$out" >>"$SCRATCH/reports"
done
check "$NREPORTS reports to fight over" [ "$(wc -l <"$SCRATCH/reports")" = "$NREPORTS" ]
mapfile -t REPORTS <"$SCRATCH/reports"
OFFICERS=(1101 1102 1201)
STATUSES=(acknowledged on_site resolved closed new)

# worker K: acts until the deadline; one line per success in ok.K
# ("REPORT ACTION VERSION"), each refusal's message in err.K
worker() {
	local k=$1 deadline=$2 id v action o s line rc
	local ok=$SCRATCH/ok.$k errf=$SCRATCH/err.$k
	RANDOM=$((k * 7919))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		id=${REPORTS[RANDOM % NREPORTS]}
		v=$("$DUTYDESK" report show "$id" --format json 2>>"$errf" | jq -r 'if type == "array" then .[0].version else .version end')
		[ -n "$v" ] && [ "$v" != null ] || { echo "worker $k: no version for #$id" >>"$errf"; continue; }
		case $((RANDOM % 3)) in
		0)
			o=${OFFICERS[RANDOM % 3]}
			action=assign
			line=$("$DUTYDESK" report assign "$id" "$o" --expect-version "$v" 2>>"$errf")
			;;
		1)
			s=${STATUSES[RANDOM % ${#STATUSES[@]}]}
			action=set
			line=$("$DUTYDESK" report set "$id" "$s" --expect-version "$v" 2>>"$errf")
			;;
		2)
			action=note
			line=$("$DUTYDESK" report note "$id" "заметка $k-$RANDOM" --expect-version "$v" 2>>"$errf")
			;;
		esac
		rc=$?
		if [ $rc = 0 ]; then
			# "report #12 ... (version 7)"
			echo "$id $action $(printf '%s' "$line" | sed -n 's/.*(version \([0-9]*\)).*/\1/p')" >>"$ok"
		elif [ $rc -gt 2 ]; then
			echo "worker $k: exit $rc on $action #$id" >>"$errf"
		fi
		echo x >>"$SCRATCH/tries.$k"
	done
}
deadline=$(($(date +%s) + SECONDS_))
for k in $(seq "$WORKERS"); do
	worker "$k" "$deadline" &
	_wpids="$_wpids $!"
done
# bounded: the deadline plus the busy timeout and a margin
for i in $(seq $(((SECONDS_ + 30) * 10))); do
	alive=0
	for p in $_wpids; do kill -0 "$p" 2>/dev/null && alive=1; done
	[ $alive = 0 ] && break
	sleep 0.1
done
check "the $WORKERS workers finished in time" [ $alive = 0 ]
for p in $_wpids; do wait "$p" 2>/dev/null; done
_wpids=

cat "$SCRATCH"/ok.* 2>/dev/null | sort >"$SCRATCH/ok"
cat "$SCRATCH"/err.* 2>/dev/null >"$SCRATCH/err"
tries=$(cat "$SCRATCH"/tries.* 2>/dev/null | wc -l)
nok=$(wc -l <"$SCRATCH/ok")
nstale=$(grep -c 'changed since you read it' "$SCRATCH/err")
echo "# $tries actions tried, $nok succeeded, $nstale refused as stale, $(($(wc -l <"$SCRATCH/err") - nstale)) other refusals"
check "the workers got work done ($nok successes)" [ "$nok" -ge $((WORKERS * 2)) ]
check "some were refused as stale: they really raced ($nstale)" [ "$nstale" -ge 1 ]
no_db_failure() {
	grep -iE 'locked|busy|database (is|disk)|malformed|exit [0-9]' "$SCRATCH/err" >"$SCRATCH/bad"
	sort "$SCRATCH/bad" | uniq -c | sort -rn | head -n 10 | sed 's/^/# /' >&2
	[ ! -s "$SCRATCH/bad" ]
}
check "no 'database is locked' or other database failure reached a user" no_db_failure
# the other refusals, for the log: transitions not allowed from the status
grep -v 'changed since you read it' "$SCRATCH/err" | sed 's/#[0-9]*/#N/g; s/version [0-9]*/version V/g' |
	sort | uniq -c | sort -rn | head -n 5 | sed 's/^/# /'
check "every success printed its new version" [ "$(awk 'NF != 3 || $3 == ""' "$SCRATCH/ok" | wc -l)" = 0 ]

# the events the workers' actions wrote (create and import have no version)
sql "SELECT report_id, action, json_extract(after, '\$.version') FROM events
     WHERE report_id IS NOT NULL AND json_extract(after, '\$.version') IS NOT NULL
     ORDER BY report_id, id" >"$SCRATCH/events.raw"
# the CLI's "set" is the event's status action; normalise both to compare
sed 's/|/ /g' "$SCRATCH/events.raw" | awk '{a = $2; if (a != "assign" && a != "note") a = "set"; print $1, a, $3}' |
	sort >"$SCRATCH/events"
check "no update lost: each success has its event, and every event a success ($(wc -l <"$SCRATCH/events") events)" \
	diff "$SCRATCH/ok" "$SCRATCH/events"
versions_grow() {
	local id bad=0 vs n final
	for id in "${REPORTS[@]}"; do
		vs=$(awk -F'|' -v id="$id" '$1 == id {print $3}' "$SCRATCH/events.raw" | tr '\n' ' ')
		n=$(echo "$vs" | wc -w)
		final=$(sql "SELECT version FROM reports WHERE id = $id")
		if [ "$vs" != "$(seq -s ' ' 2 $((n + 1))) " ] && [ "$n" != 0 ]; then
			echo "# report #$id: event versions $vs" >&2
			bad=1
		fi
		if [ "$final" != $((n + 1)) ]; then
			echo "# report #$id: version $final after $n changes" >&2
			bad=1
		fi
	done
	[ $bad = 0 ]
}
check "versions only grow: 2, 3, 4, ... per report, final = 1 + changes" versions_grow
dd check
check "dutydesk check: the database and the audit chain intact" has "$out" "integrity ok" && has "$out" "chain intact"
done_testing
