#!/usr/bin/env bash
# The scale runs of BENCHMARKS.md: generate -> transform -> load postgres on
# finland times SCALE, each stage its own process under /usr/bin/time -v (so
# its peak memory is its own), with the disk each stage leaves behind.
#
#   scripts/scale-run.sh SCALE WORK_DIR [--modules M,..] [other load postgres flags]
#
# The dump is deleted once transformed, to leave room for the databases
# (named x<SCALE>_<module>; --reset drops them first). Needs
# `cargo build --release` first, and about 1.1 KB of disk per event for the
# databases plus 0.3 KB for the event stream (and the dump, about 0.25 KB
# per event, until the transform is done). Logs and figures go to
# WORK_DIR/x<SCALE>-*.log.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
scale=$1
work=$2
shift 2
cd "$(dirname "$0")/.."
pancake=target/release/pancake
if [[ ! -x $pancake ]]; then
    echo "scale-run: $pancake is missing; run cargo build --release first" >&2
    exit 1
fi
mkdir -p "$work"
dump=$work/x$scale-dump
events=$work/x$scale-events
log=$work/x$scale

timed() {
    local name=$1
    shift
    echo "== $name: $* ($(uptime | sed 's/.*load average/load average/'))"
    /usr/bin/time -v "$@" >"$log-$name.log" 2>&1 || {
        # The command's own last words, without time's statistics.
        sed '/^\tCommand being timed:/,$d' "$log-$name.log" | tail -20 >&2
        echo "scale-run: $name failed; its whole log is $log-$name.log" >&2
        exit 1
    }
    tr '\r' '\n' <"$log-$name.log" | grep -E \
        "^(generated|transformed|loaded|[a-z]+ +postgres://)|Elapsed|Maximum resident" || true
}

df -h / | tail -1 | awk '{print "disk free before:", $4}'
timed generate $pancake generate --preset finland --scale "$scale" --out "$dump" --force
echo "dump: $(du -sh "$dump" | cut -f1)"
timed transform $pancake transform --in "$dump" --out "$events" --force
echo "event stream: $(du -sh "$events" | cut -f1)"
rm -rf "$dump"
timed load-postgres $pancake load postgres --in "$events" --prefix "x${scale}" --reset "$@"
psql "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -Atc \
    "SELECT datname, pg_size_pretty(pg_database_size(datname)) FROM pg_database
     WHERE datname LIKE 'x${scale}\_%' ORDER BY pg_database_size(datname) DESC" |
    sed 's/^/database: /'
df -h / | tail -1 | awk '{print "disk free after:", $4}'
