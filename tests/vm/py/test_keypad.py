#!/usr/bin/python3
"""VM tests of payterm_keypad.ko: uhid keypads in HID claim mode, uinput
keypads in input grab mode, the udev rules and payterm-claim.  Run inside
the guest after tests/vm/load-modules payterm_keypad."""
import errno
import fcntl
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payterm_uapi import *  # noqa: E402,F403
from payterm_devs import *  # noqa: E402,F403

T = TestRunner()
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '../../..'))
KO = os.path.join(REPO, 'kmod/payterm_keypad.ko')
CLAIM = os.path.join(REPO, 'udev/payterm-claim')
PARAMS = '/sys/module/payterm_keypad/parameters/'
HID_VID, HID_PID = 0x1209, 0x7a01       # claim-mode test keypad (ids=)
NEW_VID, NEW_PID = 0x1209, 0x7a02       # claimed through payterm-claim
GRAB_VID, GRAB_PID = 0x1209, 0x7a03     # grab-mode test keypad
PIN_REJ_TOO_SHORT = 1
PIN = '86420975'                        # test PIN, must never reach dmesg

modprobe('uhid', 'uinput', 'hid-generic', 'evdev')
assert os.system('rmmod payterm_keypad') == 0
assert os.system('insmod %s ids=%04x:%04x grab_ids=%04x:%04x' % (
    KO, HID_VID, HID_PID, GRAB_VID, GRAB_PID)) == 0


def param(name, value=None):
    if value is None:
        return open(PARAMS + name).read().strip()
    with open(PARAMS + name, 'w') as f:
        f.write(value + '\n')


class HidKeypad:
    def __init__(self, vid=HID_VID, pid=HID_PID, driver='payterm_keypad'):
        self.hid = UHid(KEYBOARD_RDESC, vid, pid, name='HID PIN pad')
        if driver:
            assert self.hid.driver() == driver, self.hid.driver()
            self.path = self.hid.payterm_node()

    def press(self, usage):
        self.hid.input(kbd_report([usage]))
        self.hid.input(kbd_report())

    def keys(self, s):
        m = {'C': HID_BACKSPACE, 'X': HID_DELETE, 'Q': HID_ESC,
             'E': HID_ENTER, 'K': HID_KP_ENTER}
        for i, ch in enumerate(s):
            if ch in m:
                self.press(m[ch])
            else:               # alternate row and keypad digits
                self.press((HID_KEY if i % 2 else HID_KP)[ch])

    def close(self):
        self.hid.destroy()


def session(r, mn=4, mx=12, timeout_ms=30000):
    r.pin_start(mn, mx, timeout_ms)
    r.expect('PIN_STARTED')


def digits_events(r, n):
    evs = r.expect(*(['PIN_DIGITS'] * n))
    return [e.value for e in evs]


@T.case
def test_hid_claim_no_nodes_and_pin_session():
    k = HidKeypad()
    r = Reader(k.path)
    try:
        assert k.hid.children('hidraw') == [], k.hid.children('hidraw')
        assert k.hid.children('input') == [], k.hid.children('input')
        info = r.info()
        assert info['caps'] == CAP_PINPAD and info['slots'] == 0, info
        assert (info['vendor'], info['product']) == (HID_VID, HID_PID)
        r.claim()
        r.expect('CLAIMED')
        k.keys('1234E')                      # outside a session: dropped
        assert r.drain(0.3) == []
        session(r)
        k.keys(PIN[:3])
        assert digits_events(r, 3) == [1, 2, 3]
        k.keys('C')                          # correction
        assert digits_events(r, 1) == [2]
        k.keys(PIN[2:])
        assert digits_events(r, len(PIN) - 2) == list(range(3, len(PIN) + 1))
        k.keys('E')
        assert r.expect('PIN_ENTERED')[0].value == len(PIN)
        assert r.get_pin() == PIN
        expect_errno(errno.ENODATA, r.get_pin)
        # clear (Delete), keypad Enter, too short, cancel (Escape)
        session(r)
        k.keys('12X')
        assert digits_events(r, 3) == [1, 2, 0]
        k.keys('97K')
        evs = r.expect('PIN_DIGITS', 'PIN_DIGITS', 'PIN_REJECTED')
        assert evs[2].value == PIN_REJ_TOO_SHORT, evs
        k.keys('Q')
        r.expect('PIN_CANCELLED')
        expect_errno(errno.ENODATA, r.get_pin)
        # A held key (bitmap-style repeats) counts once.
        session(r)
        k.hid.input(kbd_report([HID_KEY['5']]))
        k.hid.input(kbd_report([HID_KEY['5']]))
        k.hid.input(kbd_report([HID_KEY['5'], HID_KEY['6']]))
        k.hid.input(kbd_report())
        assert digits_events(r, 2) == [1, 2]
        assert r.drain(0.3) == []
        r.pin_abort()
        r.expect('PIN_ABORTED')
    finally:
        r.close()
        k.close()


@T.case
def test_hid_claim_unplug_mid_session():
    k = HidKeypad()
    a = Reader(k.path)
    b = Reader(k.path)
    try:
        a.claim()
        a.expect('CLAIMED')
        session(a)
        k.keys(PIN[:4])
        digits_events(a, 4)
        k.close()
        a.expect('PIN_ABORTED')
        expect_errno(errno.ENODEV, a.read_events, timeout=2)
        expect_errno(errno.ENODEV, a.get_pin)
        evs = b.read_events(timeout=1)
        assert [e.name for e in evs][-1] == 'PIN_ABORTED', evs
        expect_errno(errno.ENODEV, b.read_events, timeout=1)
        assert wait_until(lambda: not os.path.exists(k.path))
    finally:
        a.close()
        b.close()


@T.case
def test_new_id_through_payterm_claim():
    k = HidKeypad(NEW_VID, NEW_PID, driver=None)
    try:
        assert wait_until(lambda: k.hid.driver() == 'hid-generic'), k.hid.driver()
        assert wait_until(lambda: k.hid.children('hidraw'))
        assert wait_until(lambda: k.hid.children('input'))
        subprocess.run([CLAIM, 'hid', 'payterm_keypad', k.hid.hidname],
                       check=True)
        assert k.hid.driver() == 'payterm_keypad', k.hid.driver()
        assert wait_until(lambda: not k.hid.children('hidraw'))
        assert not k.hid.children('input')
        r = Reader(k.hid.payterm_node())
        r.claim()
        r.expect('CLAIMED')
        session(r)
        k.keys(PIN + 'E')
        r.expect(*(['PIN_DIGITS'] * len(PIN) + ['PIN_ENTERED']))
        assert r.get_pin() == PIN
        r.close()
        # Idempotent; the id now stays with the driver (new_id).
        subprocess.run([CLAIM, 'hid', 'payterm_keypad', k.hid.hidname],
                       check=True)
        k2 = HidKeypad(NEW_VID, NEW_PID)
        k2.close()
    finally:
        k.close()


class GrabKeypad:
    def __init__(self, vid=GRAB_VID, pid=GRAB_PID):
        self.kbd = UInput(vid, pid, name='Input PIN pad')
        self.path = self.kbd.payterm_node()
        # An evdev reader opened before any session.
        self.evdev = os.open(self.kbd.event_node(), os.O_RDONLY | os.O_NONBLOCK)

    def keys(self, s):
        m = {'C': KEY['BACKSPACE'], 'X': KEY['DELETE'], 'Q': KEY['ESC'],
             'E': KEY['ENTER'], 'K': KEY['KPENTER']}
        for i, ch in enumerate(s):
            if ch in m:
                self.kbd.tap(m[ch])
            else:
                self.kbd.tap((KEY if i % 2 else KP)[ch])

    def seen(self):
        return key_events(read_input_events(self.evdev, 0.3))

    def close(self):
        os.close(self.evdev)
        self.kbd.destroy()


@T.case
def test_input_grab_only_during_session():
    g = GrabKeypad()
    r = Reader(g.path)
    try:
        info = r.info()
        assert info['caps'] == CAP_PINPAD and info['name'] == 'Input PIN pad'
        r.claim()
        r.expect('CLAIMED')
        g.keys('12')                      # no session: keys flow normally
        assert (KP['1'], 1) in g.seen()
        assert r.drain(0.2) == []
        session(r)
        g.keys(PIN[:2])
        # A key held during the session is not in the key-state bitmap.
        g.kbd.key(KEY[PIN[2]], 1)
        keys = fcntl.ioctl(g.evdev, EVIOCGKEY_768, bytes(96))
        assert keys == bytes(96), keys.hex()
        g.kbd.key(KEY[PIN[2]], 0)
        g.keys(PIN[3:] + 'C' + PIN[-1] + 'E')
        n = len(PIN)
        evs = r.expect(*(['PIN_DIGITS'] * (n + 2) + ['PIN_ENTERED']))
        assert evs[-1].value == n and evs[n - 1].value == n, evs
        assert r.get_pin() == PIN
        assert g.seen() == [], 'keys leaked to evdev during the session'
        # After the session (pin_end runs from a work item) keys flow again.
        time.sleep(0.2)
        g.keys('34')
        got = g.seen()
        assert (KEY['4'], 1) in got and (KP['3'], 0) in got, got
        assert r.drain(0.2) == []
        # Cancel and abort also end the grab.
        for end in ('Q', None):
            session(r)
            g.keys('5')
            if end:
                g.keys(end)
                r.expect('PIN_DIGITS', 'PIN_CANCELLED')
            else:
                r.expect('PIN_DIGITS')
                r.pin_abort()
                r.expect('PIN_ABORTED')
            assert g.seen() == []
            time.sleep(0.2)
            g.keys('6')
            assert (KP['6'], 1) in g.seen()
    finally:
        r.close()
        g.close()


@T.case
def test_input_grab_refused_when_grabbed_elsewhere():
    g = GrabKeypad()
    r = Reader(g.path)
    try:
        r.claim()
        fcntl.ioctl(g.evdev, EVIOCGRAB, 1)
        expect_errno(errno.EBUSY, r.pin_start, 4, 12, 30000)
        fcntl.ioctl(g.evdev, EVIOCGRAB, 0)
        r.pin_start(4, 12, 30000)
        r.pin_abort()
    finally:
        r.close()
        g.close()


@T.case
def test_input_grab_unplug_mid_session_and_detach():
    g = GrabKeypad()
    a = Reader(g.path)
    try:
        a.claim()
        a.expect('CLAIMED')
        session(a)
        g.keys(PIN[:5])
        digits_events(a, 5)
        g.kbd.destroy()
        a.expect('PIN_ABORTED')
        expect_errno(errno.ENODEV, a.get_pin)
        expect_errno(errno.ENODEV, a.read_events, timeout=1)
        os.close(g.evdev)
        # attach/detach of an unlisted input device
        kbd = UInput(0x1d6b, 0x0104, name='Other pad')
        assert kbd.payterm_nodes() == []
        param('attach', kbd.name)
        r = Reader(kbd.payterm_node())
        r.claim()
        r.expect('CLAIMED')
        session(r)
        param('detach', kbd.name)       # like an unplug for the session
        r.expect('PIN_ABORTED')
        expect_errno(errno.ENODEV, r.read_events, timeout=1)
        r.close()
        kbd.destroy()
    finally:
        a.close()


@T.case
def test_udev_rules():
    """The rules parse, set PAYTERM_ROLE from the site marks, run
    payterm-claim and lock down the event node (udevadm test does not
    execute RUN; payterm-claim itself is tested above)."""
    os.makedirs('/run/udev/rules.d', exist_ok=True)
    with open('/run/udev/rules.d/59-payterm-test.rules', 'w') as f:
        f.write('SUBSYSTEM=="input", ATTRS{id/vendor}=="%04x", '
                'ATTRS{id/product}=="%04x", ENV{PAYTERM_ROLE}="keypad-grab"\n'
                % (GRAB_VID, GRAB_PID))
        f.write('SUBSYSTEM=="hid", ENV{HID_ID}=="0003:0000%04X:0000%04X", '
                'ENV{PAYTERM_ROLE}="keypad"\n' % (NEW_VID, NEW_PID))
    subprocess.run(['cp', os.path.join(REPO, 'udev/60-payterm.rules'),
                    '/run/udev/rules.d/'], check=True)
    g = GrabKeypad()
    k = HidKeypad(NEW_VID, NEW_PID)
    try:
        def utest(path):
            p = subprocess.run(['udevadm', 'test', '--action=add', path],
                               capture_output=True, text=True)
            return p.stdout + p.stderr
        out = utest(g.kbd.sysfs)
        assert 'PAYTERM_ROLE=keypad-grab' in out, out
        assert 'payterm-claim input payterm_keypad %s' % g.kbd.name in out, out
        assert 'LIBINPUT_IGNORE_DEVICE=1' in out, out
        assert 'Invalid' not in out and 'invalid' not in out, out
        ev = '/sys/class/input/' + os.path.basename(g.kbd.event_node())
        out = utest(ev)
        assert 'MODE 0600' in out or "MODE 0600" in out.replace("'", ''), out
        out = utest(k.hid.sysfs)
        assert 'payterm-claim hid payterm_keypad %s' % k.hid.hidname in out, out
    finally:
        g.close()
        k.close()
        os.unlink('/run/udev/rules.d/59-payterm-test.rules')
        os.unlink('/run/udev/rules.d/60-payterm.rules')


@T.case
def test_nothing_sensitive_in_dmesg():
    dmesg_clean([PIN, PIN[:6]])


sys.exit(T.run(sys.argv))
