#!/usr/bin/env bash
# The console and the terminal it borrows, run from an interactive shell as
# a dispatcher would: Ctrl-Z suspends it and gives the terminal back, fg
# brings it back drawn; q leaves the shell's screen as it was; a fatal signal
# (SIGTERM, a hang-up) restores the terminal before the console dies.
. "$(dirname "$0")/lib.sh"

make_demo
RAW=$SCRATCH/raw
# an interactive shell with job control, in a clean environment
T start-server \; set-option -g exit-empty off \; set-option -g remain-on-exit on \
	\; set-option -g history-limit 0 \; set-option -g status off
T new-session -d -s S -x 100 -y 30 -- env -i PATH="$PATH" HOME="$HOME" TERM=tmux-256color \
	LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=Asia/Almaty PS1='shell$ ' \
	bash --norc --noprofile -i
T set-option -t S status off >/dev/null
T pipe-pane -O -t S "cat >> '$RAW'"
TGT=S
run_console="DUTYDESK_DB=$DUTYDESK_DB XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_DATA_HOME=$XDG_DATA_HOME DUTYDESK_SYSCONFDIR=$DUTYDESK_SYSCONFDIR $DUTYDESK"
shell_pid=$(T display-message -p -t S '#{pane_pid}')
console_pid() { pgrep -P "$shell_pid" | head -1; }

tcheck "the shell is ready" wait_for 'shell$'
type_text "echo before-the-console"
keys Enter
wait_for "before-the-console" >/dev/null
type_text "$run_console"
keys Enter
tcheck "the console starts from the shell" wait_for "$SITE"
first=$(queue_ids | head -1)

# Ctrl-Z: suspend, the shell's screen back, fg redraws
keys C-z
tcheck "Ctrl-Z suspends the console: the shell says it stopped" wait_re "^\[1\]\+ +Stopped +"
tcheck "…and the shell's screen is back, with its prompt" \
	eval 'wait_gone "$SITE" && wait_for "before-the-console" && wait_re "^shell\\$ *$"'
type_text "fg"
keys Enter
tcheck "fg brings the console back, drawn whole" eval 'wait_for "$SITE" && wait_re "│#$first "'
keys j
tcheck "…and it still takes keys" wait_detail "$(queue_ids | sed -n 2p)"

# q: the shell's screen as it was before
keys q
tcheck "q gives the shell its screen back (the alternate screen is left)" \
	eval 'wait_gone "$SITE" && wait_for "before-the-console" && wait_re "^shell\\$ *$"'
type_text "echo after-\$((20+22))"
keys Enter
tcheck "the shell's terminal works after the console (typed text echoes, commands run)" \
	eval 'wait_for "echo after-\$((20+22))" && wait_re "^after-42 *$"'

# bash keeps the terminal modes a job leaves when it exits normally: the
# console must have put them back
type_text "stty -a | tr ' ;' '\n\n' | grep -cxE '(icanon|echo|isig|icrnl)'"
keys Enter
tcheck "the terminal modes are back to cooked (icanon echo isig icrnl)" wait_re "^4 *$"

# a fatal signal: the terminal is restored before the console dies
# Ctrl-C ends it too (a signal from the keyboard), restoring the terminal
type_text "clear"
keys Enter
type_text "$run_console"
keys Enter
tcheck "the console runs again" wait_for "$SITE"
bytes=$(stat -c %s "$RAW")
keys C-c
tcheck "Ctrl-C ends the console: the shell's screen is back" eval 'wait_gone "$SITE" && wait_re "^shell\\$ *$"'
tail -c +$((bytes + 1)) "$RAW" >"$RAW.after"
tcheck "Ctrl-C: the console left the alternate screen" \
	eval 'LC_ALL=C grep -qaF $'"'"'\033[?1049l'"'"' "$RAW.after" || { why="no rmcup after Ctrl-C"; false; }'

for sig in TERM HUP; do
	type_text "clear"
	keys Enter
	type_text "$run_console"
	keys Enter
	tcheck "SIG$sig: the console is running" wait_for "$SITE"
	pid=$(console_pid)
	: >"$RAW.mark"
	bytes=$(stat -c %s "$RAW")
	kill -"$sig" "$pid"
	tcheck "SIG$sig: the console dies and the shell's screen is back" \
		eval 'wait_gone "$SITE" && wait_re "^shell\\$ *$"'
	tail -c +$((bytes + 1)) "$RAW" >"$RAW.after"
	# tmux-256color: rmcup ESC [ ? 1049 l leaves the alternate screen,
	# cnorm ESC [ 34 h ESC [ ? 25 h shows the cursor again
	tcheck "SIG$sig: the console left the alternate screen before dying" \
		eval 'LC_ALL=C grep -qaF $'"'"'\033[?1049l'"'"' "$RAW.after" || { why="no rmcup after the signal"; false; }'
	tcheck "SIG$sig: the console showed the cursor again before dying" \
		eval 'LC_ALL=C grep -qaF $'"'"'\033[?25h'"'"' "$RAW.after" || { why="no cnorm after the signal"; false; }'
done

done_testing
