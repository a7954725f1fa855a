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
