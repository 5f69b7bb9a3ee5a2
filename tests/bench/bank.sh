#!/bin/bash
# Benchmark: authorisations per second through payterm-bank on loopback.
# N client connections (payterm-bank-client bench: one thread per
# connection, one request in flight per connection) send AES-DUKPT swipe
# 0200s with a format-4 PIN block; the bank derives the DUKPT keys,
# verifies the MAC, decrypts card data and PIN, verifies the PIN (IBM 3624),
# debits the SQLite card DB and answers with a response MAC.  Prints
# throughput, median and p99 latency per N.  The client builds its requests
# (DUKPT derivations included) on the same machine, so figures are a lower
# bound for the bank alone.
#   BANK_BENCH_TOTAL=2000 BANK_BENCH_CONNS="1 4 16" tests/bench/bank.sh
set -u
cd "$(dirname "$0")/../.."
BIN=${PAYTERM_BUILD:-build}
TOTAL=${BANK_BENCH_TOTAL:-2000}
CONNS=${BANK_BENCH_CONNS:-1 4 16}
for p in payterm-bank payterm-bank-client; do
	[ -x "$BIN/$p" ] || { echo "bank.sh: $BIN/$p missing (make userspace)"; exit 1; }
done
mkdir -p build
W=$(mktemp -d build/bench-bank.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null && wait $pid 2>/dev/null; rm -rf "$W"' EXIT
CFG=tests/data/bank.json CARDS=tests/data/cards.json
"$BIN/payterm-bank" --config $CFG --db "$W/bank.db" --init-db $CARDS 2>/dev/null || exit 1
"$BIN/payterm-bank" --config $CFG --db "$W/bank.db" --port 0 \
	--port-file "$W/port" 2>"$W/bank.log" &
pid=$!
for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.05; done
[ -s "$W/port" ] || { echo "bank.sh: bank did not start"; exit 1; }
echo "payterm-bank: $TOTAL authorisations per run (AES DUKPT, swipe, PIN), $(nproc) CPUs"
printf '%-12s %12s %12s %12s %8s\n' connections "auth/s" "median ms" "p99 ms" errors
rc=0
for n in $CONNS; do
	out=$("$BIN/payterm-bank-client" --config $CFG --cards $CARDS \
		--port "$(cat "$W/port")" bench --card visa-ok --pin 1234 \
		--amount 1 --conns "$n" --total "$TOTAL") || rc=1
	v() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$out"; }
	printf '%-12s %12s %12s %12s %8s\n' "$n" "$(v per_second)" \
		"$(v median_ms)" "$(v p99_ms)" "$(v errors)"
done
exit $rc
