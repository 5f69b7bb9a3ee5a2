#!/bin/sh
# Manual VM smoke test of paytermctl against the real modules (not run by
# tests/check):  tests/vm/run --timeout 200 -- tests/unit/paytermctl/vm-smoke.sh
# P=build/paytermctl to use the non-ASan binary.
cd /work/main
P=${P:-build-asan/paytermctl}
export ASAN_OPTIONS=detect_leaks=1
insmod kmod/payterm.ko || exit 1
insmod kmod/payterm_virt.ko || exit 1
echo "== list (empty)"; $P list; echo rc=$?
mkfifo /tmp/cmds
printf '00A4040007A0000000031010 6F0A840790009000\n00B2* 6A83\n80CA* mute\n' > /tmp/map
$P virt --name "smoke reader" --vendor 1d6b --product 0104 --apdu-map /tmp/map < /tmp/cmds > /tmp/virt.out 2>&1 &
VPID=$!
exec 3>/tmp/cmds
sleep 1
echo "== virt out"; cat /tmp/virt.out
echo "== list"; $P list; echo rc=$?; $P list --json; echo rc=$?
ls -l /sys/class/payterm/ /dev/payterm*
$P monitor 0 --claim --count 9 --timeout 20 > /tmp/mon.out 2>/tmp/mon.err 3>&- &
MPID=$!
$P monitor payterm0 --count 9 --timeout 20 > /tmp/mon2.out 2>&1 3>&- &
M2=$!
sleep 1
echo "== second claimant"; $P monitor 0 --claim --count 1 --timeout 1; echo rc=$?
echo swipe-test-card >&3
echo "swipe --track1 %B4111111111111112^X/Y^2512101? --track2 ;5555555555554444=2512101? --error 3" >&3
echo "swipe --error 1,2" >&3
echo "insert" >&3
echo "tap" >&3
echo "remove" >&3
echo "bogus" >&3
sleep 3
wait $MPID; echo "monitor rc=$?"
echo "== monitor claim"; cat /tmp/mon.out; cat /tmp/mon.err
wait $M2; echo "== monitor plain rc=$?"; cat /tmp/mon2.out
echo "insert" >&3
sleep 1
echo "== apdu"; $P apdu 0 00A4040007A0000000031010 "00 B2 01 0C 00" 00C0000000; echo rc=$?
$P apdu 0 80CA9F1700; echo rc=$?
$P apdu 0 --slot 1 00A40400; echo rc=$?
echo "== overflow"
$P monitor 0 > /tmp/mon4.out 2>/tmp/mon4.err 3>&- &
M4=$!
sleep 1; kill -STOP $M4
i=0; while [ $i -lt 600 ]; do echo "swipe --error 1"; i=$((i+1)); done >&3
sleep 3; kill -CONT $M4; sleep 2; kill $M4; wait $M4; echo "mon4 rc=$?"
wc -l < /tmp/mon4.out; grep overflow /tmp/mon4.out; cat /tmp/mon4.err
$P monitor 0 --count 3 --timeout 5 > /tmp/mon3.out 2>&1 3>&- &
M3=$!
sleep 0.5
echo "keys 12 corr 3 --delay 50" >&3
echo "sleep 200" >&3
exec 3>&-
wait $VPID; echo "virt rc=$?"
wait $M3; echo "mon3 rc=$?"; cat /tmp/mon3.out
echo "== virt out"; cat /tmp/virt.out
echo "== list after"; $P list --json
