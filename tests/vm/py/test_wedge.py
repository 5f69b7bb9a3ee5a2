#!/usr/bin/python3
"""VM tests of payterm_wedge.ko: uinput keyboards typing card tracks.  Run
inside the guest after tests/vm/load-modules payterm_wedge."""
import errno
import fcntl
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payterm_uapi import *  # noqa: E402,F403
from payterm_devs import *  # noqa: E402,F403

T = TestRunner()
PARAMS = '/sys/module/payterm_wedge/parameters/'
VID, PID = 0x0acd, 0x3810          # an IDTech-like wedge id, for the test
T3_PLUS = '+' + TEST_T3[1:]

modprobe('uinput', 'evdev')


def param(name, value=None):
    if value is None:
        return open(PARAMS + name).read().strip()
    with open(PARAMS + name, 'w') as f:
        f.write(value + '\n')


param('ids', '%04x:%04x' % (VID, PID))


class Wedge:
    def __init__(self, vendor=VID, product=PID):
        self.kbd = UInput(vendor, product, name='Wedge MSR')
        self.path = self.kbd.payterm_node()
        self.evdev = os.open(self.kbd.event_node(), os.O_RDONLY | os.O_NONBLOCK)
        self.r = Reader(self.path)
        self.r.claim()
        self.r.expect('CLAIMED')

    def close(self):
        self.r.close()
        os.close(self.evdev)
        self.kbd.destroy()

    def leaked(self):
        return key_events(read_input_events(self.evdev, 0.3))


@T.case
def test_decode_and_no_keystroke_leak():
    w = Wedge()
    try:
        info = w.r.info()
        assert info['caps'] == CAP_MSR and info['name'] == 'Wedge MSR', info
        assert (info['vendor'], info['product']) == (VID, PID), info
        w.kbd.type(TEST_T1 + TEST_T2 + T3_PLUS + '\r')
        ev = w.r.expect('SWIPE')[0]
        assert ev.value == 0b111 and ev.flags == EVF_DATA_READY, ev
        flags, ksn, got = w.r.get_swipe()
        assert flags == 0 and ksn == b''
        assert got == [(TRACK_OK, TEST_T1.encode()), (TRACK_OK, TEST_T2.encode()),
                       (TRACK_OK, TEST_T3.encode())], got
        # The evdev reader of that keyboard saw no key at all, and the key
        # state bitmap shows nothing either.
        assert w.leaked() == []
        keys = fcntl.ioctl(w.evdev, EVIOCGKEY_768, bytes(96))
        assert keys == bytes(96)
        # Its own grab is refused: the wedge holds it.
        expect_errno(errno.EBUSY, fcntl.ioctl, w.evdev, EVIOCGRAB, 1)
    finally:
        w.close()


@T.case
def test_track_variants():
    w = Wedge()
    try:
        cases = [
            (TEST_T2 + '\r', [TRACK_ABSENT, TRACK_OK, TRACK_ABSENT], 0b010),
            # error tracks
            ('%E?' + TEST_T2 + '+E?\r', [TRACK_ERROR, TRACK_OK, TRACK_ERROR],
             0b010),
            # a second ';' track is track 3; an LRC-ish char between tracks
            (TEST_T1 + 'x' + TEST_T2 + TEST_T3 + '\r',
             [TRACK_OK, TRACK_OK, TRACK_OK], 0b111),
            # lower case is outside the track 1 character set
            (TEST_T1.lower() + TEST_T2 + '\r',
             [TRACK_ERROR, TRACK_OK, TRACK_ABSENT], 0b010),
            # no end sentinel on track 2
            (TEST_T1 + TEST_T2[:-1] + '\r',
             [TRACK_OK, TRACK_ERROR, TRACK_ABSENT], 0b001),
        ]
        for text, statuses, mask in cases:
            w.kbd.type(text)
            ev = w.r.expect('SWIPE')[0]
            assert ev.value == mask, (text, ev)
            got = w.r.get_swipe()[2]
            assert [g[0] for g in got] == statuses, (text, got)
        for text in ('%E?;E?+E?\r', ';E?\r', 'hello\r', ';12x4?\r'):
            w.kbd.type(text)
            w.r.expect('SWIPE_ERROR')
        w.kbd.tap(KEY['ENTER'])              # lone CR: nothing
        assert w.r.drain(0.3) == []
        assert w.leaked() == []
    finally:
        w.close()


@T.case
def test_inter_character_timeout():
    w = Wedge()
    try:
        # 1 s: long against the gaps a loaded TCG guest leaves between
        # injected keystrokes (300 ms split swipes in a CI-like run).
        param('timeout_ms', '1000')
        t0 = time.monotonic()
        w.kbd.type(TEST_T1 + TEST_T2)           # no CR
        ev = w.r.expect('SWIPE', timeout=8)[0]
        assert ev.value == 0b011 and time.monotonic() - t0 >= 1.0, ev
        w.r.get_swipe()
        # Stalled mid-track: the incomplete track is an error.
        w.kbd.type(TEST_T1 + TEST_T2[:10])
        assert w.r.expect('SWIPE', timeout=8)[0].value == 0b001
        assert w.r.get_swipe()[2][1] == (TRACK_ERROR, b'')
        # A pause within a swipe splits it; the next swipe is fresh.
        w.kbd.type(TEST_T2 + '\r')
        assert w.r.expect('SWIPE')[0].value == 0b010
        w.r.get_swipe()
    finally:
        param('timeout_ms', '500')
        w.close()


@T.case
def test_unmarked_keyboard_untouched_attach_detach():
    kbd = UInput(0x1d6b, 0x0104, name='Plain keyboard')
    ev = os.open(kbd.event_node(), os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert kbd.payterm_nodes() == []
        kbd.type('ab')
        got = key_events(read_input_events(ev))
        assert (KEY['a'], 1) in got and (KEY['b'], 0) in got, got
        # sysfs/udev marking: attach by input device name.
        param('attach', kbd.name)
        path = kbd.payterm_node()
        r = Reader(path)
        r.claim()
        kbd.type(TEST_T2 + '\r')
        assert r.expect('CLAIMED', 'SWIPE')[1].value == 0b010
        assert r.get_swipe()[2][1] == (TRACK_OK, TEST_T2.encode())
        assert key_events(read_input_events(ev)) == []
        param('detach', kbd.name)
        expect_errno(errno.ENODEV, r.read_events, timeout=2)
        r.close()
        assert wait_until(lambda: kbd.payterm_nodes() == [])
        kbd.type('c')
        assert (KEY['c'], 1) in key_events(read_input_events(ev))
        expect_errno(errno.ENODEV, param, 'attach', 'input9999')
    finally:
        os.close(ev)
        kbd.destroy()


@T.case
def test_ids_parameter_at_run_time():
    w = Wedge()
    try:
        assert param('ids') == '%04x:%04x' % (VID, PID)
        param('ids', '')
        expect_errno(errno.ENODEV, w.r.read_events, timeout=2)
        assert wait_until(lambda: w.kbd.payterm_nodes() == [])
        w.kbd.type('1')
        assert (KEY['1'], 1) in w.leaked()
        param('ids', '%04x:%04x,dead:beef' % (VID, PID))
        assert w.kbd.payterm_node()
        expect_errno(errno.EINVAL, param, 'ids', 'nonsense')
        assert param('ids') == '%04x:%04x,dead:beef' % (VID, PID)
    finally:
        param('ids', '%04x:%04x' % (VID, PID))
        w.close()


@T.case
def test_unplug_mid_swipe():
    w = Wedge()
    b = Reader(w.path)
    try:
        w.kbd.type(TEST_T1 + TEST_T2[:8])
        w.kbd.destroy()
        for r in (w.r, b):
            expect_errno(errno.ENODEV, r.read_events, timeout=2)
        expect_errno(errno.ENODEV, w.r.get_swipe)
        assert wait_until(lambda: not os.path.exists(w.path))
        # Unplug with an unfetched swipe.
        w2 = Wedge()
        w2.kbd.type(TEST_T2 + '\r')
        w2.r.expect('SWIPE')
        w2.kbd.destroy()
        expect_errno(errno.ENODEV, w2.r.get_swipe)
        w2.r.close()
        os.close(w2.evdev)
    finally:
        b.close()
        w.r.close()
        os.close(w.evdev)


@T.case
def test_nothing_sensitive_in_dmesg():
    dmesg_clean([TEST_PAN, '4111111111', 'TEST/CARD', '=2812101'])


sys.exit(T.run(sys.argv))
