#!/usr/bin/env bash
# Faults of the storage: a read-only database and a full disk. A write
# fails with a clear message naming the problem, reading still works,
# nothing stored is damaged, and the console survives the failed write.
#
# Read-only: the database file 0444 in a 0555 folder. chmod does not stop
# root, so as root the reading and writing commands run as "nobody" (setpriv,
# a dutydesk user with the dispatcher role); as anyone else, as themselves.
# Two cases: the database closed cleanly (no -wal/-shm beside it: a copy, a
# backup, a read-only mount), and the database held open by its owner (a
# console, the gateway: -wal and -shm exist).
#
# Disk full: a 2 MiB tmpfs, mounted in a private mount namespace (unshare -m,
# so the mount vanishes with the test whatever happens), filled to the last
# byte with a filler file. Needs root (or the capability to mount); skipped
# otherwise. ENOSPC is what a real full disk gives (ulimit -f gives EFBIG,
# which SQLite reports as a plain I/O error, not as a full disk).
if [ "$(id -u)" = 0 ] && [ -z "${DD_FAULTS_NS:-}" ] &&
	unshare -m --propagation private true 2>/dev/null; then
	DD_FAULTS_NS=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
fi
if command -v tmux >/dev/null 2>&1; then
	. "$(dirname "$0")/../tui/lib.sh"
	HAVE_TMUX=1
else
	. "$(dirname "$0")/../cli/lib.sh"
	HAVE_TMUX=
fi
command -v sqlite3 >/dev/null || { echo "1..0 # SKIP the sqlite3 shell is needed"; exit 0; }
HOLDER=
FULL=$SCRATCH/full
_faults_cleanup() {
	[ -n "$HOLDER" ] && kill -9 "$HOLDER" 2>/dev/null && wait "$HOLDER" 2>/dev/null
	[ -n "$HAVE_TMUX" ] && T kill-server >/dev/null 2>&1
	chmod -R u+w "$SCRATCH" 2>/dev/null
	mountpoint -q "$FULL" 2>/dev/null && umount -l "$FULL" 2>/dev/null
	rm -rf "$SCRATCH"
}
trap _faults_cleanup EXIT
trap 'exit 1' INT TERM HUP
# the reader is "nobody" for root, else this login
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || { echo "1..0 # SKIP setpriv is needed to drop root"; exit 0; }
	READER=nobody
	as_reader() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- "$@"; }
	chmod 755 "$SCRATCH"
	as_reader test -x "$SCRATCH" || {
		echo "1..0 # SKIP nobody cannot reach the scratch folder $SCRATCH (set TMPDIR to a folder others may enter)"
		exit 0
	}
	# the build may sit in a folder only root may enter (a clone in a
	# mktemp -d folder, mode 0700): nobody runs a copy of the program
	if ! as_reader test -x "$DUTYDESK"; then
		mkdir -m 755 "$SCRATCH/bin"
		install -m 755 "$DUTYDESK" "$SCRATCH/bin/dutydesk"
		RDUTYDESK=$SCRATCH/bin/dutydesk
	fi
else
	READER=$(id -un)
	as_reader() { "$@"; }
fi
# rdd ARGS...: dd as the reader
rdd() {
	set +e
	as_reader env HOME=/ "${RDUTYDESK:-$DUTYDESK}" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	out=$(cat "$SCRATCH/out")
	err=$(cat "$SCRATCH/err")
}
snapshot() { # snapshot DB: what must survive, as text
	sqlite3 -batch -cmd ".timeout 5000" "$1" "SELECT id, status, priority, version, text FROM reports ORDER BY id;
		SELECT count(*), max(id), (SELECT hash FROM events ORDER BY id DESC LIMIT 1) FROM events;"
}

# --- read-only ------------------------------------------------------------
RO=$SCRATCH/ro
mkdir -p "$RO"
chmod 755 "$RO"
export DUTYDESK_DB=$RO/dutydesk.db
dd init
dd import districts "$DATA/districts.csv"
[ "$READER" = "$(id -un)" ] || dd user add "$READER" dispatcher
for i in 1 2 3; do dd report add --district PVL-01 --category noise --text "Шум, квартира $i"; done
check "a database with three reports and $READER as a dispatcher" [ $rc = 0 ] &&
	[ "$(sqlite3 "$DUTYDESK_DB" "SELECT count(*) FROM reports")" = 3 ]
before=$(snapshot "$DUTYDESK_DB")
chmod 0444 "$DUTYDESK_DB"
chmod 0555 "$RO"
check "closed cleanly: no -wal or -shm beside it" [ ! -e "$DUTYDESK_DB-wal" ] && [ ! -e "$DUTYDESK_DB-shm" ]

rdd report add --district PVL-01 --category noise --text "ещё один"
check "read-only, closed: a write fails, the message says read-only" \
	[ $rc = 1 ] && has "$err" "read-only" && hasnt "$err" "locked"
rdd report list
# SQLite cannot create the -shm file a WAL database needs in a read-only
# folder; nobody can be writing it then, so it is read as a snapshot
check "read-only, closed: report list still works" [ $rc = 0 ] && has "$out" "квартира 3"

# held open by its owner (as a console or the gateway would): -wal and -shm exist
chmod 0755 "$RO"
chmod 0644 "$DUTYDESK_DB"
mkfifo "$SCRATCH/hold"
sqlite3 -batch "$DUTYDESK_DB" <"$SCRATCH/hold" >/dev/null 2>&1 &
HOLDER=$!
exec 7>"$SCRATCH/hold"
echo "SELECT count(*) FROM reports;" >&7
wait_shm() { [ -e "$DUTYDESK_DB-shm" ]; }
for i in $(seq 50); do wait_shm && break; sleep 0.1; done
chmod 0444 "$DUTYDESK_DB" "$DUTYDESK_DB-wal" "$DUTYDESK_DB-shm" 2>/dev/null
chmod 0555 "$RO"
rdd report list
check "read-only, held open by its owner: report list works" [ $rc = 0 ] && has "$out" "квартира 3"
rdd report show 1
check "and report show" [ $rc = 0 ] && has "$out" "квартира 1"
rdd report add --district PVL-01 --category noise --text "ещё один"
check "a new report fails, the message says read-only" [ $rc = 1 ] && has "$err" "read-only"
msg_ro=$err
rdd report assign 1 1101
check "an assignment fails the same way" [ $rc = 1 ] && has "$err" "read-only"
echo "# the message: $msg_ro"
exec 7>&-
wait "$HOLDER" 2>/dev/null
HOLDER=
chmod 0755 "$RO"
chmod 0644 "$DUTYDESK_DB"
check "nothing stored changed" [ "$(snapshot "$DUTYDESK_DB")" = "$before" ]
dd check
check "dutydesk check passes" has "$out" "integrity ok" && has "$out" "chain intact"

# --- disk full ------------------------------------------------------------
mkdir -p "$FULL"
if ! mount -t tmpfs -o size=2m,mode=0755 tmpfs "$FULL" 2>"$SCRATCH/mount.err"; then
	ok "# SKIP disk full: cannot mount a small tmpfs here ($(head -n 1 "$SCRATCH/mount.err"))"
	done_testing
fi
export DUTYDESK_DB=$FULL/dutydesk.db
dd init
dd import districts "$DATA/districts.csv"
dd import officers "$DATA/officers.csv"
for i in $(seq 20); do dd report add --district PVL-01 --category noise --text "Шум за стеной, квартира $i"; done
check "a database of 20 reports on a 2 MiB file system" [ $rc = 0 ] &&
	[ "$(sqlite3 "$DUTYDESK_DB" "SELECT count(*) FROM reports")" = 20 ]
if [ -n "$HAVE_TMUX" ]; then
	console_start A 100x30
	tcheck "the console opens on it" wait_for "new 20"
fi
# an empty WAL, so that the next write must grow it, then not a byte free
sqlite3 -cmd ".timeout 5000" "$DUTYDESK_DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
before=$(snapshot "$DUTYDESK_DB")
command dd if=/dev/zero of="$FULL/filler" bs=4096 2>/dev/null
check "the file system is full (the WAL empty: $(stat -c %s "$DUTYDESK_DB-wal" 2>/dev/null || echo none) bytes)" \
	[ "$(df -P "$FULL" | awk 'NR == 2 {print $4}')" = 0 ]

dd report add --district PVL-01 --category noise --text "Новое сообщение, которому нет места"
check "a new report fails, the message says the disk is full" [ $rc = 1 ] && has "$err" "full"
echo "# the message: $err"
dd report assign 3 1101
check "an assignment fails the same way" [ $rc = 1 ] && has "$err" "full"
dd report list --limit 5
check "report list still works" [ $rc = 0 ] && has "$out" "квартира 20"
if [ -n "$HAVE_TMUX" ]; then
	keys p
	tcheck "the console: p opens the priority menu" wait_for "Priority"
	keys 1
	tcheck "the failed write is shown, saying the disk is full" wait_re "disk .*is full"
	echo "# the console says: $(screen | grep -E 'is full' | head -n 1)"
	keys j
	tcheck "the console is still running: j moves to #2" eval '! pane_dead && wait_detail 2'
	keys k
	tcheck "and k back to #1, drawn" eval '! pane_dead && wait_detail 1 && wait_for "квартира 1"'
fi
check "nothing stored changed" [ "$(snapshot "$DUTYDESK_DB")" = "$before" ]
dd check
check "dutydesk check passes on the full disk" has "$out" "integrity ok" && has "$out" "chain intact"

rm -f "$FULL/filler"
dd report add --district PVL-01 --category noise --text "Место освободилось"
check "with space again, a write works" [ $rc = 0 ] && [ "$(sqlite3 "$DUTYDESK_DB" "SELECT count(*) FROM reports")" = 21 ]
if [ -n "$HAVE_TMUX" ]; then
	tcheck "and the console shows it (21 new)" wait_for "new 21"
	keys q
	tcheck "the console quits normally" console_exited 0
fi
dd check
check "dutydesk check passes after" has "$out" "integrity ok" && has "$out" "chain intact"
done_testing
