# Shared by the gateway tests: the CLI tests' scratch world and TAP output,
# plus a fake messenger on a loopback port and the sender run against it.
# Every process started here is killed on exit; every wait has a timeout.
. "$(dirname "$0")/../cli/lib.sh"

BUILD=$(cd "$(dirname "$DUTYDESK")/.." && pwd)
FAKE_BIN=$BUILD/tests/gateway/fake_messenger
SENDER_BIN=$BUILD/tests/gateway/run_sender
WA_TOKEN=EAAG-test-wa-token-4711
TG_TOKEN=123456:test-tg-token-0815
PNID=310000000000002
CONF=$SCRATCH/dutydesk.conf
FAKE_LOG=$SCRATCH/fake.log
SENDER_ERR=$SCRATCH/sender.err
_pids=""

_cleanup() {
	local p
	for p in $_pids; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$SCRATCH"
}
trap _cleanup EXIT

# start_fake: runs the fake messenger; sets FAKE_PID and PORT.
start_fake() {
	rm -f "$SCRATCH/port"
	"$FAKE_BIN" --port-file "$SCRATCH/port" --log "$FAKE_LOG" --wa-token "$WA_TOKEN" \
		--tg-token "$TG_TOKEN" >/dev/null 2>"$SCRATCH/fake.err" &
	FAKE_PID=$!
	_pids="$_pids $FAKE_PID"
	local i
	for i in $(seq 100); do
		[ -s "$SCRATCH/port" ] && break
		sleep 0.05
	done
	PORT=$(cat "$SCRATCH/port" 2>/dev/null)
	[ -n "$PORT" ] || { echo "Bail out! the fake messenger did not start: $(cat "$SCRATCH/fake.err")"; exit 1; }
}

# write_config [EXTRA INI LINES for [gateway]]: both messengers at the fake.
write_config() {
	cat >"$CONF" <<CONF
[site]
database = $DUTYDESK_DB
media_dir = $SCRATCH/media
[gateway]
$*
[whatsapp]
api_base = http://127.0.0.1:$PORT
phone_number_id = $PNID
token = $WA_TOKEN
template_officer = officer_alert
template_reporter = reporter_update
template_lang = ru
[telegram]
api_base = http://127.0.0.1:$PORT
token = $TG_TOKEN
CONF
	chmod 600 "$CONF"
}

# fake_control JSON: tells the fake how to answer the next requests.
fake_control() {
	curl -sS --max-time 5 -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data "$1" "http://127.0.0.1:$PORT/_control"
}

# The sender runs inside the daemon (`dutydesk gateway`, webhook server on
# a free loopback port); SEND_DRIVER=run_sender runs it alone instead.
SEND_DRIVER=${SEND_DRIVER:-gateway}

# start_sender: starts it in the background; sets SPID.
start_sender() {
	if [ "$SEND_DRIVER" = run_sender ]; then
		"$SENDER_BIN" --db "$DUTYDESK_DB" --config "$CONF" --seconds 80 2>>"$SENDER_ERR" &
	else
		"$DUTYDESK" --config "$CONF" gateway --listen 127.0.0.1:0 2>>"$SENDER_ERR" &
	fi
	SPID=$!
	_pids="$_pids $SPID"
}
# running PID: the process exists and is not a zombie.
running() { [ -e "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }
stopped() { ! running "$1"; }
# stop_sender: SIGTERM, then SIGKILL after 10 s.
stop_sender() {
	kill -TERM "$SPID" 2>/dev/null
	wait_for 10 stopped "$SPID" || { echo "# the sender did not stop on SIGTERM" >&2; kill -9 "$SPID" 2>/dev/null; }
	wait "$SPID" 2>/dev/null
}
# idle: nothing queued or sending, no attachment pending.
idle() {
	[ "$(sql "SELECT (SELECT count(*) FROM outbox WHERE state IN ('queued','sending')) + (SELECT count(*) FROM attachments WHERE state = 'pending')")" = 0 ]
}
# sender [--seconds N] [--until-idle]: runs the sender for N seconds (20 by
# default), or until idle for a few polls in a row, then stops it.
sender() {
	local secs=20 until_idle=false quiet=0 i
	while [ $# -gt 0 ]; do
		case $1 in
		--seconds) secs=$2; shift ;;
		--until-idle) until_idle=true ;;
		esac
		shift
	done
	start_sender
	for i in $(seq $((secs * 10))); do
		sleep 0.1
		if $until_idle && idle; then
			quiet=$((quiet + 1))
			[ $quiet -ge 5 ] && break
		else
			quiet=0
		fi
	done
	stop_sender
}

# mark: remembers how many requests the fake has seen; since_mark prints
# the requests after that, one JSON line each.
mark() { _mark=$(wc -l <"$FAKE_LOG" 2>/dev/null || echo 0); }
since_mark() { tail -n +"$((_mark + 1))" "$FAKE_LOG"; }
# nreq [PATH-SUBSTRING]: requests since the mark (to paths containing it).
nreq() { since_mark | jq -c --arg m "${1:-}" 'select(.path | contains($m))' | wc -l; }
# nreq_ge N [PATH-SUBSTRING]: at least N such requests since the mark.
nreq_ge() { [ "$(nreq "${2:-}")" -ge "$1" ]; }
# lacks FILE STRING...: none of the strings is in FILE.
lacks() { local f=$1 s; shift; for s; do ! grep -qF -- "$s" "$f" || return 1; done; }
# req K FILTER: jq FILTER applied to the K-th request since the mark (1-based).
req() { since_mark | sed -n "$1p" | jq -r "$2"; }

# wait_for SECONDS COMMAND...: polls until COMMAND succeeds; false on timeout.
wait_for() {
	local t=$1 i
	shift
	for i in $(seq $((t * 20))); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# new_assigned BADGE: a new desk report assigned to BADGE; prints its id.
new_assigned() {
	local id
	id=$("$DUTYDESK" --config "$CONF" report add --district PVL-01 --category smoking \
		--text "Курят в подъезде, дом $RANDOM" 2>>"$SCRATCH/cli.err")
	[ -n "$id" ] || echo "# report add failed: $(tail -1 "$SCRATCH/cli.err")" >&2
	"$DUTYDESK" --config "$CONF" report assign "$id" "$1" >/dev/null 2>>"$SCRATCH/cli.err" ||
		echo "# assign $id to $1 failed: $(tail -1 "$SCRATCH/cli.err")" >&2
	echo "$id"
}
# the officer's notification (outbox row) of report ID
note_of() { sql "SELECT id FROM outbox WHERE report_id = $1 AND recipient = 'officer'"; }
row() { sql "SELECT $2 FROM outbox WHERE id = $1"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
open_window() { sql "INSERT INTO contacts(channel, address, last_inbound_at) VALUES ('whatsapp', '$1', $(now_ms)) ON CONFLICT DO UPDATE SET last_inbound_at = excluded.last_inbound_at"; }
close_window() { sql "DELETE FROM contacts WHERE channel = 'whatsapp' AND address = '$1'"; }
# no_sanitizer_reports: neither the sender nor the fake reported a memory
# error, a leak or undefined behaviour (in --enable-sanitizers builds).
no_sanitizer_reports() {
	lacks "$SENDER_ERR" "AddressSanitizer" "LeakSanitizer" "runtime error:" &&
		lacks "$SCRATCH/fake.err" "AddressSanitizer" "LeakSanitizer" "runtime error:"
}
