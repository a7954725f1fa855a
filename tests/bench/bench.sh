#!/bin/sh
# `make bench`: runs the benchmark programs on data they generate, then
# prints one table of every figure with its baseline (measured in the same
# run) and the ratio, and writes the same as bench.json.
#
#   BUILD=builddir SRCDIR=srcdir sh tests/bench/bench.sh
#
# Environment: BENCH_REPORTS (1000000), BENCH_INGEST (100000),
# BENCH_WEBHOOKS (20000), BENCH_NOTIFICATIONS (10000), BENCH_JSON
# (bench.json in the build folder). The database of BENCH_REPORTS reports
# is built once and kept in the build folder (bench-N.db); everything else
# lives in a scratch folder removed at the end. Every program kills what it
# started; every step is bounded by timeout(1).
set -u
BUILD=${BUILD:-$(pwd)}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
REPORTS=${BENCH_REPORTS:-1000000}
INGEST=${BENCH_INGEST:-100000}
WEBHOOKS=${BENCH_WEBHOOKS:-20000}
NOTIFICATIONS=${BENCH_NOTIFICATIONS:-10000}
JSON=${BENCH_JSON:-$BUILD/bench.json}
ROWS=$BUILD/bench.tsv
DD=$BUILD/src/dutydesk
B=$BUILD/tests/bench
FIXTURE=$SRCDIR/tests/data/fixtures/whatsapp/text.json

export LC_ALL=C.UTF-8 TZ=UTC
unset DUTYDESK_CONFIG DUTYDESK_DB
WORK=$(mktemp -d /tmp/dd-bench.XXXXXX) || exit 1
export HOME=$WORK XDG_CONFIG_HOME=$WORK/config XDG_DATA_HOME=$WORK/data \
	DUTYDESK_SYSCONFDIR=$WORK/etc
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$DUTYDESK_SYSCONFDIR"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM HUP

command -v sqlite3 >/dev/null 2>&1 || { echo "bench: the sqlite3 shell is needed" >&2; exit 1; }
rm -f "$ROWS"
: >"$ROWS"
started=$(date +%s)
failed=""

step() {
	name=$1
	limit=$2
	shift 2
	timeout -k 10 "$limit" "$@" || failed="$failed $name"
}

echo "dutydesk benchmarks: $(nproc) cores, $(uname -m), sqlite3 $(sqlite3 --version | cut -d' ' -f1)"
echo "  figure                                          value  unit   | baseline                           value        | ratio     target         verdict"

step queries 600 "$B/bench_queries" --reports "$REPORTS" --db "$BUILD/bench-$REPORTS.db" \
	--rows "$ROWS"
"$DD" --db "$WORK/empty.db" init >/dev/null 2>&1
step console 300 "$B/bench_tui" --dutydesk "$DD" --db "$BUILD/bench-$REPORTS.db" \
	--empty "$WORK/empty.db" --rows "$ROWS"
step ingest 600 "$B/bench_ingest" --fixture "$FIXTURE" --dutydesk "$DD" --dir "$WORK" \
	--count "$INGEST" --rows "$ROWS"
step gateway 600 "$B/bench_gateway" --dutydesk "$DD" --fake "$BUILD/tests/gateway/fake_messenger" \
	--run-sender "$BUILD/tests/gateway/run_sender" --fixture "$FIXTURE" --dir "$WORK" \
	--webhooks "$WEBHOOKS" --notifications "$NOTIFICATIONS" --rows "$ROWS"

took=$(($(date +%s) - started))
echo
echo "=== dutydesk benchmarks ($(nproc) cores, shared; $(date -u +%Y-%m-%dT%H:%MZ); ${took} s) ==="
awk -F '\t' '
	{ printf "%-9s %-58s %12.3f %-6s %-40s %12.3f  x%-7.2f %-13s %s\n",
		$1, substr($2, 1, 58), $3, $4, substr($5, 1, 40), $6, $7, $8, $9 }' "$ROWS"
awk -F '\t' -v took="$took" -v cores="$(nproc)" -v when="$(date -u +%Y-%m-%dT%H:%M:%SZ)" '
	function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
	BEGIN { printf "{\"when\": %s, \"cores\": %d, \"seconds\": %d, \"figures\": [", q(when), cores, took }
	{ printf "%s\n  {\"section\": %s, \"figure\": %s, \"value\": %s, \"unit\": %s, \"baseline\": %s, \"baseline_value\": %s, \"ratio\": %s, \"target\": %s, \"verdict\": %s}",
		(NR > 1 ? "," : ""), q($1), q($2), $3, q($4), q($5), $6, $7, q($8), q($9) }
	END { print "\n]}" }' "$ROWS" >"$JSON"
echo "written to $JSON"
if [ -n "$failed" ]; then
	echo "bench: failed or timed out:$failed" >&2
	exit 1
fi
