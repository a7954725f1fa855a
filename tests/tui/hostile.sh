#!/usr/bin/env bash
# Hostile text from outside (a report's text, the sender's name, the address,
# a note, a district's name) holding escape sequences (CSI, OSC 52 clipboard,
# a title change), C1 controls, a bidi override and invalid UTF-8: the
# console shows visible placeholders in the queue, the detail pane and the
# pager, and the raw bytes it writes to the terminal (tmux pipe-pane) hold
# none of the hostile sequences.
. "$(dirname "$0")/lib.sh"

ESC=$'\033'
BEL=$'\007'
# ESC [ 2 J (clear), OSC 52 (set the clipboard to "pwned"), OSC 0 (the
# window title), U+009B (C1 CSI, as UTF-8 C2 9B), U+202E (right-to-left
# override), and bytes that are not UTF-8 (FF, FE, an overlong C0 AF)
H="Шум A${ESC}[2JB ${ESC}]52;c;cHduZWQ=${BEL} C${ESC}]0;pwned${BEL} D"$'\xc2\x9b'"E "$'\xe2\x80\xae'"F "$'\xff\xfe\xc0\xaf'" G конец"
hex=$(printf '%s' "$H" | od -An -tx1 | tr -d ' \n')
RC=$'\xef\xbf\xbd'

make_demo
add_report PVL-07 "$H" 1
R=$id
tcheck "the hostile text is stored verbatim" expect "stored bytes" "$(sql "SELECT lower(hex(text)) FROM reports WHERE id = $R")" "$hex"
sql "UPDATE reports SET sender_name = CAST(X'$hex' AS TEXT), address = CAST(X'$hex' AS TEXT) WHERE id = $R;
	INSERT INTO notes(report_id, author, text, created_at) VALUES ($R, 'user:x', CAST(X'$hex' AS TEXT), 0);
	UPDATE districts SET name = CAST(X'$hex' AS TEXT) WHERE code = 'PVL-07'"

RAW=$SCRATCH/raw
PIPE=$RAW console_start A 100x30
tcheck "the console opens" wait_for "$SITE"
tcheck "g goes to #$R" goto "$R"

# the queue row: the text and the sender, cut to their columns
row=$(row_of "$R")
tcheck "the queue row shows the CSI as ^[[2J" has "$row" "Шум A^[[2JB"
tcheck "the sidebar shows the district's hostile name with a placeholder" wait_re "^PVL-07 Шум A\^\[\[2J"

# the detail pane: the whole text, wrapped
check_placeholders() {
	local where=$1
	scr=$(screen)
	tcheck "$where: ESC [ 2 J shows as ^[[2J" has "$scr" "A^[[2JB"
	tcheck "$where: the OSC 52 clipboard sequence shows as ^[]52;...^G" has "$scr" "^[]52;c;cHduZWQ=^G"
	tcheck "$where: the title change shows as ^[]0;pwned^G" has "$scr" "C^[]0;pwned^G"
	tcheck "$where: the C1 control shows as <U+009B>" has "$scr" "D<U+009B>E"
	tcheck "$where: the bidi override shows as <U+202E>" has "$scr" "<U+202E>F"
	tcheck "$where: the invalid bytes show as four U+FFFD" has "$scr" "$RC$RC$RC$RC G конец"
}
check_placeholders "detail pane"
tcheck "detail pane: the address is cleaned too" wait_re "│ Address: Шум A\^\[\[2JB"

keys Enter
tcheck "the pager opens on #$R" wait_for " Report #$R"
check_placeholders "pager"
scr=$(screen)
tcheck "pager: the sender's name is cleaned" eval 'printf "%s\n" "$scr" | grep -q "^From: Шум A^\[\[2JB"'
tcheck "pager: the note is cleaned" eval 'printf "%s\n" "$scr" | grep -qF "user:x: Шум A^[[2JB"'
keys End
tcheck "pager, at the end: still no raw sequence drew anything away" wait_re "^[0-9]+-[0-9]+ of [0-9]+ "
keys q
tcheck "q closes the pager" wait_gone " Report #$R"
keys C-l
tcheck "C-l redraws the same clean screen" wait_for "A^[[2JB"

keys q
tcheck "q quits" console_exited 0

# the raw bytes: the placeholders went out, the hostile sequences did not
tcheck "the raw capture holds what the console drew" eval '[ -s "$RAW" ] && LC_ALL=C grep -qaF -- "^[]0;pwned^G" "$RAW"'
raw_has() { LC_ALL=C grep -qaF -- "$1" "$RAW"; }
raw_hasnt() {
	if raw_has "$1"; then
		why="the raw output holds $2: $(LC_ALL=C grep -aoF -- "$1" "$RAW" | head -1 | od -An -c | head -2 | tr -s ' ')"
		return 1
	fi
}
tcheck "raw: no OSC 52 (ESC ] 52)" raw_hasnt "${ESC}]52" "ESC ] 52"
tcheck "raw: no title change (ESC ] 0 ; pwned)" raw_hasnt "${ESC}]0;pwned" "ESC ] 0 ; pwned"
tcheck "raw: no OSC at all (curses sends none with TERM=tmux-256color)" raw_hasnt "${ESC}]" "ESC ]"
# tmux-256color clears with ESC [ H ESC [ J, so ESC [ 2 J can only come from the text
tcheck "raw: no ESC [ 2 J" raw_hasnt "${ESC}[2J" "ESC [ 2 J"
tcheck "raw: no C1 CSI (C2 9B)" raw_hasnt $'\xc2\x9b' "C2 9B"
tcheck "raw: no right-to-left override (E2 80 AE)" raw_hasnt $'\xe2\x80\xae' "E2 80 AE"
tcheck "raw: no byte FF" raw_hasnt $'\xff' "FF"
tcheck "raw: no byte FE" raw_hasnt $'\xfe' "FE"
tcheck "raw: no overlong C0 AF" raw_hasnt $'\xc0' "C0"
tcheck "raw: the text is valid UTF-8 throughout" eval 'iconv -f UTF-8 -t UTF-8 "$RAW" >/dev/null 2>&1 || { why="iconv finds invalid UTF-8"; false; }'

# what tmux made of it: no title change, nothing put on the clipboard
tcheck "the pane's title was not changed" eval '[ "$(T display-message -p -t A "#{pane_title}")" != pwned ]'
tcheck "nothing reached tmux's clipboard (set-clipboard is on)" expect "tmux buffers" "$(T list-buffers 2>/dev/null)" ""

# Site data that the import checks but a hand-edited database may not: a
# category code and a district code holding a title change, a bidi override
# and a C1 control. They are drawn in the sidebar, the queue's CATEGORY and
# DISTR columns (wide terminal), the detail pane and the pager: cleaned too.
H2="x${ESC}]0;pwned2${BEL}"$'\xe2\x80\xae'"y"$'\xc2\x9b'"z"
hex2=$(printf '%s' "$H2" | od -An -tx1 | tr -d ' \n')
add_report PVL-09 "Обычный текст, странная категория" 1
R2=$id
sql "PRAGMA foreign_keys = OFF;
	INSERT INTO categories(code, name) VALUES (CAST(X'$hex2' AS TEXT), 'hand-made');
	UPDATE reports SET category = CAST(X'$hex2' AS TEXT) WHERE id = $R2;
	UPDATE districts SET code = CAST(X'$hex2' AS TEXT) WHERE code = 'PVL-09'"
RAW2=$SCRATCH/raw2
PIPE=$RAW2 console_start B 200x40
TGT=B
tcheck "site data: the console opens at 200x40" wait_for "$SITE"
tcheck "site data: g goes to #$R2" goto "$R2"
# the screen is settled once the detail pane shows the report: read it once
scr=$(screen)
tcheck "site data: the sidebar shows the district code cleaned" \
	eval 'printf "%s\n" "$scr" | grep -qE "^x\^\[\]0;pwned2\^G<U\+20"'
tcheck "site data: the detail pane shows the category cleaned" has "$scr" "priority 1  x^[]0;pwned2^G<U+202E>y<U+009B>z"
keys Enter
wait_for " Report #$R2" >/dev/null
scr=$(screen)
tcheck "site data: the pager shows the category cleaned" has "$scr" "priority 1  x^[]0;pwned2^G<U+202E>y<U+009B>z"
keys q
wait_gone " Report #" >/dev/null
keys q
console_exited 0 >/dev/null
RAW=$RAW2
tcheck "site data, raw: no title change" raw_hasnt "${ESC}]0;pwned2" "ESC ] 0 ; pwned2"
tcheck "site data, raw: no right-to-left override (E2 80 AE)" raw_hasnt $'\xe2\x80\xae' "E2 80 AE"
tcheck "site data, raw: no C1 CSI (C2 9B)" raw_hasnt $'\xc2\x9b' "C2 9B"

done_testing
