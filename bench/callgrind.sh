#!/bin/sh
# Instruction counts under callgrind, which stay put on a noisy machine:
# per handshake for variant a (callbacks bound directly) and b (the same
# callbacks as sslplug plugins), and per context pair (server + client
# context made and freed).  Only bench_handshake_loop and bench_ctx_loop are
# counted (--toggle-collect), so start-up, the first plugin load and the
# warm-up are left out.
#
#   bench/callgrind.sh [options] BUILD/bench/sslplug_bench
#
#   --handshakes=N  handshakes per run (default 200)
#   --contexts=N    context pairs per run, 0 to skip (default 20)
#   --all           also variant c (no callbacks at all)
#   --annotate      also print the inclusive cost of sslplug's trampolines in b
set -eu

handshakes=200
contexts=20
all=0
annotate=0
bench=
usage() {
    echo "usage: $0 [--handshakes=N] [--contexts=N] [--all] [--annotate] SSLPLUG_BENCH" >&2
    exit 2
}
for arg in "$@"; do
    case $arg in
    --handshakes=*) handshakes=${arg#*=} ;;
    --contexts=*) contexts=${arg#*=} ;;
    --all) all=1 ;;
    --annotate) annotate=1 ;;
    -*) usage ;;
    *) bench=$arg ;;
    esac
done
if [ -z "$bench" ] || [ ! -x "$bench" ]; then
    usage
fi
if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind.sh: valgrind not found" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Instructions counted in one run: count MODE N.
count() {
    if ! valgrind --tool=callgrind --callgrind-out-file="$tmp/$1.out" \
        --collect-atstart=no --toggle-collect=bench_handshake_loop \
        --toggle-collect=bench_ctx_loop \
        "$bench" --callgrind-mode="$1" --count="$2" >"$tmp/$1.log" 2>&1; then
        cat "$tmp/$1.log" >&2
        exit 1
    fi
    awk '/^(summary|totals):/ { print $2; exit }' "$tmp/$1.out"
}

# report WHAT N A B: per-unit counts of a and b, their difference and ratio.
report() {
    awk -v what="$1" -v n="$2" -v a="$3" -v b="$4" 'BEGIN {
        printf "instr_per_%s_direct=%.0f\n", what, a / n
        printf "instr_per_%s_sslplug=%.0f\n", what, b / n
        printf "instr_overhead_per_%s=%.0f\n", what, (b - a) / n
        printf "instr_overhead_%s_pct=%.4f\n", what, (b - a) * 100 / a
    }'
}

# Inclusive instructions of the functions named (a regular expression) in
# a callgrind output file.
inclusive() {
    callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
        awk -v re=":($2) [[]" '$0 ~ re { gsub(",", "", $1); sum += $1 } END { printf "%.0f\n", sum }'
}

a=$(count a "$handshakes")
b=$(count b "$handshakes")
echo "instr_handshakes=$handshakes"
report hs "$handshakes" "$a" "$b"
if command -v callgrind_annotate >/dev/null 2>&1; then
    # What the calls themselves cost: sslplug's trampolines against the
    # static adapters of a, each including the shared callback bodies.
    ta=$(inclusive "$tmp/a.out" 'direct_info|direct_verify|direct_client_cert')
    tb=$(inclusive "$tmp/b.out" '(sslplugi_)?(info_cb|verify_cb|client_cert_cb)')
    awk -v a="$ta" -v b="$tb" -v n="$handshakes" 'BEGIN {
        printf "instr_callbacks_per_hs_direct=%.0f\n", a / n
        printf "instr_callbacks_per_hs_sslplug=%.0f\n", b / n
    }'
fi
if [ "$all" = 1 ]; then
    c=$(count c "$handshakes")
    awk -v c="$c" -v n="$handshakes" 'BEGIN { printf "instr_per_hs_none=%.0f\n", c / n }'
fi
if [ "$annotate" = 1 ] && command -v callgrind_annotate >/dev/null 2>&1; then
    echo "# inclusive instructions in b, all $handshakes handshakes:"
    callgrind_annotate --inclusive=yes --threshold=100 "$tmp/b.out" 2>/dev/null |
        grep -E ':((sslplugi_)?(info_cb|verify_cb|client_cert_cb)|X509_check_private_key|X509_NAME_oneline|pthread_mutex_lock) ' ||
        true
fi
if [ "$contexts" -gt 0 ]; then
    ca=$(count ctx-a "$contexts")
    cb=$(count ctx-b "$contexts")
    echo "instr_contexts=$contexts"
    report ctx "$contexts" "$ca" "$cb"
    awk -v a="$ca" -v b="$cb" 'BEGIN { printf "instr_ctx_ratio=%.5f\n", b / a }'
fi
awk -v a="$a" -v b="$b" 'BEGIN { printf "instr_ratio=%.5f\n", b / a }'
