#!/usr/bin/env bash
# Media download: WhatsApp (media id -> URL -> bytes, with the bearer) and
# Telegram (getFile -> file_path -> bytes) into the media folder by content
# hash; a wrong sha256 is retried and recorded; a file over max_media fails.
. "$(dirname "$0")/send_lib.sh"
command -v jq >/dev/null || { echo "1..0 # SKIP jq is needed"; exit 0; }

start_fake
write_config "max_media = 4096"
export DUTYDESK_CONFIG=$CONF
dd init
check "a database" [ $rc = 0 ]

# attach CHANNEL MEDIA_ID [SHA256]: a report by CHANNEL with one pending
# image, as the inbound path stores it; prints the attachment id.
attach() {
	sql "INSERT INTO reports(category, channel, text, received_at, updated_at) VALUES ('other', '$1', 'фото', 1, 1)"
	sql "INSERT INTO attachments(report_id, kind, mime, sha256, media_id, created_at) VALUES ((SELECT max(id) FROM reports), 'image', 'image/jpeg', ${3:-NULL}, '$2', 1)"
	sql "SELECT max(id) FROM attachments"
}
att() { sql "SELECT $2 FROM attachments WHERE id = $1"; }

a=$(attach whatsapp 1093380000000001)
b=$(attach telegram AgACAgIAAxkBAAIBOGZ0large)
mark; sender --until-idle --seconds 20
check "WhatsApp: GET /{media_id} with the bearer, then the URL it gave" \
	[ "$(since_mark | jq -r 'select(.path | test("1093380000000001")) | .method + " " + .path + " " + .authorization' | tr '\n' '|')" = "GET /1093380000000001 Bearer $WA_TOKEN|GET /_media/1093380000000001 Bearer $WA_TOKEN|" ]
check "Telegram: getFile with the file_id, then the file" \
	[ "$(since_mark | jq -r 'select(.path | test("getFile|/file/bot")) | .path + " " + (.query.file_id // "")' | tr '\n' '|')" = "/bot$TG_TOKEN/getFile AgACAgIAAxkBAAIBOGZ0large|/file/bot$TG_TOKEN/photos/AgACAgIAAxkBAAIBOGZ0large.jpg |" ]
for x in $a $b; do
	path=$(att "$x" path); sha=$(att "$x" sha256)
	check "attachment $x stored by its hash: $path" [ "$(att "$x" "state || '|' || size")" = "stored|1000" ] &&
		[ "$path" = "${sha:0:2}/$sha.jpg" ]
	check "the file is there, whole, and its sha256 is the recorded one" \
		[ -f "$SCRATCH/media/$path" ] && [ "$(sha256sum <"$SCRATCH/media/$path" | cut -d' ' -f1)" = "$sha" ]
done
check "no temporary file is left behind" [ -z "$(find "$SCRATCH/media" -name '.download-*')" ]
check "the log names them" grep -q "stored attachment $a as" "$SCRATCH/sender.err"

# a sha256 announced by the webhook (base64, as WhatsApp writes it) is checked
sum=$(printf '%s' "$(att "$a" sha256)" | xxd -r -p | base64)
c=$(attach whatsapp 1093380000000001 "'$sum'")
sender --until-idle --seconds 20
check "a matching base64 sha256 from the webhook is accepted" [ "$(att "$c" state)" = stored ]

# a wrong sha256 from the API: not stored, retried, the reason recorded
fake_control '{"bad_sha":true}'
d=$(attach whatsapp 1093380000000077)
sender --seconds 2
check "a sha256 mismatch is not stored; it stays pending with the reason" \
	[ "$(att "$d" "state || '|' || (attempts >= 1) || '|' || (next_at > 0) || '|' || coalesce(path, '-')")" = "pending|1|1|-" ] &&
	has "$(att "$d" error)" "SHA-256 does not match"
fake_control '{"bad_sha":false}'
sql "UPDATE attachments SET next_at = 0 WHERE id = $d"
sender --until-idle --seconds 20
check "the retry stores it" [ "$(att "$d" state)" = stored ]

# a wrong sha256 in the webhook (the API's own is right) is caught too
g=$(attach whatsapp 1093380000000055 "'q1m1y9x3b8dQy1+3Z7kPp0oXv5mQ2r8f4Jc6nW0tL9E='")
sender --seconds 1
check "a webhook sha256 that does not match is not stored" \
	[ "$(att "$g" "state || '|' || coalesce(path, '-')")" = "pending|-" ] && has "$(att "$g" error)" "SHA-256 does not match"

# over max_media: failed at once, nothing downloaded
fake_control '{"media_size":5000}'
e=$(attach whatsapp 1093380000000099)
mark; sender --until-idle --seconds 20
check "a file over max_media fails with the reason" [ "$(att "$e" state)" = failed ] && has "$(att "$e" error)" "too large"
check "and was not downloaded" [ "$(nreq _media)" = 0 ]
f=$(attach telegram BigTelegramFile)
sender --until-idle --seconds 20
check "same for Telegram" [ "$(att "$f" state)" = failed ] && has "$(att "$f" error)" "too large"

check "the sender's log has no token" lacks "$SENDER_ERR" "$WA_TOKEN" "${TG_TOKEN#*:}"
check "no sanitizer reports from the sender or the fake" no_sanitizer_reports
done_testing
