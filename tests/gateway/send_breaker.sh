#!/usr/bin/env bash
# The circuit breaker: a channel failing again and again stops being used,
# shows as open in the database, is probed with one request after the
# cool-down, and resumes when the probe succeeds. Also a 131056 pair limit
# and a Retry-After header.
. "$(dirname "$0")/send_lib.sh"
command -v jq >/dev/null || { echo "1..0 # SKIP jq is needed"; exit 0; }

start_fake
write_config
export DUTYDESK_CONFIG=$CONF
dd init
dd import districts "$DATA/districts.csv"
dd import officers "$DATA/officers.csv"
check "a database with districts and officers" [ $rc = 0 ]

ids=""
for badge in 1001 1101 1201 1301 1302; do
	ids="$ids $(new_assigned $badge)"
done
check "five Telegram notifications queued" [ "$(sql "SELECT count(*) FROM outbox WHERE channel = 'telegram' AND state = 'queued'")" = 5 ]
# five failures open the breaker; the probe that follows is answered slowly
# (300 ms), so anything sent beside it would arrive while it is pending
fake_control '{"faults":[{"match":"sendMessage","action":"status","status":502,"times":5},{"match":"sendMessage","action":"slow","ms":300,"times":1}]}'
mark
start_sender
breaker_open() { [ "$(sql "SELECT state FROM gateway_state WHERE channel = 'telegram'")" = open ]; }
wait_for 10 breaker_open
check "after five failures in a row the breaker is open" breaker_open
check "the state says why" has "$(sql "SELECT detail FROM gateway_state WHERE channel = 'telegram'")" "5 failures in a row"
sleep 3
check "while open, nothing is sent (5 requests so far)" [ "$(nreq)" = 5 ]
wait_for 30 idle
stop_sender
check "all five were sent in the end" [ "$(sql "SELECT count(*) FROM outbox WHERE channel = 'telegram' AND state = 'sent'")" = 5 ]
check "ten requests: five failures, one probe, four more" [ "$(nreq)" = 10 ]
gap=$(( $(req 6 .t) - $(req 5 .t) ))
check "the probe came after the cool-down (10 s; after $gap ms)" [ "$gap" -ge 9000 ]
t6=$(req 6 .t); later=$(since_mark | jq -s "[.[5:][] | select(.t < $t6 + 290)] | length")
check "the probe went alone: nothing else until it was answered" [ "$later" = 1 ]
check "the channel is alive again" [ "$(sql "SELECT state FROM gateway_state WHERE channel = 'telegram'")" = alive ]
check "the log tells the story" grep -q "telegram: circuit breaker open" "$SENDER_ERR" &&
	grep -q "telegram: working again" "$SENDER_ERR"

# --- WhatsApp 131056 (pair rate limit): that recipient waits >= 6 s -----
open_window 77015551102
id=$(new_assigned 1102); n=$(note_of "$id")
fake_control '{"faults":[{"match":"/messages","action":"wa_error","code":131056}]}'
mark; sender --until-idle --seconds 20
gap=$(( $(req 2 .t) - $(req 1 .t) ))
check "131056: retried after the pair limit (6 s; after $gap ms) and sent" \
	[ "$(nreq)" = 2 ] && [ "$gap" -ge 6000 ] && [ "$(row "$n" state)" = sent ]

# --- HTTP 503 with a Retry-After header ----------------------------------
id=$(new_assigned 1202); n=$(note_of "$id")
open_window 77055551202
fake_control '{"faults":[{"match":"/messages","action":"header","status":503,"retry_after":3}]}'
mark; sender --until-idle --seconds 20
gap=$(( $(req 2 .t) - $(req 1 .t) ))
check "503 with Retry-After: 3 is honoured ($gap ms) and the row sent" \
	[ "$(nreq)" = 2 ] && [ "$gap" -ge 3000 ] && [ "$(row "$n" state)" = sent ]

# --- pacing: one chat gets at most one message a second -------------------
for i in 1 2 3; do new_assigned 1501 >/dev/null; done
mark; sender --until-idle --seconds 20
check "three messages to one Telegram chat" [ "$(nreq sendMessage)" = 3 ]
g1=$(( $(req 2 .t) - $(req 1 .t) )); g2=$(( $(req 3 .t) - $(req 2 .t) ))
check "are paced at 1/s per chat ($g1 ms, $g2 ms apart)" [ "$g1" -ge 950 ] && [ "$g2" -ge 950 ]
# while different chats go out together
for b in 1001 1101 1201 1301; do new_assigned $b >/dev/null; done
mark; sender --until-idle --seconds 20
span=$(( $(req 4 .t) - $(req 1 .t) ))
check "four different chats go out at once ($span ms)" [ "$(nreq)" = 4 ] && [ "$span" -lt 900 ]

# WhatsApp: a burst of 3 to one person, then about one per 6 s
for i in 1 2 3 4; do new_assigned 1401 >/dev/null; done
open_window 77475551401
mark; sender --until-idle --seconds 20
check "four WhatsApp messages to one person" [ "$(nreq /messages)" = 4 ]
burst=$(( $(req 3 .t) - $(req 1 .t) )); g=$(( $(req 4 .t) - $(req 1 .t) ))
check "three go at once ($burst ms), the fourth waits for the pace (${g} ms after the first)" \
	[ "$burst" -lt 1000 ] && [ "$g" -ge 5500 ]

# --- a refused token pauses the channel; SIGHUP with the right one resumes -
if [ "$SEND_DRIVER" = gateway ]; then
	sed -i "s/^token = $WA_TOKEN\$/token = expired-token-0000/" "$CONF"
	id=$(new_assigned 1102); n=$(note_of "$id")
	mark; start_sender
	paused() { [ "$(sql "SELECT state FROM gateway_state WHERE channel = 'whatsapp'")" = token_expired ]; }
	wait_for 10 paused
	check "a token the API refuses (190) pauses WhatsApp" paused && [ "$(row "$n" state)" = queued ]
	sed -i "s/^token = expired-token-0000\$/token = $WA_TOKEN/" "$CONF"
	kill -HUP "$SPID"
	sent() { [ "$(row "$n" state)" = sent ]; }
	wait_for 10 sent
	check "after SIGHUP with the new token the row is sent at once" sent
	check "and WhatsApp is alive again" [ "$(sql "SELECT state FROM gateway_state WHERE channel = 'whatsapp'")" = alive ]
	stop_sender
	check "the bad token never reached the log either" lacks "$SENDER_ERR" expired-token-0000
fi

check "the sender's log has no token" lacks "$SENDER_ERR" "$WA_TOKEN" "${TG_TOKEN#*:}"
check "no sanitizer reports from the sender or the fake" no_sanitizer_reports
done_testing
