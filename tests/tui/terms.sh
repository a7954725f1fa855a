#!/usr/bin/env bash
# The console starts and shows the queue with TERM vt100, linux,
# screen-256color, xterm-256color and tmux-256color, at 80x24; with
# NO_COLOR it sends no colour at all, and without it, it does.
. "$(dirname "$0")/lib.sh"

make_demo
OPEN="'new','assigned','acknowledged','on_site'"
first=$(sql "SELECT id FROM reports WHERE status IN ($OPEN) ORDER BY priority, received_at, id LIMIT 1")
second=$(sql "SELECT id FROM reports WHERE status IN ($OPEN) ORDER BY priority, received_at, id LIMIT 1 OFFSET 1")

terms="vt100 linux screen-256color xterm-256color tmux-256color"
n=0
for term in $terms; do
	n=$((n + 1))
	if ! infocmp "$term" >/dev/null 2>&1; then
		echo "# no terminfo entry for $term here"
		continue
	fi
	PIPE=$SCRATCH/raw.$n console_start "t$n" 80x24 TERM="$term"
done
PIPE=$SCRATCH/raw.mono console_start mono 80x24 NO_COLOR=1

n=0
for term in $terms; do
	n=$((n + 1))
	infocmp "$term" >/dev/null 2>&1 || continue
	TGT=t$n
	tcheck "TERM=$term: the console starts with its header" wait_for "$SITE"
	# (the rule left of the queue is drawn with the terminal's line-drawing
	# set where TERM has one; tmux's text capture shows that as "x")
	tcheck "TERM=$term: the queue shows the first report #$first" wait_re "[│x]#$first +[0-9]+[smhdw] "
	tcheck "TERM=$term: the column titles show" wait_for "OFFICER STATUS"
	keys j
	tcheck "TERM=$term: j moves (the cursor row redraws)" eval 'keys Enter && wait_for " Report #$second" && keys q && wait_gone " Report #"'
	keys q
	tcheck "TERM=$term: q quits with status 0" console_exited 0
done

TGT=mono
tcheck "NO_COLOR=1: the console starts and shows the queue" eval 'wait_for "$SITE" && wait_re "[│x]#$first "'
keys q
tcheck "NO_COLOR=1: q quits with status 0" console_exited 0

# keys rebound in the config file's [keys] section; a bad one is reported
cat >"$SCRATCH/keys.conf" <<CONF
[site]
name = $SITE
[keys]
help = h
assign = b
nonsense = z
CONF
console_start rebound 80x24 DUTYDESK_CONFIG="$SCRATCH/keys.conf"
TGT=rebound
tcheck "[keys]: a binding to an unknown action is reported in the status line" \
	wait_for "unknown action 'nonsense'"
keys h
tcheck "[keys] help = h: h opens the help" wait_for "dutydesk — help"
keys q
wait_gone "dutydesk — help" >/dev/null
v_first=$(version_of "$first")
keys b
tcheck "[keys] assign = b: b opens the officer picker" wait_for "Assign #$first to:"
keys Escape
tcheck "Esc closes the picker, nothing assigned" \
	eval 'wait_gone "Assign #" && expect "version of #$first" "$(version_of "$first")" "$v_first"'
keys q
tcheck "the rebound console quits" console_exited 0

# redrawing only what changed: at 80x24 (no detail pane) moving one row
# sends a few hundred bytes, and an idle console sends nothing
PIPE=$SCRATCH/raw.bytes console_start bytes 80x24
TGT=bytes
wait_for "$SITE" >/dev/null
sent() { stat -c %s "$SCRATCH/raw.bytes"; }
# settled: no byte for 0.3 s
settle() { local a b; a=$(sent); while sleep 0.3; b=$(sent); [ "$a" != "$b" ]; do a=$b; done; }
settle
worst=0
for k in 2 3 4 5; do
	b=$(sent)
	keys j
	settle
	d=$(($(sent) - b))
	[ "$d" -gt "$worst" ] && worst=$d
done
echo "# moving one row sent at most $worst bytes"
tcheck "moving the cursor one row sends at most a few hundred bytes ($worst)" eval '[ "$worst" -gt 0 ] && [ "$worst" -le 600 ]'
idle=1
for _ in 1 2; do
	b=$(sent)
	sleep 1
	[ "$(sent)" = "$b" ] && { idle=0; break; }
done
tcheck "an idle console sends nothing for a second" [ "$idle" = 0 ]
keys q

# colour SGR: ESC [ 3x m / 4x m / 9x m / 10x m, or 38;5 / 48;5 (256 colours)
colour_re=$'\033''\[([0-9;]*;)?(3[0-7]|4[0-7]|9[0-7]|10[0-7]|[34]8;5;[0-9]+)(;[0-9;]*)?m'
tcheck "NO_COLOR=1: not one colour sequence was sent" \
	eval '! LC_ALL=C grep -qaE "$colour_re" "$SCRATCH/raw.mono" || { why="found: $(LC_ALL=C grep -aoE "$colour_re" "$SCRATCH/raw.mono" | head -3 | od -c | head -3)"; false; }'
rev_re=$'\033''\[([0-9]+;)*7(;[0-9]+)*m'
tcheck "NO_COLOR=1: the selected row is still marked (reverse video)" \
	eval 'LC_ALL=C grep -qaE "$rev_re" "$SCRATCH/raw.mono"'
tcheck "without NO_COLOR (tmux-256color) colours are sent: the check above has teeth" \
	eval 'LC_ALL=C grep -qaE "$colour_re" "$SCRATCH/raw.5"'

done_testing
