#!/usr/bin/env bash
# Crash consistency: the gateway under load (signed WhatsApp webhooks in
# parallel, assignments queueing Telegram notifications to the fake
# messenger) is killed with SIGKILL at random moments, twenty times, and
# restarted. Like WhatsApp, the load generator sends again every webhook that
# got no 200. At the end:
#   - every webhook answered 200 is stored exactly once (inbound and reports,
#     counted by message id), and after the retries every webhook is;
#   - every notification queued was sent at least once: it is 'sent', and the
#     fake's request log has the request its external id names, to its
#     address; nothing is left queued or sending once the last run settles;
#   - `dutydesk check` passes and says the audit chain is intact.
# The load is one curl with eight connections in parallel (the bodies signed
# with openssl beforehand), so that kills land on requests in flight; without
# curl or openssl, ddpost processes one after another.
# HARDENING_LONG=1: more requests per round and sixty kills.
. "$(dirname "$0")/../gateway/send_lib.sh"
command -v jq >/dev/null || { echo "1..0 # SKIP jq is needed"; exit 0; }
POST=$BUILD/tests/gateway/ddpost
APP_SECRET=crash-app-secret-91c2
export DUTYDESK_WHATSAPP_APP_SECRET=$APP_SECRET DUTYDESK_WHATSAPP_VERIFY_TOKEN=crash-verify \
	DUTYDESK_TELEGRAM_SECRET_TOKEN=crash-tg-secret
if [ "${HARDENING_LONG:-0}" = 1 ]; then
	KILLS=60 LOADERS=6 ASSIGNS=4 BURST=200 SETTLE=600
else
	KILLS=20 LOADERS=3 ASSIGNS=2 BURST=60 SETTLE=60
fi
KILLS=${HARDENING_KILLS:-$KILLS}
PER_LOADER=400 # at most, per round
GW_LOG=$SCRATCH/gateway.log
W=$SCRATCH/webhooks
mkdir -p "$W"
GW_PID=
# killtree PID: PID and then its descendants, by id (the parent first, so
# that it starts no new child meanwhile)
killtree() {
	local c kids
	kids=$(cat "/proc/$1/task/"*/children 2>/dev/null)
	kill -9 "$1" 2>/dev/null
	for c in $kids; do killtree "$c"; done
}
# kill the gateway and any load still running when the script ends
_crash_cleanup() {
	local j
	[ -n "$GW_PID" ] && kill -9 "$GW_PID" 2>/dev/null
	for j in $(jobs -p); do killtree "$j"; done
	_cleanup
}
trap _crash_cleanup EXIT
trap 'exit 1' INT TERM HUP

start_fake
write_config
export DUTYDESK_CONFIG=$CONF
dd init
dd import districts "$DATA/districts.csv"
dd import officers "$DATA/officers.csv"
check "a database with districts and officers" [ $rc = 0 ]

# start_gateway: waits (10 s at most) for its port; sets GW_PID and URL
start_gateway() {
	local i port=
	echo "--- start" >>"$GW_LOG"
	"$DUTYDESK" gateway --listen 127.0.0.1:0 >/dev/null 2>>"$SCRATCH/gw.cur" &
	GW_PID=$!
	_pids="$_pids $GW_PID"
	for i in $(seq 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$SCRATCH/gw.cur" | tail -n 1)
		[ -n "$port" ] && break
		running "$GW_PID" || break
		sleep 0.1
	done
	cat "$SCRATCH/gw.cur" >>"$GW_LOG"
	: >"$SCRATCH/gw.cur"
	[ -n "$port" ] || { echo "Bail out! the gateway did not start: $(tail -n 5 "$GW_LOG")"; exit 1; }
	URL=http://127.0.0.1:$port
}
kill_gateway() {
	kill -9 "$GW_PID" 2>/dev/null
	wait "$GW_PID" 2>/dev/null
	cat "$SCRATCH/gw.cur" >>"$GW_LOG" 2>/dev/null
	: >"$SCRATCH/gw.cur"
	GW_PID=
}

# webhook N: the body of message N (its own sender, so its own report)
webhook() {
	local phone=$((77050000000 + $1))
	printf '{"object":"whatsapp_business_account","entry":[{"id":"210000000000001","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"77182000102","phone_number_id":"%s"},"contacts":[{"profile":{"name":"Житель %s"},"wa_id":"%s"}],"messages":[{"from":"%s","id":"wamid.crash.%s","timestamp":"%s","type":"text","text":{"body":"Курят в подъезде, сообщение %s"}}]},"field":"messages"}]}]}' \
		"$PNID" "$1" "$phone" "$phone" "$1" "${NOW_S:-$(date +%s)}" "$1" >"$W/$1.json"
}
# send N: posts message N; its answer's status goes to $W/N.code (000: none)
send() {
	"$POST" --max-time 5 --secret "$APP_SECRET" --data-file "$W/$1.json" "$URL/webhook/whatsapp" 2>/dev/null |
		head -n 1 >"$W/$1.code.tmp"
	[ -s "$W/$1.code.tmp" ] || echo 000 >"$W/$1.code.tmp"
	cat "$W/$1.code.tmp" >>"$W/$1.codes"
	mv "$W/$1.code.tmp" "$W/$1.code"
}
# pending: the messages not yet answered 200
pending() {
	(cd "$W" && ls -- *.json 2>/dev/null | sed 's/\.json$//' | sort) >"$SCRATCH/all.ids"
	(cd "$W" && grep -lx 200 -- *.code 2>/dev/null | sed 's/\.code$//' | sort) >"$SCRATCH/ok.ids"
	comm -23 "$SCRATCH/all.ids" "$SCRATCH/ok.ids"
}
# the desk reports the assignments pick from, made before the load starts
NDESK=$((KILLS * ASSIGNS + ASSIGNS))
for i in $(seq "$NDESK"); do
	"$DUTYDESK" report add --district PVL-01 --category smoking --text "desk report $i" >>"$SCRATCH/desk.ids" 2>>"$SCRATCH/cli.err"
done
check "$NDESK desk reports to assign" [ "$(wc -l <"$SCRATCH/desk.ids")" = "$NDESK" ]
assigned=0
assign_next() {
	local id
	id=$(sed -n "$((assigned + 1))p" "$SCRATCH/desk.ids")
	assigned=$((assigned + 1))
	[ -n "$id" ] || return 0
	# officer 1101 has Telegram: the notification goes to the fake's sendMessage
	"$DUTYDESK" report assign "$id" 1101 >/dev/null 2>>"$SCRATCH/cli.err" &&
		echo "$id" >>"$SCRATCH/assigned.ids"
}

# sign N...: the messages' signatures (one openssl for all) and their curl
# transfers (the gateway's URL left as @URL@), made before the round
# starts: $W/N.cfg
sign() {
	local sig file n
	(cd "$W" && openssl dgst -sha256 -hmac "$APP_SECRET" -r $(printf '%s.json ' "$@")) |
		while read -r sig file; do
			n=${file#\*}
			n=${n%.json}
			printf 'url = "@URL@/webhook/whatsapp"\nheader = "Content-Type: application/json"\nheader = "X-Hub-Signature-256: sha256=%s"\ndata-binary = "@%s"\noutput = "/dev/null"\nmax-time = 5\nwrite-out = "%s %%{http_code}\\n"\n' \
				"$sig" "$W/$n.json" "$n" >"$W/$n.cfg"
		done
}
# record N CODE: a 200 once seen stays (a later resend may find no gateway)
record() { [ "$(cat "$W/$1.code" 2>/dev/null)" = 200 ] || echo "$2" >"$W/$1.code"; }
# plan IDS...: the next burst's curl config, "next" between the transfers
# (none after the last: curl takes that for a transfer without a URL)
plan() { (cd "$W" && awk 'FNR == 1 && NR > 1 {print "next"} {print}' $(printf '%s.cfg ' "$@")) >"$SCRATCH/burst.tmpl"; }
# burst: one curl keeps eight connections busy with the planned messages
# until each is answered or finds no gateway; the answers go to $W/N.code
burst() {
	local n code
	sed "s|@URL@|$URL|" "$SCRATCH/burst.tmpl" >"$SCRATCH/burst.cfg"
	curl -s -Z --parallel-max 8 -K "$SCRATCH/burst.cfg" >"$SCRATCH/burst.out" 2>"$SCRATCH/burst.err"
	while read -r n code; do record "$n" "$code"; done <"$SCRATCH/burst.out"
}
# loader L I0 MAX (without curl or openssl): ddpost, one message after
# another, until one gets no 200 or MAX are sent
loader() {
	local i
	for i in $(seq "$2" $(($2 + $3 - 1))); do
		webhook "$i"
		send "$i"
		[ "$(cat "$W/$i.code")" = 200 ] || break
	done
}
inbound_count() { sqlite3 -cmd ".timeout 1000" "$DUTYDESK_DB" "SELECT count(*) FROM inbound" 2>/dev/null || echo 0; }
CURL_LOAD=
command -v curl >/dev/null && command -v openssl >/dev/null && [ -z "${HARDENING_NO_CURL:-}" ] && CURL_LOAD=1
# a notification send takes 150 ms at the fake, so that kills land mid-send
fake_control '{"faults":[{"match":"sendMessage","action":"slow","ms":150,"times":100000}]}'
t0=$(date +%s)
next=1
for round in $(seq "$KILLS"); do
	if [ -n "$CURL_LOAD" ]; then
		# this round's messages are made and signed before the gateway starts
		todo=$(pending)
		NOW_S=$(date +%s)
		for i in $(seq "$next" $((next + BURST - 1))); do
			webhook "$i"
			todo="$todo $i"
		done
		# shellcheck disable=SC2046
		sign $(seq "$next" $((next + BURST - 1)))
		next=$((next + BURST))
		# shellcheck disable=SC2086
		plan $todo
	fi
	start_gateway
	for i in $(seq "$ASSIGNS"); do assign_next; done
	loaders=
	if [ -n "$CURL_LOAD" ]; then
		burst &
		loaders=$!
	else
		# the messages still unanswered from earlier rounds, sent again
		for n in $(pending); do
			send "$n" &
			loaders="$loaders $!"
		done
		for l in $(seq "$LOADERS"); do
			loader "$l" $((((round - 1) * LOADERS + l - 1) * PER_LOADER + 1)) "$PER_LOADER" &
			loaders="$loaders $!"
		done
	fi
	# a random moment: once K more messages are stored, K from 0 to the
	# burst's size (a time would not do: the gateway takes a webhook in
	# about a millisecond); 2 s at most
	k=$((RANDOM % BURST))
	base=$(inbound_count)
	for i in $(seq 200); do
		[ $(($(inbound_count) - base)) -ge "$k" ] && break
		sleep 0.01
	done
	kill_gateway
	for j in $loaders; do wait "$j"; done
done
check "$KILLS SIGKILLs in $(($(date +%s) - t0)) s" [ "$round" = "$KILLS" ]
total=$(cd "$W" && ls -- *.json | wc -l)
acked=$(cd "$W" && grep -lx 200 -- *.code | wc -l)
(cd "$W" && ls -- *.json | sed 's/\.json$//') >"$SCRATCH/all.ids"
echo "# $acked of $total webhooks answered 200 before a kill; $(wc -l <"$SCRATCH/assigned.ids") assignments"

# the answered ones: stored exactly once already, before any retry
sql "SELECT external_id, count(*) FROM inbound WHERE channel = 'whatsapp' GROUP BY external_id" |
	sed 's/^wamid\.crash\.//' | sort >"$SCRATCH/inbound.counts"
sql "SELECT external_id, count(*) FROM reports WHERE channel = 'whatsapp' GROUP BY external_id" |
	sed 's/^wamid\.crash\.//' | sort >"$SCRATCH/reports.counts"
once_each() { # once_each COUNTS-FILE IDS-FILE: each id has count 1
	awk -F'|' -v name="$(basename "$1")" 'NR == FNR {c[$1] = $2; next}
		c[$1] != 1 {bad++; if (bad <= 5) printf "# message %s: %d rows in %s\n", $1, c[$1], name > "/dev/stderr"}
		END {exit bad > 0}' "$1" "$2"
}
(cd "$W" && grep -lx 200 -- *.code | sed 's/\.code$//') >"$SCRATCH/acked.ids"
check "every webhook answered 200 is in inbound exactly once" once_each "$SCRATCH/inbound.counts" "$SCRATCH/acked.ids"
check "and made exactly one report" once_each "$SCRATCH/reports.counts" "$SCRATCH/acked.ids"
cut_stored=$(comm -23 <(sort "$SCRATCH/all.ids") <(sort "$SCRATCH/acked.ids") |
	awk -F'|' 'NR == FNR {c[$1] = $2; next} c[$1] == 1' "$SCRATCH/inbound.counts" - | wc -l)
echo "# of the $((total - acked)) cut off, $cut_stored were stored (committed, the answer lost with the kill)"
check "no message stored twice" [ "$(awk -F'|' '$2 != 1' "$SCRATCH/inbound.counts" "$SCRATCH/reports.counts" | wc -l)" = 0 ]

echo "# $(($(date +%s) - t0)) s: checking"
# the final run: the retries until every message has its 200, then settle
start_gateway
for attempt in 1 2 3 4 5; do
	todo=$(pending)
	[ -z "$todo" ] && break
	if [ -n "$CURL_LOAD" ]; then
		# shellcheck disable=SC2086
		plan $todo
		burst
	else
		for n in $todo; do send "$n"; done
	fi
done
check "after the retries every webhook got its 200" [ -z "$(pending)" ]
settled() { idle && [ "$(sql "SELECT count(*) FROM outbox WHERE state = 'sending'")" = 0 ]; }
wait_for "$SETTLE" settled
check "the last run settles: nothing queued or sending" settled
echo "# $(($(date +%s) - t0)) s: settled"
kill -TERM "$GW_PID"
wait_for 10 stopped "$GW_PID" || kill -9 "$GW_PID" 2>/dev/null
wait "$GW_PID" 2>/dev/null
GW_PID=

sql "SELECT external_id, count(*) FROM inbound WHERE channel = 'whatsapp' GROUP BY external_id" |
	sed 's/^wamid\.crash\.//' | sort >"$SCRATCH/inbound.counts"
sql "SELECT external_id, count(*) FROM reports WHERE channel = 'whatsapp' GROUP BY external_id" |
	sed 's/^wamid\.crash\.//' | sort >"$SCRATCH/reports.counts"
check "all $total webhooks stored, each exactly once" \
	once_each "$SCRATCH/inbound.counts" "$SCRATCH/all.ids" &&
	[ "$(wc -l <"$SCRATCH/inbound.counts")" = "$total" ] && once_each "$SCRATCH/reports.counts" "$SCRATCH/all.ids"

# notifications: every one sent, each by a request the fake logged
sql "SELECT id, channel, address, external_id, state FROM outbox WHERE channel != 'none' ORDER BY id" >"$SCRATCH/outbox.rows"
nout=$(wc -l <"$SCRATCH/outbox.rows")
nassign=$(wc -l <"$SCRATCH/assigned.ids")
check "an officer notification for each of the $nassign assignments" \
	[ "$(sql "SELECT count(DISTINCT report_id) FROM outbox WHERE recipient = 'officer'")" = "$nassign" ]
check "every one of the $nout notifications is sent" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE channel != 'none' AND state NOT IN ('sent','delivered','read')")" = 0 ]
# each request the fake logged as "N|ADDRESS" (to for WhatsApp, chat_id for Telegram)
jq -r '"\(.n)|" + ((.body // "") | fromjson? | (.to // .chat_id // "") | tostring)' "$FAKE_LOG" >"$SCRATCH/requests" 2>/dev/null
sent_by_log() {
	# a notification's external id names the request: wamid.FAKE<n>, <chat>:<n>
	awk -F'|' 'NR == FNR {req[$0] = 1; next}
		{n = $4; sub(/^wamid\.FAKE/, "", n); sub(/^.*:/, "", n)
		 if (!((n "|" $3) in req)) {bad++; if (bad <= 5) printf "# notification %s (%s to %s, %s): no such request in the fake'"'"'s log\n", $1, $2, $3, $4 > "/dev/stderr"}}
		END {exit bad > 0}' "$SCRATCH/requests" "$SCRATCH/outbox.rows"
}
check "the fake's log has the request each notification's external id names" sent_by_log
nreq_all=$(jq -r .path "$FAKE_LOG" | grep -c "/$PNID/messages\|/sendMessage")
echo "# $nout notifications, $nreq_all send requests (a send cut off by a kill is sent again)"

dd check
check "dutydesk check passes, the audit chain intact" [ $rc = 0 ] && has "$out" "chain intact"
check "the gateway never reported a memory error" lacks "$GW_LOG" "AddressSanitizer" "runtime error:"
done_testing
