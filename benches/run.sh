#!/usr/bin/env bash
# The whole-process performance run (docs/PERFORMANCE.md).
#
#   benches/run.sh            10k and 100k claims
#   benches/run.sh --full     10k, 100k and 1M claims
#   benches/run.sh --smoke    10k only, short samples; checks that every step works
#   benches/run.sh --sizes "10000 1000000"   any sizes
#
# Environment: CHUNK (claims per import file, default 100000: larger stores
# are built by importing several files), APPENDS (single durable appends per size, default min(N, 20000)),
# QUERY_SECONDS (sampling time per latency figure, default 10), SEED (42),
# OUT (results directory, default target/perf/<time>), WORK (scratch,
# default target/perf/work; a 1M run needs about 3 GB there), MEM_LIMIT_KB
# (address-space limit of each measured process, default 20 GB).
#
# Every figure of one size is taken in this one run, next to its limit (raw
# write+fdatasync, raw read+blake3 chain, serde_json parse, raw sled) and the SQLite
# peer (benches/suite/sqlite_peer.rs), so the ratios compare like with like.
# Nothing here asserts a time; a failing step fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES="10000 100000"
QUERY_SECONDS=${QUERY_SECONDS:-10}
PROVE_SECONDS=5
while [ $# -gt 0 ]; do
    case "$1" in
    --full) SIZES="10000 100000 1000000" ;;
    --smoke)
        SIZES="10000"
        QUERY_SECONDS=${QUERY_SECONDS_SMOKE:-1}
        PROVE_SECONDS=1
        APPENDS=${APPENDS:-500}
        ;;
    --sizes) SIZES="$2"; shift ;;
    *) echo "usage: $0 [--smoke | --full | --sizes \"N ...\"]" >&2; exit 2 ;;
    esac
    shift
done
SEED=${SEED:-42}
CHUNK=${CHUNK:-100000}
MEM_LIMIT_KB=${MEM_LIMIT_KB:-20000000}
OUT=${OUT:-target/perf/$(date -u +%Y%m%dT%H%M%SZ)}
WORK=${WORK:-target/perf/work}
mkdir -p "$OUT" "$WORK"
RESULTS="$OUT/results.tsv"
: >"$RESULTS"

if ! [ -x /usr/bin/time ]; then
    echo "installing GNU time (for peak RSS)" >&2
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq time >/dev/null
fi

machine() {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "uptime: $(uptime)"
}
{
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
    echo "disk: $(df -h --output=source,fstype,size "$WORK" | tail -1 | tr -s ' ')"
    echo "kernel: $(uname -sr)"
    echo "rustc: $(rustc -V)"
    echo "sizes: $SIZES"
    machine
} >"$OUT/machine.txt"

cargo build --release --bin claimlog >&2
SUITE=$(cargo bench --bench suite --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
[ -x "$SUITE" ] || { echo "could not find the suite binary" >&2; exit 1; }
BIN=target/release/claimlog

record() { printf 'RESULT\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; }

# measure N NAME CMD...: wall time (NAME.wall, s) and peak RSS (rss.NAME, KB)
# of one whole process; its RESULT lines, if any, are kept too.
measure() {
    local n=$1 name=$2
    shift 2
    local base="$OUT/$name-$n" t0 t1
    # Untimed: no step pays for writing back what the one before it (or
    # the build) left dirty in the page cache.
    sync
    t0=$(date +%s.%N)
    # The address-space limit turns a runaway allocation into a failed step
    # instead of a visit from the OOM killer on a shared machine.
    if ! /usr/bin/time -v -o "$base.time" bash -c 'ulimit -v "$0"; exec "$@"' "$MEM_LIMIT_KB" "$@" \
        >"$base.out" 2>"$base.err"; then
        echo "FAILED: $* (see $base.err)" >&2
        tail -3 "$base.err" >&2
        record "$n" "$name.failed" 1 flag
        return 1
    fi
    t1=$(date +%s.%N)
    record "$n" "$name.wall" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" s
    record "$n" "rss.$name" "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$base.time")" KB
    grep '^RESULT' "$base.out" >>"$RESULTS" || true
    printf '  %-16s %8.2f s  %8.1f MB\n' "$name" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" \
        "$(awk -F': ' '/Maximum resident set size/ {print $2 / 1024}' "$base.time")" >&2
}

suite() {
    sync
    "$SUITE" "$@" | tee -a "$RESULTS" | awk -F'\t' '{printf "  %-20s %12.4g %s\n", $3, $4, $5}' >&2
}

for N in $SIZES; do
    echo "== $N claims ($(uptime | sed 's/.*load/load/'))" >&2
    D="$WORK/n$N"
    rm -rf "$D"
    mkdir -p "$D"
    STORE="$D/store"
    K=${APPENDS:-$((N < 20000 ? N : 20000))}
    # One import file of up to CHUNK claims; a larger store is built from
    # N/CHUNK files (seeds SEED, SEED+1, ...), imported one after another,
    # because one import holds its whole input and batch in memory.
    PARTS=$(((N + CHUNK - 1) / CHUNK))
    FILES=()
    for ((i = 0; i < PARTS; i++)); do
        FILES+=("$D/workload-$i.jsonl")
        "$BIN" gen-workload --claims $((N / PARTS)) --seed $((SEED + i)) --out "${FILES[$i]}"
    done
    JSONL=$(IFS=,; echo "${FILES[*]}")
    record "$N" claims "$N" claims
    record "$N" import.parts "$PARTS" files
    record "$N" disk.jsonl "$(cat "${FILES[@]}" | wc -c)" bytes
    "$BIN" --store "$STORE" init --origin bench.example/perf >/dev/null

    for ((i = 0; i < PARTS; i++)); do
        measure "$N" "import_part$i" "$BIN" --store "$STORE" import "${FILES[$i]}" || exit 1
    done
    # import = the sum of the parts' wall times; its RSS = the largest part's.
    record "$N" import.wall "$(awk -F'\t' -v n="$N" '$2 == n && $3 ~ /^import_part[0-9]+\.wall$/ {s += $4} END {print s}' "$RESULTS")" s
    record "$N" rss.import "$(awk -F'\t' -v n="$N" '$2 == n && $3 ~ /^rss\.import_part/ {if ($4 > m) m = $4} END {print m}' "$RESULTS")" KB
    record "$N" disk.store "$(du -sb "$STORE" | cut -f1)" bytes
    record "$N" disk.log "$(du -sb "$STORE/log" | cut -f1)" bytes
    record "$N" disk.cache "$(du -sb "$STORE/cache" | cut -f1)" bytes
    suite parse --jsonl "$JSONL" --n "$N"
    # The raw sled limit: one 48-byte key and a 256-byte value per claim.
    measure "$N" sled "$SUITE" sled --dir "$D/rawsled" --n "$N" || true

    measure "$N" verify "$BIN" --store "$STORE" verify || true
    suite scan --store "$STORE" --n "$N"
    measure "$N" rebuild "$BIN" --store "$STORE" rebuild || exit 1
    # The floor of the rebuild's writing: the rebuilt cache's own entries,
    # in claimlog's load order, into a fresh sled tree.
    suite load --store "$STORE" --dir "$D/rawload" --n "$N"

    # The first total after the rebuild resolves every day of 2024 and
    # memoises it; the second reads the memo (docs/PERFORMANCE.md).
    measure "$N" total_cli "$BIN" --store "$STORE" total --metric people_returned --period 2024 || true
    measure "$N" total_cli_again "$BIN" --store "$STORE" total --metric people_returned --period 2024 || true
    suite query --store "$STORE" --n "$N" --seconds "$QUERY_SECONDS"

    if measure "$N" export "$BIN" --store "$STORE" export --out "$D/snapshot.json"; then
        record "$N" disk.snapshot "$(stat -c %s "$D/snapshot.json")" bytes
        measure "$N" verify_snapshot "$BIN" verify-snapshot "$D/snapshot.json" || true
    fi
    rm -f "$D/snapshot.json"
    if measure "$N" prove "$BIN" --store "$STORE" prove --seq $((N / 2)) --out "$D/proof.json"; then
        measure "$N" verify_proof "$BIN" verify-proof "$D/proof.json" || true
    fi
    suite prove --store "$STORE" --n "$N" --seconds "$PROVE_SECONDS"
    suite keys --store "$STORE" --n "$N"

    measure "$N" sqlite "$SUITE" sqlite --jsonl "$JSONL" --dir "$D/sqlite" --count "$K" \
        --n "$N" --seconds "$QUERY_SECONDS" || true
    rm -rf "$D/sqlite"
    # Last: it appends K claims to the store of size N.
    suite append --store "$STORE" --jsonl "$JSONL" --count "$K" --n "$N"
    if [ -z "${KEEP:-}" ]; then rm -rf "$D"; fi
done

machine >>"$OUT/machine.txt"
"$SUITE" report "$RESULTS" >"$OUT/report.md"
cat "$OUT/machine.txt"
echo
cat "$OUT/report.md"
echo "results: $RESULTS, report: $OUT/report.md" >&2
