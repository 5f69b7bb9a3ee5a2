#!/usr/bin/python3
"""VM tests of payterm.ko + payterm_virt.ko (run inside the guest, as root,
after tests/vm/load-modules).  Each case asserts outcomes; see
docs/testing.md."""
import ctypes
import errno
import fcntl
import os
import random
import select
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payterm_uapi import *  # noqa: E402,F403
from payterm_uapi import _IO, _IOR, _IOW  # noqa: E402
import kmem  # noqa: E402

T = TestRunner()
PARAM = '/sys/module/%s/parameters/%s'


def set_param(mod, name, value):
    path = PARAM % (mod, name)
    old = open(path).read().strip()
    with open(path, 'w') as f:
        f.write(str(value))
    return old


def sysattr(minor, name):
    return open('/sys/class/payterm/payterm%d/%s' % (minor, name)).read().strip()


@T.case
def test_sysfs_and_info():
    v = Virt(CAP_MSR | CAP_PINPAD, name='Virtual MSR', vendor=0x0801,
             product=0x0002)
    try:
        assert sysattr(v.minor, 'name') == 'Virtual MSR'
        assert sysattr(v.minor, 'capabilities') == 'msr pinpad'
        assert sysattr(v.minor, 'bus') == 'virtual'
        assert sysattr(v.minor, 'vendor') == '0801'
        assert sysattr(v.minor, 'product') == '0002'
        assert sysattr(v.minor, 'slots') == '0'
        r = Reader(v.path)
        info = r.info()
        # neither node seeks (no .llseek: -ESPIPE on every kernel)
        expect_errno(errno.ESPIPE, os.lseek, r.fd, 0, os.SEEK_SET)
        expect_errno(errno.ESPIPE, os.lseek, v.fd, 0, os.SEEK_CUR)
        assert info == {'api': 1, 'caps': CAP_MSR | CAP_PINPAD, 'bus': 6,
                        'vendor': 0x0801, 'product': 0x0002, 'slots': 0,
                        'name': 'Virtual MSR'}, info
        r.close()
        w = Virt(CAP_ICC | CAP_PICC, name='Dual', slots=2)
        assert sysattr(w.minor, 'capabilities') == 'icc picc'
        assert sysattr(w.minor, 'slots') == '2'
        assert w.minor != v.minor
        w.close()
    finally:
        v.close()


@T.case
def test_claim_semantics():
    v = Virt(CAP_MSR)
    a, b = Reader(v.path), Reader(v.path)
    try:
        a.claim()
        a.claim()                       # idempotent for the claimant
        expect_errno(errno.EBUSY, b.claim)
        expect_errno(errno.EINVAL, b.release)
        expect_errno(errno.EACCES, b.get_swipe)
        a.expect('CLAIMED')
        b.expect('CLAIMED')
        a.release()
        a.expect('RELEASED')
        b.claim()
        expect_errno(errno.EBUSY, a.claim)
        b.close()                       # closing the claimant ends the claim
        a.expect('CLAIMED', 'RELEASED')
        a.claim()
    finally:
        a.close()
        b.close()
        v.close()


@T.case
def test_every_reader_gets_every_event():
    v = Virt(CAP_MSR | CAP_ICC)
    rs = [Reader(v.path) for _ in range(3)]
    try:
        v.swipe(t2=TEST_T2)
        v.card(CARD_INSERT)
        v.card(CARD_REMOVE)
        seqs = None
        for r in rs:
            evs = r.expect('SWIPE', 'CARD_INSERTED', 'CARD_REMOVED')
            assert evs[0].value == 0b010 and not evs[0].flags & EVF_DATA_READY
            s = [e.seq for e in evs]
            assert s == list(range(s[0], s[0] + 3)), s
            assert seqs in (None, s)
            seqs = s
    finally:
        for r in rs:
            r.close()
        v.close()


@T.case
def test_swipe_fetch_once_and_statuses():
    v = Virt(CAP_MSR)
    a, b = Reader(v.path), Reader(v.path)
    try:
        a.claim()
        a.drain()
        b.drain()
        v.swipe(t1=TEST_T1, t2=TEST_T2)
        ev = a.expect('SWIPE')[0]
        assert ev.value == 0b011 and ev.flags & EVF_DATA_READY, ev
        assert b.expect('SWIPE')[0].value == 0b011
        expect_errno(errno.EACCES, b.get_swipe)
        flags, ksn, tracks = a.get_swipe()
        assert flags == 0 and ksn == b''
        assert tracks == [(TRACK_OK, TEST_T1.encode()),
                          (TRACK_OK, TEST_T2.encode()), (TRACK_ABSENT, b'')]
        expect_errno(errno.ENODATA, a.get_swipe)      # fetched once

        v.swipe(t1=TEST_T1, t2=TEST_T2, t3=TEST_T3)
        assert a.expect('SWIPE')[0].value == 0b111
        assert [t[0] for t in a.get_swipe()[2]] == [TRACK_OK] * 3

        v.swipe(t2=TEST_T2, errors=(1,))
        assert a.expect('SWIPE')[0].value == 0b010
        tracks = a.get_swipe()[2]
        assert tracks[0] == (TRACK_ERROR, b'') and tracks[1][0] == TRACK_OK

        v.swipe()                                       # blank card
        a.expect('SWIPE_ERROR')
        v.swipe(errors=(1, 2, 3))                       # unreadable
        a.expect('SWIPE_ERROR')
        expect_errno(errno.ENODATA, a.get_swipe)

        v.swipe(t2=b'\x01' * 40, flags=1, ksn=bytes(range(10)))  # SRED
        ev = a.expect('SWIPE')[0]
        assert ev.flags & EVF_READER_ENCRYPTED
        flags, ksn, tracks = a.get_swipe()
        assert flags == 1 and ksn == bytes(range(10))
        assert tracks[1] == (TRACK_OK, b'\x01' * 40)

        # Without a claim nothing is kept.
        a.release()
        v.swipe(t2=TEST_T2)
        ev = [e for e in a.drain() if e.name == 'SWIPE'][0]
        assert not ev.flags & EVF_DATA_READY
        a.claim()
        expect_errno(errno.ENODATA, a.get_swipe)
    finally:
        a.close()
        b.close()
        v.close()


@T.case
def test_swipe_wiped_on_release_close_and_timeout():
    v = Virt(CAP_MSR)
    a = Reader(v.path)
    old = set_param('payterm', 'payload_timeout_ms', 300)
    try:
        a.claim()
        v.swipe(t2=TEST_T2)
        a.release()
        a.claim()
        expect_errno(errno.ENODATA, a.get_swipe)
        a.close()

        a = Reader(v.path)
        a.claim()
        v.swipe(t2=TEST_T2)
        a.close()                       # close wipes
        a = Reader(v.path)
        a.claim()
        expect_errno(errno.ENODATA, a.get_swipe)

        a.drain()
        v.swipe(t2=TEST_T2)
        a.expect('SWIPE', 'PAYLOAD_EXPIRED', timeout=3)
        expect_errno(errno.ENODATA, a.get_swipe)
    finally:
        set_param('payterm', 'payload_timeout_ms', old)
        a.close()
        v.close()


@T.case
def test_swipe_and_pin_expire_separately():
    v = Virt(CAP_MSR | CAP_PINPAD)
    a = Reader(v.path)
    old = set_param('payterm', 'payload_timeout_ms', 1500)
    try:
        a.claim()
        t0 = time.monotonic()
        v.swipe(t2=TEST_T2)
        time.sleep(0.75)
        a.pin_start()
        v.keys('2468E')
        # A later PIN does not extend the swipe's life, nor the reverse.
        time.sleep(max(0, 1.9 - (time.monotonic() - t0)))
        expect_errno(errno.ENODATA, a.get_swipe)
        assert a.get_pin() == '2468'
        names = [e.name for e in a.drain()]
        assert names.count('PAYLOAD_EXPIRED') == 1, names
    finally:
        set_param('payterm', 'payload_timeout_ms', old)
        a.close()
        v.close()


@T.case
def test_open_files_per_reader_bounded():
    v = Virt(CAP_MSR)
    rs = []
    try:
        for _ in range(64):
            rs.append(Reader(v.path))
        expect_errno(errno.EMFILE, Reader, v.path)
        rs.pop().close()
        rs.append(Reader(v.path))        # a slot is free again
    finally:
        for r in rs:
            r.close()
        v.close()


@T.case
def test_bad_buffer_loses_nothing():
    v = Virt(CAP_MSR | CAP_PINPAD)
    a = Reader(v.path)
    try:
        a.claim()
        v.swipe(t2=TEST_T2)
        time.sleep(0.1)
        expect_errno(errno.EFAULT, fcntl.ioctl, a.fd, IOC_GET_SWIPE, 16)
        assert a.get_swipe()[2][1] == (TRACK_OK, TEST_T2.encode())
        a.pin_start()
        v.keys('4321E')
        a.read_events(timeout=1)
        expect_errno(errno.EFAULT, fcntl.ioctl, a.fd, IOC_GET_PIN, 16)
        assert a.get_pin() == '4321'
    finally:
        a.close()
        v.close()


def pin_events(r, n, timeout=3):
    evs = r.read_events(timeout=timeout, want=n)
    return [(e.name, e.value) for e in evs]


@T.case
def test_pin_session_keys():
    v = Virt(CAP_PINPAD)
    a, b = Reader(v.path), Reader(v.path)
    try:
        a.claim()
        a.drain()
        b.drain()
        v.keys('12E')                   # outside a session: ignored
        assert a.drain() == []
        expect_errno(errno.EACCES, b.pin_start)
        a.pin_start(4, 6, 20000)
        expect_errno(errno.EBUSY, a.pin_start)
        v.keys('12C2345')
        expect_errno(errno.EINPROGRESS, a.get_pin)
        v.keys('67E')
        got = pin_events(a, 12)
        assert got == [('PIN_STARTED', 0), ('PIN_DIGITS', 1), ('PIN_DIGITS', 2),
                       ('PIN_DIGITS', 1), ('PIN_DIGITS', 2), ('PIN_DIGITS', 3),
                       ('PIN_DIGITS', 4), ('PIN_DIGITS', 5), ('PIN_DIGITS', 6),
                       ('PIN_REJECTED', 2), ('PIN_ENTERED', 6)], got
        # Other openers see the session start and end, not the keystrokes.
        assert pin_events(b, 2) == [('PIN_STARTED', 0), ('PIN_ENTERED', 6)]
        assert b.drain() == []
        expect_errno(errno.EACCES, b.get_pin)
        assert a.get_pin() == '123456'
        expect_errno(errno.ENODATA, a.get_pin)

        a.pin_start(4, 12, 20000)
        v.keys('123XE9876E')
        got = pin_events(a, 11)
        assert got == [('PIN_STARTED', 0), ('PIN_DIGITS', 1), ('PIN_DIGITS', 2),
                       ('PIN_DIGITS', 3), ('PIN_DIGITS', 0), ('PIN_REJECTED', 1),
                       ('PIN_DIGITS', 1), ('PIN_DIGITS', 2), ('PIN_DIGITS', 3),
                       ('PIN_DIGITS', 4), ('PIN_ENTERED', 4)], got
        assert a.get_pin() == '9876'

        a.pin_start()
        v.keys('55Q')
        assert pin_events(a, 4)[-1] == ('PIN_CANCELLED', 0)
        expect_errno(errno.ENODATA, a.get_pin)

        a.pin_start()
        v.keys('123')
        a.pin_abort()
        assert pin_events(a, 5)[-1] == ('PIN_ABORTED', 0)
        expect_errno(errno.ENODATA, a.get_pin)
        expect_errno(errno.ENOENT, a.pin_abort)
        expect_errno(errno.EACCES, b.pin_abort)

        a.pin_start()
        v.keys('1234E')
        a.read_events(timeout=2, want=6)
        a.pin_abort()                    # discards an entered PIN too
        assert pin_events(a, 1) == [('PIN_ABORTED', 0)]
        expect_errno(errno.ENODATA, a.get_pin)

        a.pin_start(timeout_ms=300)
        v.keys('12')
        assert pin_events(a, 4, timeout=3)[-1] == ('PIN_TIMEOUT', 0)
        expect_errno(errno.ENODATA, a.get_pin)

        a.pin_start()
        v.keys('1234')
        a.release()                      # release aborts and wipes
        got = pin_events(a, 7)
        assert ('PIN_ABORTED', 0) in got and got[-1][0] == 'RELEASED', got
        a.claim()
        expect_errno(errno.ENODATA, a.get_pin)

        # The transport saw each session start and end.
        wait_until(lambda: len(v.notifications(V_PIN_SESSION)) >= 14)
        sessions = [VPIN.unpack(p)[0] for _, p in v.notifications(V_PIN_SESSION)]
        assert sessions == [1, 0] * 7, sessions
    finally:
        a.close()
        b.close()
        v.close()


@T.case
def test_pin_params_validation():
    v = Virt(CAP_PINPAD)
    a = Reader(v.path)
    m = Virt(CAP_MSR)
    c = Reader(m.path)
    try:
        a.claim()
        for args in [(3, 6, 1000), (4, 13, 1000), (7, 6, 1000), (4, 6, 0),
                     (4, 6, 300001)]:
            expect_errno(errno.EINVAL, a.pin_start, *args)
        expect_errno(errno.EINVAL, a.pin_start, 4, 6, 1000, reserved=(1, 0, 0))
        expect_errno(errno.EINVAL, a.pin_start, 4, 6, 1000, reserved=(0, 0, 9))
        c.claim()
        expect_errno(errno.EOPNOTSUPP, c.pin_start)
        a.pin_start(12, 12, 1000)        # boundaries accepted
        a.pin_abort()
    finally:
        a.close()
        c.close()
        v.close()
        m.close()


def echo_card(capdu):
    """Answers SELECT with an FCI-like payload; everything else 6D00."""
    if capdu[:2] == b'\x00\xa4':
        return 0, b'\x6f\x03\x84\x01\x01' + b'\x90\x00'
    if capdu[:2] == b'\x00\xb2':
        return 0, bytes(range(256)) * 4 + b'\x90\x00'   # 1024 + SW
    if capdu[:2] == b'\x00\xee':
        return -errno.EIO, b''
    if capdu[:2] == b'\x00\xff':
        return None                                    # mute
    if capdu[:2] == b'\x00\xcc':                         # extended APDU
        assert len(capdu) == 65544
        return 0, bytes([0x5a]) * 65536 + b'\x90\x00'
    if capdu[:2] == b'\x00\xdd':
        return None                                    # mute too
    return 0, b'\x6d\x00'


@T.case
def test_card_power_and_apdus():
    v = Virt(CAP_ICC, responder=echo_card)
    a, b = Reader(v.path), Reader(v.path)
    old = set_param('payterm_virt', 'apdu_timeout_ms', 500)
    try:
        select_ppse = bytes.fromhex('00A404000E325041592E5359532E444446303100')
        expect_errno(errno.EACCES, b.power_on)
        a.claim()
        expect_errno(errno.ENOMEDIUM, a.power_on)
        expect_errno(errno.EINVAL, a.power_on, 1)
        v.card(CARD_INSERT)
        expect_errno(errno.EPROTO, a.transmit, select_ppse)   # not powered
        assert a.power_on() == TEST_ATR
        assert a.transmit(select_ppse) == b'\x6f\x03\x84\x01\x01\x90\x00'
        expect_errno(errno.EACCES, b.transmit, select_ppse)
        assert len(a.transmit(b'\x00\xb2\x01\x0c\x00')) == 1026
        expect_errno(errno.EMSGSIZE, a.transmit, b'\x00\xb2\x01\x0c\x00',
                     rsize=100)
        expect_errno(errno.EIO, a.transmit, b'\x00\xee\x00\x00')
        big = b'\x00\xcc\x00\x00\x00\xff\xff' + b'\xa5' * 65535 + b'\x00\x00'
        r = a.transmit(big, rsize=65538)
        assert len(r) == 65538 and r[-2:] == b'\x90\x00' and r[0] == 0x5a
        # a mute card: ETIMEDOUT, from the 500 ms timer (not before it)
        t0 = time.monotonic()
        expect_errno(errno.ETIMEDOUT, a.transmit, b'\x00\xff\x00\x00')
        assert time.monotonic() - t0 >= 0.5
        expect_errno(errno.EINVAL, a.transmit, b'\x00\xa4\x04')
        expect_errno(errno.EINVAL, a.transmit, b'\x00' * (65544 + 1))
        # Card pulled mid-APDU (the card is mute): the removal, not the
        # 60 s timer, ends the wait — ENOMEDIUM, before the timer (a
        # driver waiting for its timeout would answer only after 60 s).
        set_param('payterm_virt', 'apdu_timeout_ms', 60000)
        threading.Timer(0.3, v.card, (CARD_REMOVE,)).start()
        t0 = time.monotonic()
        expect_errno(errno.ENOMEDIUM, a.transmit, b'\x00\xdd\x00\x00')
        assert time.monotonic() - t0 < 60
        expect_errno(errno.EPROTO, a.transmit, select_ppse)
        names = [e.name for e in a.drain()]
        assert names[-3:] == ['CARD_INSERTED', 'CARD_POWERED', 'CARD_REMOVED'] \
            or 'CARD_REMOVED' in names, names
        # Tap on a contact-only reader is refused.
        expect_errno(errno.EINVAL, v.card, CARD_TAP)
        v.card(CARD_INSERT)
        a.power_on()
        a.release()                      # release powers the card off
        wait_until(lambda: len(v.notifications(V_POWER)) >= 3)
        powers = [VPOWER.unpack(p)[1] for _, p in v.notifications(V_POWER)]
        assert powers == [1, 1, 0], powers
    finally:
        set_param('payterm_virt', 'apdu_timeout_ms', old)
        a.close()
        b.close()
        v.close()


@T.case
def test_contactless_tap():
    v = Virt(CAP_PICC | CAP_ICC, slots=2, responder=echo_card)
    a = Reader(v.path)
    try:
        a.claim()
        a.drain()
        atr = bytes.fromhex('3B8F8001804F0CA000000306030001000000006A')
        v.card(CARD_TAP, slot=1, atr=atr)
        ev = a.expect('CARD_TAPPED')[0]
        assert ev.slot == 1 and ev.flags & EVF_CONTACTLESS
        assert a.power_on(1) == atr
        assert a.transmit(b'\x00\xa4\x04\x00\x00', slot=1)[-2:] == b'\x90\x00'
        expect_errno(errno.EBUSY, v.card, CARD_TAP, 1, atr)
        v.card(CARD_REMOVE, slot=1)
        evs = a.read_events(want=2)
        assert evs[-1].name == 'CARD_REMOVED' and evs[-1].flags & EVF_CONTACTLESS
    finally:
        a.close()
        v.close()


@T.case
def test_bad_ioctls():
    v = Virt(CAP_ICC)
    a = Reader(v.path)
    try:
        a.claim()
        v.card(CARD_INSERT)
        for req in [_IO('P', 0x7f), _IOR('P', 0x01, INFO.size - 8),
                    _IOR('P', 0x01, INFO.size + 8), _IOR('Q', 0x01, INFO.size),
                    _IOW('P', 0x10, SWIPE_SIZE), 0]:
            expect_errno(errno.ENOTTY, fcntl.ioctl, a.fd, req, 0)
        expect_errno(errno.EFAULT, fcntl.ioctl, a.fd, IOC_GET_INFO, 8)
        expect_errno(errno.EFAULT, fcntl.ioctl, a.fd, IOC_POWER_ON, 8)
        expect_errno(errno.EINVAL, fcntl.ioctl, a.fd, IOC_POWER_ON,
                     POWER.pack(0, b'\1', 0, b'', 0, 0))
        expect_errno(errno.EINVAL, fcntl.ioctl, a.fd, IOC_POWER_ON,
                     POWER.pack(0, b'', 0, b'', 0, 1))
        expect_errno(errno.EINVAL, fcntl.ioctl, a.fd, IOC_POWER_OFF,
                     SLOT.pack(0, b'\0\0\1'))
        a.power_on()
        expect_errno(errno.EINVAL, fcntl.ioctl, a.fd, IOC_TRANSMIT,
                     APDU.pack(0, 0, 5, 100, 0, b'', 0, 7, 0))
        # Bad user pointers inside a valid struct.
        expect_errno(errno.EFAULT, fcntl.ioctl, a.fd, IOC_TRANSMIT,
                     APDU.pack(16, 0, 5, 100, 0, b'', 0, 0, 0))
        expect_errno(errno.EOPNOTSUPP, a.get_swipe)
        expect_errno(errno.EOPNOTSUPP, a.pin_start)
        assert a.info()['caps'] == CAP_ICC    # still healthy
    finally:
        a.close()
        v.close()


@T.case
def test_virt_bad_messages():
    v = Virt(CAP_MSR | CAP_ICC)
    try:
        expect_errno(errno.EINVAL, os.write, v.fd, b'\1\0\0')
        expect_errno(errno.EINVAL, os.write, v.fd, VHDR.pack(V_KEY, 9) + b'\0' * 8)
        expect_errno(errno.EINVAL, v.send, 99, b'')
        expect_errno(errno.EALREADY, v.send, V_CREATE,
                     VCREATE.pack(b'x', CAP_MSR, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        expect_errno(errno.EINVAL, v.send, V_SWIPE, b'\0' * 10)
        bad = bytearray(swipe_bytes([(3, b''), (0, b''), (0, b'')]))
        expect_errno(errno.EINVAL, v.send, V_SWIPE, bytes(bad))
        bad = swipe_bytes([(0, b'x'), (0, b''), (0, b'')])  # absent + data
        expect_errno(errno.EINVAL, v.send, V_SWIPE, bad)
        expect_errno(errno.EINVAL, v.send, V_KEY, VKEY.pack(5, 0))  # no pinpad
        expect_errno(errno.EINVAL, v.card, CARD_INSERT, 0, b'\x3b')  # ATR short
        expect_errno(errno.EINVAL, v.card, CARD_INSERT, 3)           # bad slot
        expect_errno(errno.ENOMEDIUM, v.card, CARD_REMOVE)
        expect_errno(errno.ENOENT, v.send, V_APDU_REPLY,
                     VAPDU.pack(12345, 0, 2, 0, b'') + b'\x90\x00')
        for status in (5, -512, -errno.EMSGSIZE, -4095):
            expect_errno(errno.EINVAL, v.send, V_APDU_REPLY,
                         VAPDU.pack(1, status, 0, 0, b''))
        v.swipe(t2=TEST_T2)             # still works after all that
    finally:
        v.close()
    fd = os.open('/dev/payterm-virt', os.O_RDWR)
    try:
        for caps, slots, name in [(0, 0, b'x'), (16, 0, b'x'), (CAP_ICC, 0, b'x'),
                                  (CAP_ICC, 9, b'x'), (CAP_MSR, 1, b'x'),
                                  (CAP_MSR, 0, b''), (CAP_MSR, 0, b'a' * 64)]:
            msg = VCREATE.pack(name, caps, 0, 0, 0, slots, 0, 0, 0, 0, 0)
            expect_errno(errno.EINVAL, os.write, fd,
                         VHDR.pack(V_CREATE, len(msg)) + msg)
        expect_errno(errno.ENODEV, os.write, fd, VHDR.pack(V_DESTROY, 0))
        msg = VCREATE.pack(b'ok', CAP_MSR, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        os.write(fd, VHDR.pack(V_CREATE, len(msg)) + msg)
        expect_errno(errno.EINVAL, os.read, fd, 4)          # too small
        assert len(os.read(fd, 64)) == VHDR.size + VCREATED.size
    finally:
        os.close(fd)


@T.case
def test_unplug_wakes_blocked_readers():
    v = Virt(CAP_MSR | CAP_PINPAD)
    a, b, c = Reader(v.path), Reader(v.path), Reader(v.path)
    results = {}

    def blocked_read():
        results['events'] = []
        try:
            while True:
                results['events'].append(Event(os.read(b.fd, EVENT.size)).name)
        except OSError as e:
            results['read'] = e.errno

    def blocked_poll():
        p = select.poll()
        p.register(c.fd, select.POLLIN)
        results['poll'] = p.poll(10000)

    try:
        a.claim()
        a.pin_start()
        v.keys('12')
        b.drain()
        c.drain()
        threads = [threading.Thread(target=blocked_read),
                   threading.Thread(target=blocked_poll)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        v.close()                        # unplug
        for t in threads:
            t.join(5)
            assert not t.is_alive()
        assert results['read'] == errno.ENODEV, results
        assert results['events'] == ['PIN_ABORTED'], results
        assert results['poll'] and results['poll'][0][1] & select.POLLHUP, results
        # The claimant still reads what was queued, then ENODEV.
        names = [e.name for e in a.read_events(timeout=1)]
        assert names[-1] == 'PIN_ABORTED', names
        expect_errno(errno.ENODEV, os.read, a.fd, EVENT.size)
        expect_errno(errno.ENODEV, a.info)
        expect_errno(errno.ENODEV, a.get_pin)
        time.sleep(0.2)
        assert not os.path.exists(v.path)
    finally:
        for r in (a, b, c):
            r.close()


@T.case
def test_burst_overflow_two_readers():
    v = Virt(CAP_ICC)
    slow, fast = Reader(v.path, nonblock=True), Reader(v.path, nonblock=True)
    total = 10000
    got_fast = []
    done = threading.Event()

    def fast_reader():
        while not done.is_set() or True:
            evs = fast.read_events(timeout=0.5)
            got_fast.extend(evs)
            if not evs and done.is_set():
                return

    try:
        t = threading.Thread(target=fast_reader)
        t.start()
        for i in range(total // 2):
            v.card(CARD_INSERT)
            v.card(CARD_REMOVE)
        done.set()
        t.join(30)
        got_slow = slow.read_events(timeout=0.5)
        for name, evs in (('slow', got_slow), ('fast', got_fast)):
            seqs = [e.seq for e in evs]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), name
            real = [e for e in evs if e.name != 'OVERFLOW']
            dropped = sum(e.value for e in evs if e.name == 'OVERFLOW')
            assert len(real) + dropped == total, (name, len(real), dropped)
            for i, e in enumerate(evs[:-1]):
                if e.name == 'OVERFLOW':
                    assert evs[i + 1].seq == e.seq + e.value, name
        assert len(got_slow) == 256 and got_slow[-1].name == 'OVERFLOW'
        assert got_slow[-1].value == total - 255
        # After draining, events queue normally again.
        v.card(CARD_INSERT)
        assert slow.read_events(timeout=1)[0].name == 'CARD_INSERTED'
    finally:
        slow.close()
        fast.close()
        v.close()


@T.case
def test_no_card_data_in_dmesg():
    out = os.popen('dmesg').read()
    for secret in (TEST_PAN, '4111111111', 'TEST/CARD'):
        assert secret not in out, secret


def kernel_hits(canaries):
    """Which of CANARIES (name -> bytes) kernel-owned memory holds."""
    hits, searched = kmem.scan_kernel(list(canaries.values()))
    assert searched > 4 << 20, 'kernel scan read only %d bytes' % searched
    return sorted(n for n, v in canaries.items() if v in hits)


@T.case
def test_kernel_memory_wiped():
    """The track and the PIN the kernel held are gone from kernel memory
    (slab, stacks, page allocations: kmem.py) once fetched, released or
    cancelled.  Fresh random values per run, so nothing else holds them;
    each scan's positive control finds them while the kernel holds them."""
    rnd = random.SystemRandom()

    def digits(n):
        return ''.join(rnd.choice('0123456789') for _ in range(n))
    disc1, disc2, pin, pin2 = digits(16), digits(13), digits(12), digits(10)
    t1 = '%B4111111111111111^TEST/CARD^2812101' + disc1 + '?'
    t2 = ';4111111111111111=2812101' + disc2 + '?'
    canaries = {'track 1': disc1.encode(), 'track 2': disc2.encode(),
                'PIN': pin.encode(), 'PIN (cancelled)': pin2.encode()}
    v = Virt(CAP_MSR | CAP_PINPAD)
    r = Reader(v.path)
    try:
        r.claim()
        r.drain()
        v.swipe(t1=t1, t2=t2)
        ev = r.expect('SWIPE')[0]
        assert ev.flags & EVF_DATA_READY, ev
        held = kernel_hits(canaries)
        assert held == ['track 1', 'track 2'], held     # the control
        tracks = r.get_swipe()[2]
        assert tracks[0][1] == t1.encode() and tracks[1][1] == t2.encode()
        left = kernel_hits(canaries)
        assert left == [], 'swipe left in the kernel: %s' % left

        r.pin_start(4, 12, 20000)
        v.keys(pin + 'E')
        assert pin_events(r, 14)[-1] == ('PIN_ENTERED', 12)
        held = kernel_hits(canaries)
        assert held == ['PIN'], held                        # the control
        assert r.get_pin() == pin
        left = kernel_hits(canaries)
        assert left == [], 'PIN left in the kernel: %s' % left

        # a swipe never fetched, then released; a PIN typed, then cancelled
        v.swipe(t1=t1, t2=t2)
        r.expect('SWIPE')
        r.release()
        r.claim()
        r.pin_start(4, 12, 20000)
        v.keys(pin2)
        assert pin_events(r, 11)[-1] == ('PIN_DIGITS', 10)
        held = kernel_hits(canaries)
        assert held == ['PIN (cancelled)'], held            # the control
        v.keys('Q')
        assert pin_events(r, 1)[-1] == ('PIN_CANCELLED', 0)
        left = kernel_hits(canaries)
        assert left == [], 'left in the kernel: %s' % left
    finally:
        r.close()
        v.close()

sys.exit(T.run(sys.argv))
