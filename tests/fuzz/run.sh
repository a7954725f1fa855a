#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for FUZZ_SECONDS.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="fuzz_csv fuzz_pattern"]
#
# The autotools build uses gcc, so this compiles the core (and the messenger
# adapters) again with clang, coverage instrumentation, ASan and UBSan, into
# BUILDDIR/fuzz-build. The corpus of each target lives in
# BUILDDIR/fuzz-build/corpus/TARGET (seeded from tests/data and
# tests/fuzz/seeds, and kept between runs); a crash is written to
# BUILDDIR/fuzz-build/crashes/TARGET/ and named with the command that
# reproduces it. Exit 0: no crash (or clang/libFuzzer missing: skipped);
# 1: a target crashed or would not build.
#
# Environment (make passes these): SRCDIR, BUILDDIR (holds config.h),
# FUZZ_CC (clang), FUZZ_CFLAGS and FUZZ_LIBS (the libraries' flags).
set -u
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:-$PWD}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_CFLAGS=${FUZZ_CFLAGS:-}
FUZZ_LIBS=${FUZZ_LIBS:--lsqlite3 -ljansson -linih -lcrypto}
ALL_TARGETS="fuzz_whatsapp fuzz_telegram fuzz_csv fuzz_import fuzz_pattern fuzz_sanitize"
FUZZ_TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS}
OUT=$BUILDDIR/fuzz-build
SEEDS=$SRCDIR/tests/fuzz/seeds
DATA=$SRCDIR/tests/data
say() { printf '==> fuzz: %s\n' "$*"; }

[ -f "$BUILDDIR/config.h" ] || { echo "fuzz: no config.h in $BUILDDIR (configure first)" >&2; exit 1; }
mkdir -p "$OUT/obj"

# clang with libFuzzer, or a clean skip
if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	say "SKIP: $FUZZ_CC not found (install clang for the fuzz targets)"
	exit 0
fi
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n' >"$OUT/probe.c"
if ! "$FUZZ_CC" -fsanitize=fuzzer,address,undefined "$OUT/probe.c" -o "$OUT/probe" 2>"$OUT/probe.err"; then
	say "SKIP: $FUZZ_CC cannot build with -fsanitize=fuzzer: $(head -n 1 "$OUT/probe.err")"
	exit 0
fi
rm -f "$OUT/probe" "$OUT/probe.c" "$OUT/probe.err"

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS_F="-std=gnu11 -g -O1 $SAN -DHAVE_CONFIG_H -I$BUILDDIR -I$SRCDIR/include $FUZZ_CFLAGS"

# 1. The core and the adapters, instrumented (rebuilt when a source is newer).
sources=$(ls "$SRCDIR"/src/core/*.c) 
sources="$sources $SRCDIR/src/gateway/adapters.c $SRCDIR/src/gateway/whatsapp.c $SRCDIR/src/gateway/telegram.c"
headers=$(ls "$SRCDIR"/include/dutydesk/*.h "$SRCDIR"/src/core/*.h "$SRCDIR"/src/gateway/adapters.h "$BUILDDIR/config.h")
newest_header=$(ls -t $headers | head -n 1)
stale=()
for src in $sources; do
	obj=$OUT/obj/$(basename "$(dirname "$src")")_$(basename "$src" .c).o
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
		stale+=("$src")
	fi
done
if [ ${#stale[@]} -gt 0 ]; then
	say "compiling ${#stale[@]} sources with $FUZZ_CC"
	printf '%s\n' "${stale[@]}" | OUT=$OUT FUZZ_CC=$FUZZ_CC CFLAGS_F=$CFLAGS_F xargs -P 2 -I{} sh -c '
		src={}; obj=$OUT/obj/$(basename "$(dirname "$src")")_$(basename "$src" .c).o
		$FUZZ_CC $CFLAGS_F -fsanitize=fuzzer-no-link -c "$src" -o "$obj.tmp" && mv "$obj.tmp" "$obj"' ||
		{ echo "fuzz: compiling the core with $FUZZ_CC failed" >&2; exit 1; }
	rm -f "$OUT/libfuzzcore.a"
fi
if [ ! -f "$OUT/libfuzzcore.a" ]; then
	ar cr "$OUT/libfuzzcore.a" "$OUT"/obj/*.o || exit 1
fi

# 2. The targets.
for t in $FUZZ_TARGETS; do
	src=$SRCDIR/tests/fuzz/$t.c
	[ -f "$src" ] || { echo "fuzz: no target $t" >&2; exit 1; }
	newer_header=false
	for h in "$SRCDIR"/tests/fuzz/*.h; do [ "$h" -nt "$OUT/$t" ] && newer_header=true; done
	if [ ! -x "$OUT/$t" ] || [ "$src" -nt "$OUT/$t" ] || [ "$OUT/libfuzzcore.a" -nt "$OUT/$t" ] ||
		$newer_header; then
		say "building $t"
		$FUZZ_CC $CFLAGS_F -fsanitize=fuzzer "$src" "$OUT/libfuzzcore.a" $FUZZ_LIBS -lm -lpthread \
			-o "$OUT/$t" || { echo "fuzz: building $t failed" >&2; exit 1; }
	fi
done

# 3. Seed corpora: the fixtures and test data, copied in when missing.
seed() { # seed TARGET FILE [NAME]
	local dir=$OUT/corpus/$1
	mkdir -p "$dir"
	[ -f "$dir/${3:-$(basename "$2")}" ] || cp "$2" "$dir/${3:-$(basename "$2")}"
}
seed_lines() { # seed_lines TARGET FILE: one seed per line, printf %b escapes
	local dir=$OUT/corpus/$1 i=0 line
	mkdir -p "$dir"
	while IFS= read -r line; do
		i=$((i + 1))
		[ -f "$dir/seed-$i" ] || printf '%b' "$line" >"$dir/seed-$i"
	done <"$2"
}
for f in "$DATA"/fixtures/whatsapp/*.json; do seed fuzz_whatsapp "$f"; done
for f in "$DATA"/fixtures/telegram/*.json; do seed fuzz_telegram "$f"; done
for f in "$DATA"/*.csv; do seed fuzz_csv "$f"; done
# fuzz_import: the first byte is the kind, in import.h's order
kinds="districts officers orgs reporters users shifts stolen"
k=0
for kind in $kinds; do
	for f in "$DATA/$kind.csv" "$DATA/bad_$kind.csv" "$DATA/${kind}_supervisors.csv"; do
		[ -f "$f" ] || continue
		dir=$OUT/corpus/fuzz_import
		mkdir -p "$dir"
		[ -f "$dir/$(basename "$f")" ] ||
			{ printf "\\$(printf '%03o' $k)"; cat "$f"; } >"$dir/$(basename "$f")"
	done
	k=$((k + 1))
done
# inputs that once crashed, kept as regressions (first byte: the kind)
for f in "$SEEDS"/import/*; do [ -f "$f" ] && seed fuzz_import "$f"; done
sed 's/\\/\\\\/g' "$SEEDS/patterns.txt" >"$OUT/patterns.esc"
seed_lines fuzz_pattern "$OUT/patterns.esc"
seed_lines fuzz_sanitize "$SEEDS/texts.txt"

dict_of() {
	case $1 in
	fuzz_whatsapp | fuzz_telegram) echo "-dict=$SEEDS/json.dict" ;;
	fuzz_pattern) echo "-dict=$SEEDS/pattern.dict" ;;
	fuzz_csv | fuzz_import) echo "-dict=$SEEDS/csv.dict" ;;
	esac
}

# 4. Run each; a crash fails the run and says how to reproduce it.
status=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LC_ALL=C.UTF-8
for t in $FUZZ_TARGETS; do
	mkdir -p "$OUT/crashes/$t"
	say "running $t for ${FUZZ_SECONDS} s"
	log=$OUT/$t.log
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb: a leak or blow-up
	"$OUT/$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
		-print_final_stats=1 $(dict_of "$t") -artifact_prefix="$OUT/crashes/$t/" \
		"$OUT/corpus/$t" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ $rc -ne 0 ]; then
		status=1
		echo "fuzz: $t FAILED (exit $rc) after ${runs:-?} runs; the end of $log:" >&2
		grep -E 'ERROR|SUMMARY|fuzz_[a-z]+: |runtime error' "$log" | head -n 20 >&2
		for a in "$OUT/crashes/$t"/*; do
			[ -f "$a" ] && echo "fuzz:   reproduce: $OUT/$t $a" >&2
		done
	else
		say "$t: ${runs:-?} runs, no crash; corpus $(ls "$OUT/corpus/$t" | wc -l) inputs"
	fi
done
exit $status
