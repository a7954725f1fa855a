# Shared by the CLI tests: a scratch world and TAP output.
# Each test sources this, runs the real binary ($DUTYDESK) and checks its
# output and the database it wrote.
set -u
: "${DUTYDESK:?run through make check (DUTYDESK names the binary)}"
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=$SRCDIR/tests/data

export LC_ALL=C.UTF-8 TZ=Asia/Almaty
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/ddcli.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
export HOME=$SCRATCH/home XDG_CONFIG_HOME=$SCRATCH/home/.config XDG_DATA_HOME=$SCRATCH/home/.local/share
export DUTYDESK_SYSCONFDIR=$SCRATCH/etc
unset DUTYDESK_CONFIG DUTYDESK_NOW
mkdir -p "$HOME"
export DUTYDESK_DB=$SCRATCH/test.db

_n=0
_failed=0
ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $*"; }
done_testing() { echo "1..$_n"; exit 0; }

# dd ARGS...: runs the binary; sets $out, $err, $rc.
dd() {
	set +e
	"$DUTYDESK" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	out=$(cat "$SCRATCH/out")
	err=$(cat "$SCRATCH/err")
}

# check NAME COND...: one TAP line; on failure shows the last command's output.
check() {
	local name=$1
	shift
	if "$@"; then
		ok "$name"
	else
		not_ok "$name"
		printf '# rc=%s\n# stdout: %s\n# stderr: %s\n' "$rc" "${out:0:2000}" "${err:0:2000}" | sed '2,$s/^/# /'
	fi
}
has() { printf '%s' "$1" | grep -qF -- "$2"; }
hasnt() { ! printf '%s' "$1" | grep -qF -- "$2"; }
sql() { sqlite3 -batch -noheader "$DUTYDESK_DB" "$@"; }
