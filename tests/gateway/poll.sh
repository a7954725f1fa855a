#!/usr/bin/env bash
# Telegram long polling against the fake messenger: updates stored through
# the same inbound path, the offset kept in the database, a button press
# answered with answerCallbackQuery, a prompt stop.
. "$(dirname "$0")/../cli/lib.sh"
FIX=$SRCDIR/tests/data/fixtures
[ -d "$FIX" ] || FIX=$SHARED/fixtures
BUILD=$(cd "$(dirname "$DUTYDESK")/.." && pwd)
LOG=$SCRATCH/gateway.log
FAKE_LOG=$SCRATCH/fake.log
CONF=$SCRATCH/dutydesk.conf
TG_TOKEN=123456:test-tg-token-0815
_pids=
cleanup() {
	local p
	for p in $_pids; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

# the fake messenger (tests/gateway/fake_messenger.c) on a port of its choosing
"$BUILD/tests/gateway/fake_messenger" --port-file "$SCRATCH/port" --log "$FAKE_LOG" \
	--tg-token "$TG_TOKEN" >/dev/null 2>"$SCRATCH/fake.err" &
_pids="$_pids $!"
for i in $(seq 100); do
	[ -s "$SCRATCH/port" ] && break
	sleep 0.05
done
PORT=$(cat "$SCRATCH/port" 2>/dev/null)
[ -n "$PORT" ] || { echo "Bail out! the fake messenger did not start: $(cat "$SCRATCH/fake.err")"; exit 1; }
fake_control() {
	"$BUILD/tests/gateway/ddpost" --max-time 5 --data "$1" "http://127.0.0.1:$PORT/_control" >/dev/null
}
cat >"$CONF" <<CONF
[site]
database = $DUTYDESK_DB
media_dir = $SCRATCH/media
[whatsapp]
api_base = http://127.0.0.1:$PORT
[telegram]
api_base = http://127.0.0.1:$PORT
token = $TG_TOKEN
mode = poll
CONF
chmod 600 "$CONF"
export DUTYDESK_CONFIG=$CONF
dd init
for kind in districts officers orgs reporters; do dd import $kind "$DATA/$kind.csv"; done
dd report add --district PVL-01 --category noise --text "Шум" --reporter 77017772001
dd report assign 1 1101
check "a report assigned to officer 1101 (Telegram)" [ $rc = 0 ]

text=$(cat "$FIX/telegram/text.json")
cb=$(sed -e 's/5300000017/512000101/g' -e 's/ack:1041/ack:1/' "$FIX/telegram/callback_query.json")
fake_control "{\"updates\": [$text, $cb]}"

"$DUTYDESK" gateway --listen 127.0.0.1:0 2>"$LOG" &
GW=$!
_pids="$_pids $GW"
for i in $(seq 100); do
	[ "$(sql "SELECT value FROM settings WHERE key = 'telegram.offset'")" = 700000105 ] && break
	sleep 0.1
done
check "polling stores the updates and keeps the offset after the last one" \
	[ "$(sql "SELECT value FROM settings WHERE key = 'telegram.offset'")" = 700000105 ] &&
	[ "$(sql "SELECT count(*) FROM reports WHERE channel = 'telegram' AND external_id = '5200000101:311'")" = 1 ]
check "the officer's button moved the report" [ "$(sql "SELECT status FROM reports WHERE id = 1")" = acknowledged ] &&
	[ "$(sql "SELECT actor FROM events WHERE report_id = 1 ORDER BY id DESC LIMIT 1")" = "officer:1101" ]
for i in $(seq 50); do grep -q answerCallbackQuery "$FAKE_LOG" && break; sleep 0.1; done
check "the button press was answered with answerCallbackQuery" \
	grep -q '"path":"/bot123456:test-tg-token-0815/answerCallbackQuery".*4382000000000000104' "$FAKE_LOG"
check "getUpdates asked from the stored offset" grep -q 'offset\\":700000105' "$FAKE_LOG"
check "the poll state is alive" [ "$(sql "SELECT state FROM gateway_state WHERE channel = 'telegram'")" = alive ]

kill -TERM $GW
stopped=
for i in $(seq 50); do
	kill -0 $GW 2>/dev/null || { stopped=yes; break; }
	sleep 0.1
done
wait $GW
rc=$?
check "SIGTERM stops polling and the gateway within 5 s, exit 0" [ "$stopped" = yes ] && [ $rc = 0 ]
no_token() { ! grep -q "test-tg-token" "$LOG"; }
check "the token never reached the log" no_token
done_testing
