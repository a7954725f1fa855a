#!/usr/bin/env bash
# Telegram's overall limit: notifications to many chats at once go out at
# no more than 30 a second, and every one of them goes out.
. "$(dirname "$0")/send_lib.sh"
command -v jq >/dev/null || { echo "1..0 # SKIP jq is needed"; exit 0; }

start_fake
write_config
export DUTYDESK_CONFIG=$CONF
dd init
check "a fresh database" [ $rc = 0 ]
# 75 notifications to 75 different chats, all due now (queued as the core
# queues them; written directly to need no city of 75 officers)
now=$(now_ms)
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 75)
	INSERT INTO outbox(recipient, channel, address, kind, body, next_at, created_at, updated_at)
	SELECT 'reporter', 'telegram', 700000000 + i, 'received', 'Ваше обращение принято', $now, $now, $now FROM n"
check "75 Telegram notifications to 75 chats are queued" [ "$(sql "SELECT count(*) FROM outbox WHERE state = 'queued'")" = 75 ]
mark
sender --seconds 20 --until-idle
check "all 75 were sent" [ "$(sql "SELECT count(*) FROM outbox WHERE state = 'sent'")" = 75 ]
check "75 requests reached the fake" [ "$(nreq sendMessage)" = 75 ]
# the most requests that arrived within any one second
busiest=$(since_mark | jq -r 'select(.path | contains("sendMessage")) | .t' | sort -n |
	awk '{ t[NR] = $1 } END { best = 0; j = 1; for (i = 1; i <= NR; i++) { while (t[i] - t[j] >= 1000) j++; if (i - j + 1 > best) best = i - j + 1 } print best }')
check "no more than 30 in any second (busiest: $busiest)" [ "$busiest" -le 30 ]
first=$(since_mark | jq -r 'select(.path | contains("sendMessage")) | .t' | sort -n | head -n 1)
last=$(since_mark | jq -r 'select(.path | contains("sendMessage")) | .t' | sort -n | tail -n 1)
check "75 messages took at least two seconds ($((last - first)) ms)" [ $((last - first)) -ge 2000 ]
check "no sanitizer reports" no_sanitizer_reports
done_testing
