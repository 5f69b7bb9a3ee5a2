#!/usr/bin/python3
"""Module unload/reload with readers open (run in the guest after
tests/vm/load-modules payterm payterm_virt)."""
import errno
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payterm_uapi import *  # noqa: E402,F403

T = TestRunner()
KMOD = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../../kmod')


def rmmod(name):
    return subprocess.run(['rmmod', name], capture_output=True).returncode


def insmod(name):
    subprocess.run(['insmod', os.path.join(KMOD, name + '.ko')], check=True)


def loaded(name):
    return os.path.exists('/sys/module/' + name)


@T.case
def test_unload_refused_while_in_use():
    v = Virt(CAP_MSR)
    r = Reader(v.path)
    assert rmmod('payterm_virt') != 0 and loaded('payterm_virt')
    assert rmmod('payterm') != 0 and loaded('payterm')
    v.close()                       # reader unplugged; r still open
    assert rmmod('payterm_virt') == 0 and not loaded('payterm_virt')
    expect_errno(errno.ENODEV, r.info)
    assert rmmod('payterm') != 0 and loaded('payterm')   # r pins the core
    r.close()
    assert rmmod('payterm') == 0 and not loaded('payterm')


@T.case
def test_reload_works_again():
    insmod('payterm')
    insmod('payterm_virt')
    v = Virt(CAP_MSR)
    r = Reader(v.path)
    r.claim()
    v.swipe(t2=TEST_T2)
    assert r.expect('CLAIMED', 'SWIPE')[1].flags & EVF_DATA_READY
    assert r.get_swipe()[2][1] == (TRACK_OK, TEST_T2.encode())
    r.close()
    v.close()


@T.case
def test_unload_with_many_readers_then_reload():
    vs = [Virt(CAP_ICC | CAP_PINPAD) for _ in range(8)]
    rs = [Reader(v.path) for v in vs]
    for v in vs:
        v.close()
    for r in rs:
        expect_errno(errno.ENODEV, r.claim)
        r.close()
    assert rmmod('payterm_virt') == 0 and rmmod('payterm') == 0
    insmod('payterm')
    insmod('payterm_virt')
    v = Virt(CAP_PINPAD)
    assert v.minor == 0, v.minor      # minors were all freed
    v.close()


sys.exit(T.run(sys.argv))
