#!/usr/bin/env bash
# The running gateway on a loopback port picked at run time: signed
# WhatsApp webhooks, Telegram webhooks, the verification handshake, limits,
# /healthz, /metrics, SIGHUP and SIGTERM, and a secrets file others can read.
. "$(dirname "$0")/../cli/lib.sh"
FIX=$SRCDIR/tests/data/fixtures
[ -d "$FIX" ] || FIX=$SHARED/fixtures
POST=$(cd "$(dirname "$DUTYDESK")/.." && pwd)/tests/gateway/ddpost
LOG=$SCRATCH/gateway.log
CONF=$SCRATCH/dutydesk.conf
SECRETS=$SCRATCH/secrets.conf
APP_SECRET=app-secret-3f9a1c
VERIFY=verify-token-77aa
TG_SECRET=tg-secret-token-5b2e
GW_PID=

cleanup() {
	if [ -n "$GW_PID" ]; then
		kill -9 "$GW_PID" 2>/dev/null
		wait "$GW_PID" 2>/dev/null
	fi
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

# Messenger APIs point at a closed loopback port: nothing leaves the machine.
cat >"$CONF" <<CONF
[site]
database = $DUTYDESK_DB
media_dir = $SCRATCH/media
secrets_file = $SECRETS
[gateway]
listen = 127.0.0.1:8480
max_body = 65536
client_timeout = 2
[whatsapp]
api_base = http://127.0.0.1:9
phone_number_id = 310000000000002
[telegram]
api_base = http://127.0.0.1:9
mode = webhook
CONF
write_secrets() {
	cat >"$SECRETS" <<SECRETS
[whatsapp]
token = wa-token-1
app_secret = $1
verify_token = $VERIFY
[telegram]
token = 1:tg-token
secret_token = $TG_SECRET
SECRETS
	chmod 600 "$SECRETS"
}
write_secrets "$APP_SECRET"
export DUTYDESK_CONFIG=$CONF

dd init
for kind in districts officers orgs reporters; do dd import $kind "$DATA/$kind.csv"; done

# start_gateway: runs it in the background, waits (5 s at most) for the
# "listening on 127.0.0.1:PORT" line; sets GW_PID and URL.
start_gateway() {
	: >"$LOG"
	"$DUTYDESK" gateway --listen 127.0.0.1:0 2>"$LOG" &
	GW_PID=$!
	local i port=
	for i in $(seq 50); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$LOG")
		[ -n "$port" ] && break
		kill -0 "$GW_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$port" ] || { echo "Bail out! the gateway did not start: $(cat "$LOG")"; exit 1; }
	URL=http://127.0.0.1:$port
}

# post ARGS...: runs ddpost; sets $code and $body.
post() {
	local o
	o=$("$POST" --max-time 10 "$@")
	code=$(printf '%s\n' "$o" | head -n 1)
	body=$(printf '%s\n' "$o" | tail -n +2)
}

# wait_log TEXT: up to 5 s for a line in the gateway's log.
wait_log() {
	local i
	for i in $(seq 50); do
		grep -qF -- "$1" "$LOG" && return 0
		sleep 0.1
	done
	return 1
}

start_gateway
check "the gateway says where it listens (port picked at run time)" [ "${URL##*:}" -gt 0 ] && wait_log "gateway" 

sed 's/77051230001/77017772001/g' "$FIX/whatsapp/text.json" >"$SCRATCH/text.json"
post --secret "$APP_SECRET" --data-file "$SCRATCH/text.json" "$URL/webhook/whatsapp"
check "a signed WhatsApp webhook: 200 once stored" [ "$code" = 200 ] && [ "$body" = ok ]
check "the report is routed to the reporter's district" \
	[ "$(sql "SELECT d.code || '|' || r.status FROM reports r JOIN districts d ON d.id = r.district_id")" = "PVL-01|new" ]
post --secret "$APP_SECRET" --data-file "$SCRATCH/text.json" "$URL/webhook/whatsapp"
check "the same webhook again: 200, still one report" [ "$code" = 200 ] && [ "$(sql "SELECT count(*) FROM reports")" = 1 ]

sed 's/HBgLNzcwNTEy/HBgLNzcwNTEz/' "$SCRATCH/text.json" >"$SCRATCH/text2.json"
post --secret wrong-secret --data-file "$SCRATCH/text2.json" "$URL/webhook/whatsapp"
check "a bad signature: 401" [ "$code" = 401 ]
post --data-file "$SCRATCH/text2.json" "$URL/webhook/whatsapp"
check "no signature: 401" [ "$code" = 401 ]
post --header "X-Hub-Signature-256: sha256=abc" --data-file "$SCRATCH/text2.json" "$URL/webhook/whatsapp"
check "a malformed signature: 401" [ "$code" = 401 ]
check "nothing stored from unsigned bodies" [ "$(sql "SELECT count(*) FROM inbound")" = 1 ] &&
	wait_log "bad signature from 127.0.0.1; nothing stored"

post --secret "$APP_SECRET" --data '{"entry": [' "$URL/webhook/whatsapp"
check "signed but bad JSON: 400 saying so" [ "$code" = 400 ] && has "$body" "invalid JSON"
post --secret "$APP_SECRET" --size 70000 "$URL/webhook/whatsapp"
check "a body over max_body (Content-Length): 413" [ "$code" = 413 ]
post --secret "$APP_SECRET" --size 70000 --header "Transfer-Encoding: chunked" "$URL/webhook/whatsapp"
check "a body over max_body (chunked, counted as it comes): 413" [ "$code" = 413 ]
post --secret "$APP_SECRET" --size 400000 --header "Transfer-Encoding: chunked" "$URL/webhook/whatsapp"
check "a chunked body far over max_body: 413 or dropped, never stored" \
	[ "$code" = 413 -o "$code" = 000 ] && [ "$(sql "SELECT count(*) FROM inbound")" = 1 ]
post --method PUT --data x "$URL/webhook/whatsapp"
check "a wrong method: 405" [ "$code" = 405 ]
post "$URL/webhook/telegram"
check "GET on the Telegram webhook: 405" [ "$code" = 405 ]
post "$URL/nothing-here"
check "an unknown path: 404" [ "$code" = 404 ]

post "$URL/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=$VERIFY&hub.challenge=1158201444"
check "the verification handshake echoes the challenge" [ "$code" = 200 ] && [ "$body" = 1158201444 ]
post "$URL/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1158201444"
check "a wrong verify token: 403" [ "$code" = 403 ] && hasnt "$body" 1158201444

# a slow client (headers sent, body never finished) holds no one else up
exec 3<>"/dev/tcp/127.0.0.1/${URL##*:}"
printf 'POST /webhook/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"entry"' >&3
t0=$(date +%s%N)
post "$URL/healthz"
t1=$(date +%s%N)
check "a slow client does not hold up other requests" [ "$code" = 200 ] && [ $(((t1 - t0) / 1000000)) -lt 2000 ]
# …and is cut off after client_timeout (2 s here): the server closes it
t0=$(date +%s)
timeout 10 cat <&3 >/dev/null
t1=$(date +%s)
check "a slow client is cut off after client_timeout ($((t1 - t0)) s)" [ $((t1 - t0)) -ge 1 ] && [ $((t1 - t0)) -le 5 ]
exec 3>&-

# Telegram: the secret token header, and a button answered in the response
post --header "X-Telegram-Bot-Api-Secret-Token: $TG_SECRET" --data-file "$FIX/telegram/text.json" "$URL/webhook/telegram"
check "a Telegram update with the secret token: 200 and stored" [ "$code" = 200 ] &&
	[ "$(sql "SELECT count(*) FROM reports WHERE channel = 'telegram' AND external_id = '5200000101:311'")" = 1 ]
post --header "X-Telegram-Bot-Api-Secret-Token: wrong" --data-file "$FIX/telegram/photo.json" "$URL/webhook/telegram"
check "a wrong secret token: 401, nothing stored" [ "$code" = 401 ] && [ "$(sql "SELECT count(*) FROM attachments")" = 0 ]
dd report assign 1 1101
sed -e 's/5300000017/512000101/g' -e 's/ack:1041/ack:1/' "$FIX/telegram/callback_query.json" >"$SCRATCH/cb.json"
post --header "X-Telegram-Bot-Api-Secret-Token: $TG_SECRET" --data-file "$SCRATCH/cb.json" "$URL/webhook/telegram"
check "an officer's button: the report moves, the answer carries answerCallbackQuery" [ "$code" = 200 ] &&
	has "$body" '"method":"answerCallbackQuery"' && has "$body" '"callback_query_id":"4382000000000000104"' &&
	[ "$(sql "SELECT status FROM reports WHERE id = 1")" = acknowledged ] &&
	[ "$(sql "SELECT actor FROM events WHERE report_id = 1 ORDER BY id DESC LIMIT 1")" = "officer:1101" ]

# twenty webhooks at once, from twenty senders: every one stored, once
before=$(sql "SELECT count(*) FROM reports")
for i in $(seq 10 29); do
	sed -e "s/77051230001/770500000$i/g" -e "s/HBgLNzcwNTEy/par$i/" "$FIX/whatsapp/text.json" >"$SCRATCH/par$i.json"
	"$POST" --secret "$APP_SECRET" --data-file "$SCRATCH/par$i.json" "$URL/webhook/whatsapp" >"$SCRATCH/par$i.out" &
done
wait_jobs() { local j; for j in $(jobs -p); do [ "$j" = "$GW_PID" ] || wait "$j"; done; }
wait_jobs
check "parallel webhooks: all answered 200 and stored" \
	[ "$(cat "$SCRATCH"/par*.out | grep -c '^200$')" = 20 ] &&
	[ "$(sql "SELECT count(*) FROM reports")" = $((before + 20)) ]

post "$URL/healthz"
check "/healthz: 200 ok" [ "$code" = 200 ] && [ "$body" = ok ]
post "$URL/metrics"
check "/metrics counts requests by path and status" [ "$code" = 200 ] &&
	has "$body" 'dutydesk_http_requests_total{path="/webhook/whatsapp",code="200"} 22' &&
	has "$body" 'dutydesk_http_requests_total{path="/webhook/whatsapp",code="401"} 3' &&
	has "$body" 'dutydesk_http_requests_total{path="/webhook/whatsapp",code="413"} 2' &&
	has "$body" '# TYPE dutydesk_http_requests_total counter'
check "/metrics has reports stored, duplicates, notifications by state, queue depth" \
	has "$body" 'dutydesk_reports_stored_total 22' && has "$body" 'dutydesk_inbound_duplicates_total 1' &&
	has "$body" 'dutydesk_notifications{state="queued"}' && has "$body" 'dutydesk_queue_depth '

sleep 0.2
check "the heartbeat row says alive" [ "$(sql "SELECT state FROM gateway_state WHERE channel = 'gateway'")" = alive ]

# SIGHUP: a new app secret takes effect, the old one is refused
write_secrets new-app-secret
kill -HUP "$GW_PID"
wait_log "reload: config reloaded"
check "SIGHUP reloads the config" [ $? = 0 ]
post --secret "$APP_SECRET" --data-file "$SCRATCH/text2.json" "$URL/webhook/whatsapp"
check "after the reload the old secret is refused" [ "$code" = 401 ]
post --secret new-app-secret --data-file "$SCRATCH/text2.json" "$URL/webhook/whatsapp"
check "and the new one accepted" [ "$code" = 200 ]

no_secrets() { ! grep -qE "$APP_SECRET|new-app-secret|$VERIFY|$TG_SECRET|wa-token-1|tg-token" "$LOG"; }
check "no secret ever reaches the log" no_secrets
# (the sender's own lines, "dutydesk gateway: ...", come from sender.c's
# gw_slog and are not in this format yet)
check "one line per event, each with a timestamp" \
	[ "$(grep -vE '^dutydesk gateway: ' "$LOG" | grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z ')" = 0 ]

kill -TERM "$GW_PID"
stopped=
for i in $(seq 50); do
	kill -0 "$GW_PID" 2>/dev/null || { stopped=yes; break; }
	sleep 0.1
done
wait "$GW_PID"
rc=$?
GW_PID=
check "SIGTERM stops it within 5 s, exit 0" [ "$stopped" = yes ] && [ $rc = 0 ] && grep -q " stopped$" "$LOG"
check "the state row says it stopped" [ "$(sql "SELECT state FROM gateway_state WHERE channel = 'gateway'")" = stopped ]

# a secrets file others can read: refused, saying how to fix it
chmod 644 "$SECRETS"
set +e
timeout 10 "$DUTYDESK" gateway --listen 127.0.0.1:0 >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
err=$(cat "$SCRATCH/err")
check "a secrets file with mode 0644: the gateway refuses to start" [ $rc = 1 ] && has "$err" "chmod 600"
chmod 600 "$SECRETS"
timeout 10 "$DUTYDESK" gateway --listen 127.0.0.1:bad >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
err=$(cat "$SCRATCH/err")
check "a bad --listen is refused clearly" [ $rc = 1 ] && has "$err" "listen: not HOST:PORT"
dd check
check "check passes with both messengers configured" [ $rc = 0 ] && hasnt "$out" "whatsapp:"
printf '[site]\ndatabase = %s\n[whatsapp]\nphone_number_id = 31\n[telegram]\ntoken = 1:x\n' "$DUTYDESK_DB" >"$SCRATCH/bare.conf"
chmod 600 "$SCRATCH/bare.conf"
dd --config "$SCRATCH/bare.conf" check
check "check names the missing app_secret, token and secret_token" [ $rc = 1 ] &&
	has "$out" "whatsapp: no app_secret" && has "$out" "whatsapp: no token" &&
	has "$out" "telegram: mode = webhook needs secret_token"
dd gateway --help
check "gateway --help" [ $rc = 0 ] && has "$out" "Usage: dutydesk gateway [--listen HOST:PORT]"
done_testing
