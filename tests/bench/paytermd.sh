#!/bin/sh
# paytermd benchmark (make bench), in the VM: terminal-side time from card
# data ready to request on the wire (median, p99), daemon resident memory,
# start -> READY=1.  See tests/vm/py/bench_paytermd.py.
set -eu
cd "$(dirname "$0")/../.."
[ -x build/paytermd ] && [ -x build/payterm-server ] && [ -f kmod/payterm_virt.ko ] ||
	{ echo "paytermd.sh: run make first" >&2; exit 1; }
exec tests/vm/run --timeout 400 -- sh -c \
	'tests/vm/load-modules payterm payterm_virt >/dev/null && exec /usr/bin/python3 tests/vm/py/bench_paytermd.py'
