# Shared by the console tests: the CLI tests' scratch world and TAP output,
# plus a private tmux server that runs the real console in a terminal of a
# fixed size, and helpers to type into it and read its screen.
#
#   console_start NAME [COLSxROWS] [VAR=VALUE...]  the console in session NAME
#   keys KEY...        tmux key names (j, Down, Enter, Tab...) to $TGT
#   type_text TEXT     literal text (Cyrillic too) to $TGT
#   screen             what $TGT shows now, as text
#   wait_for TEXT      polls the screen every 0.1 s for up to $WAIT_S s
#   wait_re REGEX      the same for an extended regular expression
#   wait_gone TEXT     polls until TEXT has left the screen
#   tcheck NAME CMD... one TAP line; on failure the reason and the screen
#   queue_ids, detail_id, row_of N, status_line   parts of the screen
#   goto N             the cursor to report #N with the console's 'g'
#   console_exited ST  the console in $TGT exited with status ST
#   make_demo, add_report, pick_officer, sql       the database
#
# TGT names the session the helpers act on (default A); `TGT=B keys j`
# acts on B for one call. The tmux server is killed at exit, whatever happens.
. "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
	echo "1..0 # SKIP tmux is not installed"
	exit 0
fi
command -v sqlite3 >/dev/null 2>&1 || { echo "Bail out! the sqlite3 shell is needed"; exit 1; }

unset TMUX TMUX_PANE
TSOCK="dd$$"
TGT=A
WAIT_S=${WAIT_S:-5}
ME=$(id -un)
SITE="Павлодар — дежурная часть"
why=""

T() { tmux -L "$TSOCK" -f /dev/null "$@"; }
# the consoles hold the database open while the tests read and write it:
# wait for a lock rather than fail (a console closing checkpoints the WAL)
sql() { sqlite3 -batch -noheader -cmd ".timeout 5000" "$DUTYDESK_DB" "$@"; }

_tui_cleanup() {
	T kill-server >/dev/null 2>&1
	# the server leaves its socket behind
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TSOCK"
	rm -rf "$SCRATCH"
}
trap _tui_cleanup EXIT
trap 'exit 1' INT TERM HUP

mkdir -p "$XDG_CONFIG_HOME/dutydesk"
cat >"$XDG_CONFIG_HOME/dutydesk/dutydesk.conf" <<CONF
[site]
name = $SITE
timezone = Asia/Almaty
CONF

# make_demo: the demo city with 300 reports (not pinned in time: the demo
# and the console both use the real clock).
make_demo() {
	dd demo --no-console --reports 300 --seed 1
	if [ "$rc" != 0 ]; then
		echo "Bail out! dutydesk demo failed: $err"
		exit 1
	fi
}

# console_start NAME [COLSxROWS] [VAR=VALUE...]: starts the console in a new
# session, in a clean environment given explicitly (the tmux server has its
# own). TERM defaults to tmux-256color; pass TERM=... or NO_COLOR=1 to change.
# With PIPE=FILE in the environment of the call, everything the console
# writes to the terminal is appended to FILE from its first byte on.
console_start() {
	local name=$1 size=${2:-100x30}
	shift 2 2>/dev/null || shift $#
	local cols=${size%x*} rows=${size#*x}
	local envs=(PATH="$PATH" HOME="$HOME" XDG_CONFIG_HOME="$XDG_CONFIG_HOME"
		XDG_DATA_HOME="$XDG_DATA_HOME" DUTYDESK_SYSCONFDIR="$DUTYDESK_SYSCONFDIR"
		DUTYDESK_DB="$DUTYDESK_DB" LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=Asia/Almaty
		TERM=tmux-256color)
	[ -n "${ASAN_OPTIONS:-}" ] && envs+=(ASAN_OPTIONS="$ASAN_OPTIONS")
	[ -n "${UBSAN_OPTIONS:-}" ] && envs+=(UBSAN_OPTIONS="$UBSAN_OPTIONS")
	# the suite run at another hour of the day: faketime -f -8h make check
	[ -n "${FAKETIME:-}" ] && envs+=(FAKETIME="$FAKETIME" LD_PRELOAD="${LD_PRELOAD:-}")
	envs+=("$@")
	# the console waits for a line on its terminal before it starts, so
	# that the pipe (if any) is in place before its first byte
	# (tmux's own #{pane_dead_status} is not always filled in, so the
	# gate's shell writes down how the console exited)
	local gate='read -r _go; "$@"; st=$?; echo "$st" >"$DD_EXIT_FILE"; exit "$st"'
	if ! T has-session 2>/dev/null; then
		T start-server \; set-option -g exit-empty off \; set-option -g remain-on-exit on \
			\; set-option -g set-clipboard on \; set-option -g history-limit 0 \
			\; set-option -g status off \; set-option -g default-terminal tmux-256color
	fi
	rm -f "$SCRATCH/exit.$name"
	T new-session -d -s "$name" -x "$cols" -y "$rows" -- \
		env DD_EXIT_FILE="$SCRATCH/exit.$name" sh -c "$gate" sh env -i "${envs[@]}" "$DUTYDESK" || {
		echo "Bail out! tmux could not start a session"
		exit 1
	}
	T set-option -t "$name" status off >/dev/null
	T set-option -w -t "$name" remain-on-exit on >/dev/null 2>&1
	if [ -n "${PIPE:-}" ]; then
		: >>"$PIPE"
		T pipe-pane -O -t "$name" "cat >> '$PIPE'"
	fi
	T send-keys -t "$name" Enter
}

keys() { T send-keys -t "$TGT" "$@"; }
type_text() { T send-keys -t "$TGT" -l -- "$1"; }
screen() { T capture-pane -p -t "$TGT"; }
pane_dead() { [ "$(T display-message -p -t "$TGT" '#{pane_dead}' 2>/dev/null)" = 1 ]; }

# _poll TEST ARG: runs "TEST ARG" on the screen until it holds or time is up.
_poll() {
	local test=$1 arg=$2 i n=$((WAIT_S * 10))
	_last_tgt=$TGT
	for ((i = 0; i <= n; i++)); do
		scr=$(screen)
		if "$test" "$arg"; then
			return 0
		fi
		pane_dead && break
		sleep 0.1
	done
	return 1
}
_has_text() { printf '%s\n' "$scr" | grep -qF -- "$1"; }
_hasnt_text() { ! printf '%s\n' "$scr" | grep -qF -- "$1"; }
_has_re() { printf '%s\n' "$scr" | grep -qE -- "$1"; }

wait_for() { _poll _has_text "$1" || { why="'$1' did not show on $TGT within ${WAIT_S} s"; return 1; }; }
wait_gone() { _poll _hasnt_text "$1" || { why="'$1' still shows on $TGT after ${WAIT_S} s"; return 1; }; }
wait_re() { _poll _has_re "$1" || { why="nothing matching /$1/ showed on $TGT within ${WAIT_S} s"; return 1; }; }

# dump_screen: the screen of $TGT (or of the console last waited on) as
# TAP comments.
dump_screen() {
	local s TGT=${_last_tgt:-$TGT}
	s=$(screen 2>&1)
	pane_dead && echo "# the console in $TGT has exited (pane dead)"
	echo "# screen of $TGT:"
	printf '%s\n' "$s" | sed 's/^/#   |/'
}

# tcheck NAME CMD...: one TAP line; on failure says why and shows the screen.
tcheck() {
	local name=$1
	shift
	why=""
	_last_tgt=""
	if "$@"; then
		ok "$name"
	else
		not_ok "$name"
		[ -n "$why" ] && echo "# $why"
		dump_screen
	fi
}

# expect WHAT GOT WANT: a value check that says both sides on failure.
expect() {
	if [ "$2" = "$3" ]; then
		return 0
	fi
	why="$1: got '$2', want '$3'"
	return 1
}

# The screen's queue rows, as report ids in order (a row starts "│#N" or,
# tagged, "│*N"); the detail pane's report (its first line "│ #N  status").
queue_ids() { printf '%s\n' "${1:-$(screen)}" | sed -nE 's/.*│[#*]([0-9]+) .*/\1/p'; }
detail_id() { printf '%s\n' "${1:-$(screen)}" | sed -nE 's/.*│ #([0-9]+)  .*/\1/p' | head -1; }
# The queue row of report N as shown (the part right of the sidebar).
row_of() { printf '%s\n' "${2:-$(screen)}" | sed -nE "s/.*│([#*]$1 .*)/\\1/p" | head -1; }
# The status line: the screen's last line.
status_line() { printf '%s\n' "${1:-$(screen)}" | tail -n 1; }

# wait_detail N: the detail pane shows report N.
_detail_is() { [ "$(detail_id "$scr")" = "$1" ]; }
wait_detail() { _poll _detail_is "$1" || { why="the detail pane of $TGT shows '$(detail_id "$scr")', not #$1"; return 1; }; }

# goto N: the cursor to report N with the console's own 'g'.
goto() {
	keys g
	wait_for "Go to report #" || return 1
	type_text "$1"
	keys Enter
	wait_detail "$1"
}

# Values from the database.
officer_of() { sql "SELECT coalesce(o.badge, '') FROM reports r LEFT JOIN officers o ON o.id = r.officer_id WHERE r.id = $1"; }
status_of() { sql "SELECT status FROM reports WHERE id = $1"; }
version_of() { sql "SELECT version FROM reports WHERE id = $1"; }

# add_report DISTRICT TEXT [PRIORITY]: manual intake; sets $id.
add_report() {
	dd report add --district "$1" --category noise --text "$2" --priority "${3:-3}"
	if [ "$rc" != 0 ]; then
		echo "Bail out! report add failed: $err"
		exit 1
	fi
	id=$out
}

# pick_officer DISTRICT: an active officer of the district and what to type
# in the picker to find only them: the surname (the name's first word) when
# no other officer's name holds it, else the surname and first name; sets
# $badge, $oname, $surname (what to type, as in the name) and $typed (it in
# lower case, to show the filter ignores case).
pick_officer() {
	local line words
	for words in 1 2; do
		line=$(sql "WITH o AS (SELECT o.badge, o.name, CASE $words WHEN 1
				THEN substr(o.name, 1, instr(o.name, ' ') - 1)
				ELSE substr(o.name, 1, instr(o.name, ' ') + instr(substr(o.name, instr(o.name, ' ') + 1), ' ') - 1) END AS key
			FROM officers o JOIN districts d ON d.id = o.district_id
			WHERE d.code = '$1' AND o.active AND NOT o.is_supervisor)
			SELECT badge || '|' || name || '|' || key FROM o
			WHERE key <> '' AND (SELECT count(*) FROM officers p WHERE instr(p.name, o.key) > 0) = 1
			ORDER BY badge LIMIT 1")
		[ -n "$line" ] && break
	done
	[ -n "$line" ] || { echo "Bail out! no officer in $1 to find by name"; exit 1; }
	badge=${line%%|*}
	line=${line#*|}
	oname=${line%%|*}
	surname=${line#*|}
	typed=${surname,,}
}

# console_exited STATUS: the console in $TGT has exited with STATUS (128+N
# for signal N).
console_exited() {
	local i st=""
	for ((i = 0; i < WAIT_S * 10; i++)); do
		[ -s "$SCRATCH/exit.$TGT" ] && break
		sleep 0.1
	done
	st=$(cat "$SCRATCH/exit.$TGT" 2>/dev/null)
	if [ -z "$st" ]; then
		why="the console in $TGT has not exited"
		return 1
	fi
	expect "the console's exit status" "$st" "$1"
}
