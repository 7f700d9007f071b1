#!/usr/bin/env bash
# The ceiling the PostgreSQL loader is compared with: the exact rows it
# copies (rendered by load/examples/pg_ceiling.rs), loaded by plain tools.
#
#   scripts/pg-ceiling.sh EVENTS [WORK_DIR]
#
# 1. Renders WORK_DIR/files/<module>/<table>.{bin,csv} from EVENTS
#    (skipped when WORK_DIR/files/tables.tsv exists and REUSE=1).
# 2. psql ceiling: per module a fresh database ceil_<module> with
#    load/sql/<module>/v1.sql, then one timed
#    `psql -c "\copy <table> (<columns>) FROM '<file>' WITH (FORMAT binary)"`
#    per table, one after the other; then load/sql/<module>/indexes.sql,
#    timed apart; then the loader's other finishing steps,
#    load/sql/<module>/finish.sql where there is one and ANALYZE, timed
#    apart (the waiting changes the loader also applies are not in the
#    files: the example counts them).
# 3. The loader's units pre-rendered: one \copy per module, table and
#    stream part (WORK_DIR/files/<module>/<table>.parts/*.bin), PARALLEL
#    (default 4, the loader's --jobs default) at a time, biggest first, into
#    fresh databases par_<module>; then every module's indexes, then its
#    finish.sql and ANALYZE, PARALLEL modules at a time. The ceiling for the
#    loader's COPY phase and finishing phase, like with like.
# 4. pgloader: per module a fresh database pgl_<module> with v1.sql (pgloader
#    neither creates nor truncates tables here), one timed pgloader run per
#    table from the CSV file. Row counts are checked against the rows
#    rendered, and every table's content against ceil_<module>'s right
#    after its \copy (a sum of row hashes): pgloader drops rows it cannot
#    load and still exits 0 (it exits 0 even when it cannot connect).
# 5. Prints the table, drops the ceil_, par_ and pgl_ databases.
#
# REUSE=1 keeps the rendered files of an earlier run; PGLOADER=0 skips step 4
# (it takes minutes), for repeating the psql measurements.
#
# PostgreSQL: postgres://postgres:postgres@127.0.0.1:5432 (PGHOST, PGPORT,
# PGUSER, PGPASSWORD override). pgloader is installed with apt-get when
# missing.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 EVENTS [WORK_DIR]" >&2; exit 2; }
EVENTS=$(realpath "$1")
WORK=$(realpath -m "${2:-/tmp/pg-ceiling}")
FILES=$WORK/files
PARALLEL=${PARALLEL:-4}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres} PGPASSWORD=${PGPASSWORD:-postgres}
SERVER="postgresql://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT"

say() { printf 'pg-ceiling: %s\n' "$*" >&2; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
fresh_db() {
  psql_q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
  psql_q -d "$1" -f "$ROOT/load/sql/$2/v1.sql"
}
count() { psql -X -At -d "$1" -c "SELECT count(*) FROM $2"; }
# An order-independent digest of a table's content.
digest() { psql -X -At -d "$1" -c "SELECT count(*) || ':' || coalesce(sum(hashtext(t::text)::numeric), 0) FROM $2 t"; }

mkdir -p "$WORK"

# ---- 1. the rows ----------------------------------------------------------
if [ "${REUSE:-}" = 1 ] && [ -f "$FILES/tables.tsv" ]; then
  say "reusing $FILES"
else
  say "rendering the loader's rows from $EVENTS into $FILES"
  rm -rf "$FILES"
  (cd "$ROOT" && cargo run --quiet --release -p pancake-load --example pg_ceiling -- "$EVENTS" "$FILES" --parts)
fi
MODULES=$(cut -f1 "$FILES/tables.tsv" | uniq)

declare -A ROWS PSQL INDEX FINISH PGL DIGEST
finish_module() { # database module
  if [ -f "$ROOT/load/sql/$2/finish.sql" ]; then
    psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f "$ROOT/load/sql/$2/finish.sql"
  fi
  psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c ANALYZE
}
export -f finish_module
export ROOT
# ---- 2. psql, one table after the other -----------------------------------
for m in $MODULES; do
  fresh_db "ceil_$m" "$m"
  ROWS[$m]=0 PSQL[$m]=0
  while IFS=$'\t' read -r module table rows columns _nullable; do
    [ "$module" = "$m" ] || continue
    t0=$(now)
    psql_q -d "ceil_$m" -c "\\copy $table ($columns) FROM '$FILES/$m/$table.bin' WITH (FORMAT binary)"
    t1=$(now)
    got=$(count "ceil_$m" "$table")
    [ "$got" = "$rows" ] || { say "ceil_$m.$table holds $got rows, expected $rows"; exit 1; }
    # Before the finishing steps change rows (alerts hidden by blocks).
    DIGEST[$m.$table]=$(digest "ceil_$m" "$table")
    say "psql     $m.$table: $rows rows in $(secs "$t0" "$t1") s"
    ROWS[$m]=$((ROWS[$m] + rows))
    PSQL[$m]=$(awk -v a="${PSQL[$m]}" -v b="$(secs "$t0" "$t1")" 'BEGIN { print a + b }')
  done <"$FILES/tables.tsv"
  t0=$(now)
  psql_q -d "ceil_$m" -f "$ROOT/load/sql/$m/indexes.sql"
  INDEX[$m]=$(secs "$t0" "$(now)")
  t0=$(now)
  finish_module "ceil_$m" "$m"
  FINISH[$m]=$(secs "$t0" "$(now)")
  say "psql     $m: indexes in ${INDEX[$m]} s, finish.sql and ANALYZE in ${FINISH[$m]} s"
done

# ---- 3. psql, the loader's units, $PARALLEL at a time ----------------------
for m in $MODULES; do fresh_db "par_$m" "$m"; done
par_copy() { # module table columns file
  psql -X -q -v ON_ERROR_STOP=1 -d "par_$1" -c "\\copy $2 ($3) FROM '$4' WITH (FORMAT binary)"
}
export -f par_copy
UNITS=$(while IFS=$'\t' read -r module table rows columns _nullable; do
  for f in "$FILES/$module/$table.parts"/*.bin; do
    if [ -e "$f" ]; then echo "$(stat -c %s "$f") $module $table $columns $f"; fi
  done
done <"$FILES/tables.tsv" | sort -rn | cut -d' ' -f2-)
t0=$(now)
xargs -P "$PARALLEL" -n 4 bash -c 'par_copy "$@"' _ <<<"$UNITS"
PAR_SECS=$(secs "$t0" "$(now)")
t0=$(now)
for m in $MODULES; do echo "$m"; done |
  xargs -P "$PARALLEL" -I{} psql -X -q -v ON_ERROR_STOP=1 -d "par_{}" -f "$ROOT/load/sql/{}/indexes.sql"
PAR_INDEX_SECS=$(secs "$t0" "$(now)")
t0=$(now)
for m in $MODULES; do echo "$m"; done | xargs -P "$PARALLEL" -I{} bash -c 'finish_module "par_$1" "$1"' _ {}
PAR_FINISH_SECS=$(secs "$t0" "$(now)")
for m in $MODULES; do
  while IFS=$'\t' read -r module table rows _; do
    [ "$module" = "$m" ] || continue
    got=$(count "par_$m" "$table")
    [ "$got" = "$rows" ] || { say "par_$m.$table holds $got rows, expected $rows"; exit 1; }
  done <"$FILES/tables.tsv"
done
say "psql     $(wc -l <<<"$UNITS") units (module, table, part), $PARALLEL at a time: $PAR_SECS s; then every module's indexes, $PARALLEL at a time: $PAR_INDEX_SECS s; finish.sql and ANALYZE: $PAR_FINISH_SECS s"

# ---- 4. pgloader ------------------------------------------------------------
[ "${PGLOADER:-1}" = 0 ] && MODULES_PGL="" || MODULES_PGL=$MODULES
if [ -n "$MODULES_PGL" ] && ! command -v pgloader >/dev/null; then
  say "installing pgloader"
  DEBIAN_FRONTEND=noninteractive apt-get install -y pgloader >/dev/null
fi
mkdir -p "$WORK/pgloader"
for m in $MODULES; do PGL[$m]=0; done
for m in $MODULES_PGL; do
  fresh_db "pgl_$m" "$m"
  while IFS=$'\t' read -r module table rows columns nullable; do
    [ "$module" = "$m" ] || continue
    # Nullable columns: an empty field is NULL (only those: an empty text
    # in a NOT NULL column stays an empty text).
    fields=$(tr ',' '\n' <<<"$columns" | while read -r c; do
      if [[ ",$nullable," == *",$c,"* ]]; then echo "$c [null if blanks]"; else echo "$c"; fi
    done | paste -sd, | sed 's/,/, /g')
    load=$WORK/pgloader/$m.$table.load
    cat >"$load" <<EOF
LOAD CSV
     FROM '$FILES/$m/$table.csv'
     HAVING FIELDS ($fields)
     INTO $SERVER/pgl_$m
     TARGET TABLE $table
     TARGET COLUMNS (${columns//,/, })
     WITH fields optionally enclosed by '"',
          fields escaped by double-quote,
          fields terminated by ','
;
EOF
    t0=$(now)
    pgloader --root-dir "$WORK/pgloader" --logfile "$WORK/pgloader/$m.$table.log" "$load" >"$WORK/pgloader/$m.$table.out" 2>&1 ||
      { say "pgloader failed on $m.$table: see $WORK/pgloader/$m.$table.out"; exit 1; }
    t1=$(now)
    got=$(count "pgl_$m" "$table")
    [ "$got" = "$rows" ] || { say "pgl_$m.$table holds $got rows, expected $rows: pgloader rejected rows, see $WORK/pgloader/$m.$table.out"; exit 1; }
    a=${DIGEST[$m.$table]} b=$(digest "pgl_$m" "$table")
    [ "$a" = "$b" ] || { say "pgl_$m.$table differs from ceil_$m.$table ($b against $a)"; exit 1; }
    say "pgloader $m.$table: $rows rows in $(secs "$t0" "$t1") s, same content as the binary COPY"
    PGL[$m]=$(awk -v a="${PGL[$m]}" -v b="$(secs "$t0" "$t1")" 'BEGIN { print a + b }')
  done <"$FILES/tables.tsv"
done

# ---- 5. the table -----------------------------------------------------------
{
  printf '%-9s %9s %9s %11s %9s %9s %9s %11s\n' module rows psql_s psql_rows/s index_s finish_s pgl_s pgl_rows/s
  total_rows=0 total_psql=0 total_index=0 total_finish=0 total_pgl=0
  add() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }
  line='BEGIN { printf "%-9s %9d %9.2f %11.0f %9.2f %9.2f %9.2f %11.0f\n", m, r, p, r / p, i, f, g, (g > 0 ? r / g : 0) }'
  for m in $MODULES; do
    awk -v m="$m" -v r="${ROWS[$m]}" -v p="${PSQL[$m]}" -v i="${INDEX[$m]}" -v f="${FINISH[$m]}" -v g="${PGL[$m]}" "$line"
    total_rows=$((total_rows + ROWS[$m]))
    total_psql=$(add "$total_psql" "${PSQL[$m]}")
    total_index=$(add "$total_index" "${INDEX[$m]}")
    total_finish=$(add "$total_finish" "${FINISH[$m]}")
    total_pgl=$(add "$total_pgl" "${PGL[$m]}")
  done
  awk -v m=total -v r="$total_rows" -v p="$total_psql" -v i="$total_index" -v f="$total_finish" -v g="$total_pgl" "$line"
  awk -v m=parallel -v r="$total_rows" -v p="$PAR_SECS" -v i="$PAR_INDEX_SECS" -v f="$PAR_FINISH_SECS" -v g=0 "$line"
  echo "parallel: the loader's units (module, table, part), $PARALLEL at a time; then indexes, then finish.sql and ANALYZE, $PARALLEL modules at a time"
} | tee "$WORK/summary.txt"

for m in $MODULES; do
  psql_q -d postgres -c "DROP DATABASE IF EXISTS ceil_$m WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS par_$m WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS pgl_$m WITH (FORCE)"
done
say "done; the table is in $WORK/summary.txt"
