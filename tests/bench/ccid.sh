#!/bin/bash
# make bench: APDU round-trip latency (median, p99) and CPU time per APDU
# through /dev/payterm* (payterm_ccid.ko) versus pcscd + libccid, same VM,
# same emulated reader (QEMU usb-ccid) and EMV test card.
# PAYTERM_CCID_BENCH_N=count (default 500).
cd "$(dirname "$0")/../.." || exit 1
n=${PAYTERM_CCID_BENCH_N:-500}
exec tests/fakes/ccid-vm --timeout 600 -- sh -c \
	"modprobe xhci_pci && tests/vm/load-modules payterm payterm_ccid &&
	 exec /usr/bin/python3 tests/vm/py/test_ccid_pcsc.py --bench $n"
