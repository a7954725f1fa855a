#!/usr/bin/env bash
# `dutydesk ingest`: every fixture through the same path the gateway takes,
# on a real database; what it prints and the rows it leaves.
. "$(dirname "$0")/../cli/lib.sh"
FIX=$SRCDIR/tests/data/fixtures
[ -d "$FIX" ] || FIX=$SHARED/fixtures

dd init
for kind in districts officers orgs reporters; do dd import $kind "$DATA/$kind.csv"; done
check "the city is imported" [ $rc = 0 ] && [ "$(sql "SELECT count(*) FROM officers")" -gt 0 ]

# The fixtures' people, made known: Гульнара is the KSK «Жулдыз» reporter
# (PVL-01); the officer who answers is 1102 (WhatsApp only) or 1101 (Telegram).
REPORTER=77017772001
wa() { sed -e "s/77051230001/$REPORTER/g" -e "s/77773330017/77015551102/g" "$FIX/whatsapp/$1.json" >"$SCRATCH/$1.json"; }

wa text
dd ingest whatsapp "$SCRATCH/text.json"
check "a text from a known reporter is stored as a new report" [ $rc = 0 ] && [ "$out" = "stored report #1 (new)" ]
check "routed reporter -> organisation -> district" \
	[ "$(sql "SELECT d.code || '|' || r.channel || '|' || (r.reporter_id IS NOT NULL) FROM reports r JOIN districts d ON d.id = r.district_id WHERE r.id = 1")" = "PVL-01|whatsapp|1" ]
check "the raw body is kept with the report and the message" \
	[ "$(sql "SELECT count(*) FROM reports r JOIN inbound i ON i.report_id = r.id WHERE r.raw LIKE '%whatsapp_business_account%' AND i.raw = r.raw")" = 1 ]
check "the reporter's 'received' notification is queued with the number" \
	[ "$(sql "SELECT count(*) FROM outbox WHERE report_id = 1 AND recipient = 'reporter' AND kind = 'received' AND state = 'queued' AND body LIKE '%#1%'")" = 1 ]

dd ingest whatsapp - <"$SCRATCH/text.json"
check "the same body again (from stdin) is a duplicate, not a second report" [ $rc = 0 ] &&
	has "$out" "duplicate message wamid.HBgLNzcwNTEyMzAwMDEVAgASGBQzQUIxMjM0NTY3ODkwQUJDREVGAA== (report #1)" &&
	[ "$(sql "SELECT count(*) FROM reports")" = 1 ] && [ "$(sql "SELECT count(*) FROM outbox")" = 1 ]

wa location
dd ingest whatsapp "$SCRATCH/location.json"
check "a location a minute later joins the report" [ $rc = 0 ] && [ "$out" = "joined report #1" ] &&
	[ "$(sql "SELECT round(lat, 5) || '|' || round(lon, 5) || '|' || address || '|' || version FROM reports WHERE id = 1")" = "52.28503|76.95981|ул. Естая 143, Павлодар|2" ] &&
	[ "$(sql "SELECT count(*) FROM events WHERE report_id = 1 AND action = 'append'")" = 1 ]

dd ingest whatsapp "$FIX/whatsapp/image.json"
check "an image from an unknown sender: a new unrouted report with a pending attachment" [ $rc = 0 ] &&
	[ "$out" = "stored report #2 (new)" ] &&
	[ "$(sql "SELECT (district_id IS NULL) || '|' || sender || '|' || sender_name FROM reports WHERE id = 2")" = "1|77012220045|Серик Жумабаев" ] &&
	[ "$(sql "SELECT kind || '|' || state || '|' || media_id || '|' || mime FROM attachments WHERE report_id = 2")" = "image|pending|1093380000000001|image/jpeg" ]

# the officer's side: report 1 assigned to 1102, whose notification went out
# as the fixtures' outbound message id
dd report assign 1 1102
check "assign queues the officer's WhatsApp message" [ $rc = 0 ] &&
	[ "$(sql "SELECT channel FROM outbox WHERE recipient = 'officer' AND report_id = 1")" = whatsapp ]
sql "UPDATE outbox SET state = 'sent', external_id = 'wamid.OUTBOUND0000000000000000000001' WHERE recipient = 'officer' AND report_id = 1"
note_id=$(sql "SELECT id FROM outbox WHERE recipient = 'officer' AND report_id = 1")

wa officer_reply
dd ingest whatsapp "$SCRATCH/officer_reply.json"
check "the officer's '1' acknowledges the report it answers" [ $rc = 0 ] &&
	[ "$out" = "officer 1102: report #1 acknowledged" ] &&
	[ "$(sql "SELECT status FROM reports WHERE id = 1")" = acknowledged ] &&
	[ "$(sql "SELECT actor FROM events WHERE report_id = 1 ORDER BY id DESC LIMIT 1")" = "officer:1102" ]

wa button_reply
sed -i 's/onsite:1041/onsite:1/' "$SCRATCH/button_reply.json"
dd ingest whatsapp "$SCRATCH/button_reply.json"
check "the 'on site' reply button moves it on" [ $rc = 0 ] && [ "$out" = "officer 1102: report #1 on site" ] &&
	[ "$(sql "SELECT status FROM reports WHERE id = 1")" = on_site ]

dd ingest whatsapp "$FIX/whatsapp/status_delivered.json"
check "a delivered status moves the notification" [ $rc = 0 ] &&
	[ "$out" = "status delivered for notification #$note_id" ] &&
	[ "$(sql "SELECT state FROM outbox WHERE id = $note_id")" = delivered ]
dd ingest whatsapp "$FIX/whatsapp/status_failed_131047.json"
check "a status for a message we never sent is ignored, not an error" [ $rc = 0 ] &&
	has "$out" "for unknown message wamid.OUTBOUND0000000000000000000002 ignored"

# Telegram
dd ingest telegram "$FIX/telegram/text.json"
check "a Telegram text from an unknown sender is a new report" [ $rc = 0 ] && [ "$out" = "stored report #3 (new)" ] &&
	[ "$(sql "SELECT sender || '|' || sender_name || '|' || external_id FROM reports WHERE id = 3")" = "5200000101|Марат Ахметов|5200000101:311" ]
dd ingest telegram "$FIX/telegram/photo.json"
check "its photo (the largest size) joins it" [ $rc = 0 ] && [ "$out" = "joined report #3" ] &&
	[ "$(sql "SELECT media_id || '|' || caption FROM attachments WHERE report_id = 3")" = "AgACAgIAAxkBAAIBOGZ0large|Фото кольца и гравировки" ]
dd ingest telegram "$FIX/telegram/location.json"
check "and its location" [ $rc = 0 ] && [ "$out" = "joined report #3" ] && [ "$(sql "SELECT lat IS NOT NULL FROM reports WHERE id = 3")" = 1 ]
dd ingest telegram "$FIX/telegram/getupdates_response.json"
check "a getUpdates answer: a report and its edit" [ $rc = 0 ] && has "$out" "stored report #4 (new)" && has "$out" "edited report #4" &&
	has "$(sql "SELECT text FROM reports WHERE id = 4")" "подъезд 2" &&
	[ "$(sql "SELECT count(*) FROM events WHERE report_id = 4 AND action = 'edit' AND before LIKE '%text%' AND after LIKE '%text%'")" = 1 ]
dd ingest telegram "$FIX/telegram/callback_query.json"
check "a button press from someone who is no officer makes no report" [ $rc = 0 ] &&
	has "$out" "not an officer) ignored" && [ "$(sql "SELECT count(*) FROM reports")" = 4 ]

# a Telegram button from officer 1101 for a report assigned to them
dd report assign 4 1101
sed -e 's/5300000017/512000101/g' -e 's/ack:1041/ack:4/' -e 's/4382000000000000104/4382000000000000999/' \
	"$FIX/telegram/callback_query.json" >"$SCRATCH/cb.json"
dd ingest telegram "$SCRATCH/cb.json"
check "the officer's Telegram button acknowledges, and the callback is to be answered" [ $rc = 0 ] &&
	has "$out" "officer 1101: report #4 acknowledged" && has "$out" "callback 4382000000000000999" &&
	[ "$(sql "SELECT status FROM reports WHERE id = 4")" = acknowledged ]

# unclear reply: a help answer is queued for the officer
sed -e 's/"body":"1"/"body":"какой адрес?"/' -e 's/AAAAAAMQA=/AAAAAAMQB=/' "$SCRATCH/officer_reply.json" >"$SCRATCH/unclear.json"
dd ingest whatsapp "$SCRATCH/unclear.json"
check "an unclear reply gets a help answer" [ $rc = 0 ] && has "$out" "officer 1102: unclear reply; help sent" &&
	[ "$(sql "SELECT count(*) FROM outbox o JOIN officers f ON f.id = o.officer_id WHERE f.badge = '1102' AND o.kind = 'help'")" = 1 ]

# linking the unknown image sender to a reporter of KSK «Усолка-2» (PVL-02)
sql "INSERT INTO reporters(name, telegram_id, org_id, created_at) SELECT 'Серик', 999001, id, 0 FROM organisations WHERE name = 'КСК «Усолка-2»'"
rid=$(sql "SELECT id FROM reporters WHERE telegram_id = 999001")
dd reporter link 77012220045 "$rid"
check "reporter link moves the sender's unrouted report to the reporter's district" [ $rc = 0 ] &&
	[ "$out" = "linked 77012220045: 1 report(s) moved" ] &&
	[ "$(sql "SELECT d.code FROM reports r JOIN districts d ON d.id = r.district_id WHERE r.id = 2")" = PVL-02 ] &&
	[ "$(sql "SELECT phone FROM reporters WHERE id = $rid")" = 77012220045 ] &&
	[ "$(sql "SELECT count(*) FROM events WHERE report_id = 2 AND action = 'link'")" = 1 ]
dd reporter link 77000000000 "$rid"
check "linking a sender that never wrote fails clearly" [ $rc = 1 ] && has "$err" "no messages from 77000000000"
dd reporter link 77012220045
check "reporter link without a reporter is a usage error" [ $rc = 2 ]

# bad input: clear errors, nothing stored, nothing raw on the terminal
before=$(sql "SELECT count(*) FROM inbound")
printf '{"entry":' >"$SCRATCH/cut.json"
dd ingest whatsapp "$SCRATCH/cut.json"
check "a cut body is refused as invalid JSON" [ $rc = 1 ] && has "$err" "invalid JSON"
printf '{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"from":"7001","id":"u1","type":"text","text":{"body":"\xff\xfe"}}]}}]}]}' >"$SCRATCH/utf8.json"
dd ingest whatsapp "$SCRATCH/utf8.json"
check "invalid UTF-8 is refused as invalid JSON" [ $rc = 1 ] && has "$err" "invalid JSON"
dd ingest telegram "$FIX/telegram/error_429.json"
check "a Telegram error answer is not an update" [ $rc = 1 ] && has "$err" "not a Telegram update"
dd ingest whatsapp "$SCRATCH/missing.json"
check "a missing file is named" [ $rc = 1 ] && has "$err" "missing.json" && has "$err" "No such file"
dd ingest sms "$SCRATCH/text.json"
check "an unknown channel is a usage error" [ $rc = 2 ] && has "$err" "unknown channel 'sms'"
check "nothing was stored by the refusals" [ "$(sql "SELECT count(*) FROM inbound")" = "$before" ]
printf '{"entry":[{"changes":[{"value":{"messages":[{"from":"7001","id":"wamid.\\u001b[2J\\u202e","type":"sticker"}]}}]}]}' >"$SCRATCH/esc.json"
dd ingest whatsapp "$SCRATCH/esc.json"
check "an unknown type is kept as unsupported, and its id is shown cleaned" [ $rc = 0 ] &&
	has "$out" "stored report #5 (new)" && ! printf '%s' "$out" | grep -q $'\e' && has "$out" "^[" &&
	[ "$(sql "SELECT text FROM reports WHERE id = 5")" = "[unsupported message type: sticker]" ] &&
	[ "$(sql "SELECT kind FROM inbound WHERE report_id = 5")" = unsupported ]
dd ingest --help
check "ingest --help" [ $rc = 0 ] && has "$out" "Usage: dutydesk ingest whatsapp|telegram [FILE|-]"

dd check
check "the audit chain is intact after all of it" has "$out" "chain intact"
done_testing
