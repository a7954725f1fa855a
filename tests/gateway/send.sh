#!/usr/bin/env bash
# The outbox sender against a fake messenger on loopback: what reaches the
# messenger (URL, token, body), the outbox rows it leaves, retries, pacing
# of retry_after, templates, permanent failures, the token pause, dropped
# connections and a SIGKILL in the middle of a send.
. "$(dirname "$0")/send_lib.sh"
command -v jq >/dev/null || { echo "1..0 # SKIP jq is needed"; exit 0; }

start_fake
write_config
export DUTYDESK_CONFIG=$CONF
dd init
dd import districts "$DATA/districts.csv"
dd import officers "$DATA/officers.csv"
check "a database with districts and officers" [ $rc = 0 ]
WA_OFFICER=1102; WA_PHONE=77015551102   # WhatsApp only
TG_OFFICER=1101; TG_CHAT=512000101      # has a Telegram id

# --- WhatsApp, window open: reply buttons -------------------------------
open_window $WA_PHONE
id=$(new_assigned $WA_OFFICER); n=$(note_of "$id")
check "assign queued the officer's WhatsApp notification" [ "$(row "$n" "state||'|'||channel")" = "queued|whatsapp" ]
mark; sender --until-idle --seconds 20
check "one request reached the fake" [ "$(nreq)" = 1 ]
check "POST /{phone_number_id}/messages" [ "$(req 1 '.method + " " + .path')" = "POST /$PNID/messages" ]
check "with the bearer token" [ "$(req 1 .authorization)" = "Bearer $WA_TOKEN" ]
check "a JSON body" [ "$(req 1 .content_type)" = "application/json" ]
body=$(req 1 .body)
check "to the officer's number, as interactive reply buttons" \
	[ "$(jq -r '.messaging_product + "|" + .to + "|" + .type + "|" + .interactive.type' <<<"$body")" = "whatsapp|$WA_PHONE|interactive|button" ]
check "the text names the report" has "$(jq -r .interactive.body.text <<<"$body")" "Report #$id"
check "buttons ack/onsite/done for the report" \
	[ "$(jq -r '[.interactive.action.buttons[].reply.id] | join(",")' <<<"$body")" = "ack:$id,onsite:$id,done:$id" ]
check "button titles fit WhatsApp's 20 characters" \
	[ "$(jq '[.interactive.action.buttons[].reply.title | length] | max' <<<"$body")" -le 20 ]
check "the row is sent with the fake's message id" \
	[ "$(row "$n" "state||'|'||external_id||'|'||attempts||'|'||template")" = "sent|wamid.FAKE$(req 1 .n)|1|0" ]
check "sent_at is recorded" [ "$(row "$n" "sent_at IS NOT NULL")" = 1 ]
check "the log names the row" grep -q "sent notification $n via whatsapp" "$SENDER_ERR"

# --- Telegram: inline keyboard ------------------------------------------
id=$(new_assigned $TG_OFFICER); n=$(note_of "$id")
mark; sender --until-idle --seconds 20
check "Telegram: POST /bot{token}/sendMessage" [ "$(nreq)" = 1 ] && [ "$(req 1 '.method + " " + .path')" = "POST /bot$TG_TOKEN/sendMessage" ]
body=$(req 1 .body)
check "to the officer's chat with the report in the text" \
	[ "$(jq -r .chat_id <<<"$body")" = $TG_CHAT ] && has "$(jq -r .text <<<"$body")" "Report #$id"
check "an inline keyboard with callback data" \
	[ "$(jq -r '[.reply_markup.inline_keyboard[0][].callback_data] | join(",")' <<<"$body")" = "ack:$id,onsite:$id,done:$id" ]
check "the row is sent; external id chat_id:message_id" \
	[ "$(row "$n" "state||'|'||external_id")" = "sent|$TG_CHAT:$(req 1 .n)" ]

# --- 429 with retry_after, then success: once, after the wait -----------
id=$(new_assigned $TG_OFFICER); n=$(note_of "$id")
fake_control '{"faults":[{"match":"sendMessage","action":"tg_error","code":429,"retry_after":2}]}'
mark; sender --until-idle --seconds 20
check "429 then success: two requests" [ "$(nreq)" = 2 ]
gap=$(( $(req 2 .t) - $(req 1 .t) ))
check "the second came after retry_after (2 s; it came after $gap ms)" [ "$gap" -ge 2000 ] && [ "$gap" -lt 4000 ]
check "sent once: the row is sent after 2 attempts" [ "$(row "$n" "state||'|'||attempts")" = "sent|2" ]
check "the retry was logged with the reason" grep -q "retry notification $n via telegram in 2000 ms (attempt 1): Telegram 429" "$SENDER_ERR"

# --- WhatsApp 130429 (rate limit) then success ---------------------------
id=$(new_assigned $WA_OFFICER); n=$(note_of "$id")
fake_control '{"faults":[{"match":"/messages","action":"wa_error","code":130429,"status":429}]}'
mark; sender --until-idle --seconds 20
check "130429 then success: two requests, row sent" [ "$(nreq)" = 2 ] && [ "$(row "$n" state)" = sent ]

# --- 500 twice, then success: backoff -------------------------------------
id=$(new_assigned $WA_OFFICER); n=$(note_of "$id")
fake_control '{"faults":[{"match":"/messages","action":"status","status":500,"times":2}]}'
mark; sender --until-idle --seconds 20
check "500, 500, 200: three requests" [ "$(nreq)" = 3 ]
g1=$(( $(req 2 .t) - $(req 1 .t) )); g2=$(( $(req 3 .t) - $(req 2 .t) ))
check "exponential backoff with jitter (waits $g1 ms, then $g2 ms)" \
	[ "$g1" -ge 800 ] && [ "$g1" -le 1500 ] && [ "$g2" -ge 1600 ] && [ "$g2" -le 2800 ]
check "the row is sent after 3 attempts, the last error cleared" [ "$(row "$n" "state||'|'||attempts||'|'||coalesce(error,'-')")" = "sent|3|-" ]
check "the connection was kept alive across the retries" [ "$(since_mark | jq .peer_port | sort -u | wc -l)" = 1 ]

# --- 131047: re-engagement, resent as the template -----------------------
id=$(new_assigned $WA_OFFICER); n=$(note_of "$id")
fake_control '{"faults":[{"match":"/messages","action":"wa_error","code":131047}]}'
mark; sender --until-idle --seconds 20
check "131047: a second request follows" [ "$(nreq)" = 2 ]
check "first interactive, then the template" \
	[ "$(req 1 '.body | fromjson | .type')" = interactive ] && [ "$(req 2 '.body | fromjson | .type')" = template ]
check "the configured template, language and the text as its parameter" \
	[ "$(req 2 '.body | fromjson | .template | .name + "|" + .language.code')" = "officer_alert|ru" ] &&
	has "$(req 2 '.body | fromjson | .template.components[0].parameters[0].text')" "Report #$id"
check "the row is sent, marked as a template" [ "$(row "$n" "state||'|'||template")" = "sent|1" ]

# --- window closed: the template at once ---------------------------------
close_window $WA_PHONE
id=$(new_assigned $WA_OFFICER); n=$(note_of "$id")
mark; sender --until-idle --seconds 20
check "outside the 24-hour window the template goes first" [ "$(nreq)" = 1 ] && [ "$(req 1 '.body | fromjson | .type')" = template ]
check "the row records the template" [ "$(row "$n" "state||'|'||template")" = "sent|1" ]
open_window $WA_PHONE

# --- the reporter hears back: text in the window, the template outside --
dd import orgs "$DATA/orgs.csv"
dd import reporters "$DATA/reporters.csv"
RPHONE=77017772001
open_window $RPHONE
id=$("$DUTYDESK" report add --district PVL-01 --category improvement --text "Мусор во дворе" --reporter $RPHONE)
dd report assign "$id" $TG_OFFICER
r=$(sql "SELECT id FROM outbox WHERE report_id = $id AND recipient = 'reporter'")
check "assign queued a WhatsApp answer to the reporter" [ "$(row "$r" "channel||'|'||address")" = "whatsapp|$RPHONE" ]
mark; sender --until-idle --seconds 20
rq=$(since_mark | jq -c 'select(.path | contains("/messages"))')
check "the reporter got plain text with the report number, no buttons" \
	[ "$(jq -r '.body | fromjson | .type + "|" + .to' <<<"$rq")" = "text|$RPHONE" ] &&
	has "$(jq -r '.body | fromjson | .text.body' <<<"$rq")" "#$id"
check "both rows are sent" [ "$(sql "SELECT group_concat(state) FROM outbox WHERE report_id = $id")" = "sent,sent" ]
close_window $RPHONE
dd report set "$id" acknowledged; dd report set "$id" on_site; dd report set "$id" resolved
r=$(sql "SELECT id FROM outbox WHERE report_id = $id AND recipient = 'reporter' AND kind = 'resolved'")
mark; sender --until-idle --seconds 20
check "outside the window the reporter gets the reporter template" \
	[ "$(req 1 '.body | fromjson | .type + "|" + .template.name')" = "template|reporter_update" ] &&
	[ "$(row "$r" "state||'|'||template")" = "sent|1" ]

# --- 131026: permanent, failed at once -----------------------------------
id=$(new_assigned $WA_OFFICER); n=$(note_of "$id")
fake_control '{"faults":[{"match":"/messages","action":"wa_error","code":131026}]}'
mark; sender --until-idle --seconds 20
check "131026: one request only" [ "$(nreq)" = 1 ]
check "the row failed with the code and the reason" \
	[ "$(row "$n" "state||'|'||error_code")" = "failed|131026" ] && has "$(row "$n" error)" "Message undeliverable"
check "the failure was logged" grep -q "failed notification $n via whatsapp: WhatsApp 131026" "$SENDER_ERR"

# --- 190: token expired pauses the channel, the row stays queued ---------
id=$(new_assigned $WA_OFFICER); n=$(note_of "$id")
fake_control '{"faults":[{"match":"/messages","action":"wa_error","code":190,"times":5}]}'
mark; sender --seconds 3
check "190: one request, then nothing more while paused" [ "$(nreq)" = 1 ]
check "the row is still queued with the error" [ "$(row "$n" "state||'|'||error_code")" = "queued|190" ]
check "the channel shows token_expired" [ "$(sql "SELECT state FROM gateway_state WHERE channel = 'whatsapp'")" = token_expired ]
check "the pause was logged without the token" grep -q "whatsapp: paused" "$SENDER_ERR"
fake_control '{"clear":true}'
mark; sender --until-idle --seconds 20
check "after a restart with the token accepted again the row is sent" [ "$(nreq)" = 1 ] && [ "$(row "$n" state)" = sent ]
check "the channel is alive again" [ "$(sql "SELECT state FROM gateway_state WHERE channel = 'whatsapp'")" = alive ]

# --- a dropped connection is retried --------------------------------------
id=$(new_assigned $TG_OFFICER); n=$(note_of "$id")
fake_control '{"faults":[{"match":"sendMessage","action":"drop"}]}'
mark; sender --until-idle --seconds 20
check "dropped, then sent: two requests" [ "$(nreq)" = 2 ] && [ "$(row "$n" "state||'|'||attempts")" = "sent|2" ]
check "the network error was logged" grep -q "retry notification $n via telegram .*Telegram: network" "$SENDER_ERR"

# --- SIGKILL in the middle of a send, then a restart ----------------------
id=$(new_assigned $TG_OFFICER); n=$(note_of "$id")
fake_control '{"faults":[{"match":"sendMessage","action":"slow","ms":4000}]}'
mark
start_sender
wait_for 10 nreq_ge 1
check "the request reached the (slow) fake" [ "$(nreq)" = 1 ]
check "the row is 'sending' meanwhile" [ "$(row "$n" state)" = sending ]
kill -9 "$SPID"; wait "$SPID" 2>/dev/null
check "killed: the row is still 'sending', not lost" [ "$(row "$n" state)" = sending ]
sender --until-idle --seconds 20
check "restarted: the notification was sent again (at least once)" [ "$(nreq sendMessage)" -ge 2 ]
check "the row is sent" [ "$(row "$n" state)" = sent ]
check "the restart said it re-queued it" grep -q "re-queued 1 notification(s) interrupted" "$SENDER_ERR"
check "nothing is left queued or sending" [ "$(sql "SELECT count(*) FROM outbox WHERE state IN ('queued','sending')")" = 0 ]

# --- rows older than give_up_after fail without a request -----------------
id=$(new_assigned $TG_OFFICER); n=$(note_of "$id")
sql "UPDATE outbox SET created_at = created_at - 2 * 86400000 WHERE id = $n"
mark; sender --until-idle --seconds 20
check "an old row is given up without a request" [ "$(nreq)" = 0 ] &&
	[ "$(row "$n" state)" = failed ] && has "$(row "$n" error)" "gave up after 0 attempts"

# --- asked for a template (131047) with none configured: failed, not looped
sed -i '/^template_officer = /d' "$CONF"
id=$(new_assigned $WA_OFFICER); n=$(note_of "$id")
sql "UPDATE outbox SET template = 1 WHERE id = $n"
mark; sender --until-idle --seconds 20
check "a row that needs a template fails when none is configured, without a request" \
	[ "$(nreq)" = 0 ] && [ "$(row "$n" "state||'|'||error_code")" = "failed|131047" ] &&
	has "$(row "$n" error)" "no template is configured"
write_config

# --- secrets never reach the log ------------------------------------------
check "the sender's log has no token" lacks "$SENDER_ERR" "$WA_TOKEN" "${TG_TOKEN#*:}"

check "no sanitizer reports from the sender or the fake" no_sanitizer_reports
done_testing
