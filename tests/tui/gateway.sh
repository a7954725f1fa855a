#!/usr/bin/env bash
# The whole desk at once: the gateway running against the fake messenger, a
# console open in a terminal. A signed WhatsApp report shows in the console
# within a second; an assignment made in the console reaches the fake as the
# WhatsApp API call; the officer's reply moves the report, and the console
# shows it.
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "$(dirname "$DUTYDESK")/.." && pwd)
FAKE=$BUILD/tests/gateway/fake_messenger
POST=$BUILD/tests/gateway/ddpost
FIX=$SRCDIR/tests/data/fixtures
CONF=$SCRATCH/dutydesk.conf
GWLOG=$SCRATCH/gateway.log
FAKELOG=$SCRATCH/fake.log
APP_SECRET=e2e-app-secret
WA_TOKEN=e2e-wa-token
PNID=310000000000002
OFFICER_PHONE=77015551102    # 1102 in tests/data/officers.csv: WhatsApp only
REPORTER_PHONE=77017772001   # a KSK chairman in PVL-01 (tests/data/reporters.csv)
_gw_pids=""
trap '_tui_cleanup; for p in $_gw_pids; do kill -9 "$p" 2>/dev/null; done' EXIT
ms() { date +%s%3N; }
for tool in jq curl; do
	command -v $tool >/dev/null || { echo "1..0 # SKIP $tool is not installed"; exit 0; }
done

"$FAKE" --port-file "$SCRATCH/port" --log "$FAKELOG" --wa-token "$WA_TOKEN" --tg-token 1:x \
	>/dev/null 2>"$SCRATCH/fake.err" &
_gw_pids="$_gw_pids $!"
for i in $(seq 100); do [ -s "$SCRATCH/port" ] && break; sleep 0.05; done
PORT=$(cat "$SCRATCH/port")
cat >"$CONF" <<CONF
[site]
name = Павлодар — дежурная часть
database = $DUTYDESK_DB
media_dir = $SCRATCH/media
[whatsapp]
api_base = http://127.0.0.1:$PORT
phone_number_id = $PNID
token = $WA_TOKEN
app_secret = $APP_SECRET
verify_token = e2e-verify
[telegram]
api_base = http://127.0.0.1:$PORT
CONF
chmod 600 "$CONF"
export DUTYDESK_CONFIG=$CONF
dd init
for kind in districts officers orgs reporters; do dd import $kind "$DATA/$kind.csv"; done
check "the city is imported" [ "$(sql "SELECT count(*) FROM officers WHERE phone = '$OFFICER_PHONE'")" = 1 ]

"$DUTYDESK" gateway --listen 127.0.0.1:0 2>"$GWLOG" &
_gw_pids="$_gw_pids $!"
for i in $(seq 50); do
	GWPORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$GWLOG")
	[ -n "$GWPORT" ] && break
	sleep 0.1
done
check "the gateway listens on a port picked at run time" [ -n "$GWPORT" ]

console_start A 120x30 DUTYDESK_CONFIG="$CONF"
tcheck "the console is open" wait_for "Павлодар"
tcheck "the console sees the gateway alive" wait_for "gateway alive"

# a report arrives by WhatsApp
jq -c --arg from "$REPORTER_PHONE" '.entry[0].changes[0].value.messages[0].from = $from
	| .entry[0].changes[0].value.contacts[0].wa_id = $from
	| .entry[0].changes[0].value.messages[0].id = "wamid.E2E-REPORT-1"
	| .entry[0].changes[0].value.messages[0].text.body = "Во дворе дома 64 жгут мусор, дым в подъезде"' \
	"$FIX/whatsapp/text.json" >"$SCRATCH/report.json"
t0=$(ms)
code=$("$POST" --max-time 10 --secret "$APP_SECRET" --data-file "$SCRATCH/report.json" \
	"http://127.0.0.1:$GWPORT/webhook/whatsapp" | head -n 1)
check "the signed webhook is answered 200" [ "$code" = 200 ]
tcheck "the report shows in the open console" wait_for "жгут мусор"
t1=$(ms)
check "…within a second of the webhook's answer ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt 1000 ]
id=$(sql "SELECT id FROM reports WHERE external_id = 'wamid.E2E-REPORT-1'")
check "it is routed to the reporter's district" [ "$(sql "SELECT d.code FROM reports r JOIN districts d ON d.id = r.district_id WHERE r.id = $id")" = PVL-01 ]

# the dispatcher assigns it in the console
tcheck "g goes to the report" goto "$id"
keys a
tcheck "the officer picker opens" wait_for "Assign #$id to"
type_text "Иванова"
keys Enter
tcheck "the console says the assignment is done" wait_for "#$id: assign done"
check "the report is assigned to officer 1102" [ "$(officer_of "$id")" = 1102 ]

# the gateway sends the officer's notification to the fake's WhatsApp API
# the fake's log, one JSON line per request (a line being written is skipped)
to_officer() { jq -Rc --arg to "$OFFICER_PHONE" 'fromjson? | select(.method == "POST"
	and (.path | endswith("/messages")) and ((.body | fromjson? | .to) == $to))' "$FAKELOG"; }
sent() { [ -n "$(to_officer 2>/dev/null)" ]; }
for i in $(seq 100); do sent && break; sleep 0.1; done
check "a WhatsApp message to the officer reached the fake" sent
call=$(to_officer | head -n 1)
check "…at /PHONE_NUMBER_ID/messages" [ "$(printf '%s' "$call" | jq -r .path)" = "/$PNID/messages" ]
check "…with the bearer token" [ "$(printf '%s' "$call" | jq -r .authorization)" = "Bearer $WA_TOKEN" ]
check "…naming the report number" printf '%s' "$call" | grep -q "#$id"
for i in $(seq 50); do [ "$(sql "SELECT state FROM outbox WHERE report_id = $id AND recipient = 'officer'")" = sent ] && break; sleep 0.1; done
wamid=$(sql "SELECT external_id FROM outbox WHERE report_id = $id AND recipient = 'officer'")
check "the notification is marked sent with the message id the fake gave" [ -n "$wamid" ]
tcheck "the console shows the notification sent" wait_re "#$id .*assigned \[s\]"

# the officer answers "1" (accept) in reply to that message
jq -c --arg from "$OFFICER_PHONE" --arg ctx "$wamid" '.entry[0].changes[0].value.messages[0].from = $from
	| .entry[0].changes[0].value.contacts[0].wa_id = $from
	| .entry[0].changes[0].value.messages[0].context.id = $ctx
	| .entry[0].changes[0].value.messages[0].id = "wamid.E2E-REPLY-1"
	| .entry[0].changes[0].value.messages[0].text.body = "1 выезжаю"' \
	"$FIX/whatsapp/officer_reply.json" >"$SCRATCH/reply.json"
code=$("$POST" --max-time 10 --secret "$APP_SECRET" --data-file "$SCRATCH/reply.json" \
	"http://127.0.0.1:$GWPORT/webhook/whatsapp" | head -n 1)
check "the officer's reply is answered 200" [ "$code" = 200 ]
check "the report is acknowledged" [ "$(status_of "$id")" = acknowledged ]
check "…by the officer, in the audit trail" \
	[ "$(sql "SELECT actor FROM events WHERE report_id = $id AND action = 'acknowledge'")" = officer:1102 ]
check "the text after the digit became a note" [ "$(sql "SELECT text FROM notes WHERE report_id = $id")" = "выезжаю" ]
tcheck "the console shows it acknowledged" wait_re "#$id .*acknowledged"

# a delivery status moves the notification on
jq -c --arg id "$wamid" '.entry[0].changes[0].value.statuses[0].id = $id' \
	"$FIX/whatsapp/status_delivered.json" >"$SCRATCH/status.json"
"$POST" --max-time 10 --secret "$APP_SECRET" --data-file "$SCRATCH/status.json" \
	"http://127.0.0.1:$GWPORT/webhook/whatsapp" >/dev/null
check "the status webhook marks the notification delivered" \
	[ "$(sql "SELECT state FROM outbox WHERE external_id = '$wamid'")" = delivered ]
keys Enter
tcheck "the pager lists the notification as delivered" wait_re "officer .*whatsapp: delivered"
keys q

# the WhatsApp token expires: the channel pauses and every console says so
curl -sS --max-time 5 -o /dev/null -X POST -H 'Content-Type: application/json' \
	--data '{"faults":[{"match":"/messages","action":"wa_error","code":190,"times":50}]}' \
	"http://127.0.0.1:$PORT/_control"
"$DUTYDESK" report add --district PVL-01 --category noise --text "Шум после 23:00" >/dev/null
id2=$(sql "SELECT max(id) FROM reports")
"$DUTYDESK" report assign "$id2" 1102 >/dev/null
tcheck "a 190 from WhatsApp raises 'token expired' in the console's header" wait_re "whatsapp token expired since [0-9][0-9]:[0-9][0-9]"
check "the notification stays queued, not lost" \
	[ "$(sql "SELECT state FROM outbox WHERE report_id = $id2 AND recipient = 'officer'")" = queued ]
keys q
tcheck "the console exits cleanly" console_exited 0
done_testing
