#!/usr/bin/env bash
# Runs the unit tests under valgrind: any memory error or leak fails.
#
#   make valgrind [VALGRIND_TESTS="tests/unit/test_csv ..."]
#
# Run from the build folder (make does). The tests are built first by make.
# Skips (exit 0) when valgrind is missing or the build uses the sanitizers
# (ASan and valgrind do not mix). Each test's output goes to
# tests/unit/NAME.valgrind.log; a failing test's summary is shown.
set -u
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tests=${VALGRIND_TESTS:-$(ls tests/unit/test_* 2>/dev/null | grep -v '\.\(o\|log\|trs\)$')}
if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind: SKIP: valgrind is not installed (apt-get install valgrind)"
	exit 0
fi
if grep -q -- '-fsanitize=address' Makefile 2>/dev/null; then
	echo "valgrind: SKIP: this build uses AddressSanitizer; use a plain build"
	exit 0
fi
export CMOCKA_MESSAGE_OUTPUT=TAP LC_ALL=C.UTF-8 TZ=UTC SRCDIR SHARED=$SRCDIR/../shared
failed=0
for t in $tests; do
	[ -x "$t" ] || continue
	log=$t.valgrind.log
	# still-reachable memory (libraries' caches) is not a leak; definite
	# and indirect leaks fail; possible ones are shown only (a forked child
	# that _exit()s, as test_outbox's do, leaves its parent's SQLite
	# caches "possibly lost")
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--track-origins=yes --log-file="$log.vg" "$t" >"$log" 2>&1
	rc=$?
	cat "$log.vg" >>"$log"
	rm -f "$log.vg"
	if [ $rc -eq 99 ] || grep -qE '^==[0-9]+== .*(Invalid (read|write|free)|uninitialised|Mismatched free|definitely lost|indirectly lost|overlap)' "$log"; then
		failed=$((failed + 1))
		echo "valgrind: $t: FAIL (memory errors or leaks); from $log:"
		grep -E '^==[0-9]+== ' "$log" | head -n 40
	elif [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		echo "valgrind: $t: FAIL (the test itself failed, exit $rc; see $log)"
		grep -E '^not ok' "$log" | head -n 10
	else
		echo "valgrind: $t: ok"
	fi
done
[ $failed -eq 0 ] && echo "valgrind: all clean" || echo "valgrind: $failed test(s) failed"
[ $failed -eq 0 ]
