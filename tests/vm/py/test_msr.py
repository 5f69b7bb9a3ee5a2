#!/usr/bin/python3
"""VM tests of payterm_msr_hid.ko: uhid readers with the MagTek, MagneSafe
(SRED) and HID POS report descriptors.  Run inside the guest after
tests/vm/load-modules payterm_msr_hid."""
import errno
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payterm_uapi import *  # noqa: E402,F403
from payterm_devs import *  # noqa: E402,F403

T = TestRunner()
MAGTEK, SWIPE_PID, MAGNESAFE_PID = 0x0801, 0x0002, 0x0011
TEST_KSN = bytes.fromhex('FFFF9876543210E00008')
ENC_T1 = bytes(range(0x80, 0x80 + 64))   # stands for reader ciphertext
ENC_T2 = bytes(range(0x10, 0x10 + 40))
MASKED_T2 = b';4111110000001111=2812?'

modprobe('uhid', 'hid-generic', 'evdev')


class MagTek:
    def __init__(self, pid=SWIPE_PID, rdesc=MAGTEK_RDESC):
        self.hid = UHid(rdesc, MAGTEK, pid, name='MagTek USB Swipe Reader')
        assert self.hid.driver() == 'payterm_msr_hid', self.hid.driver()
        self.path = self.hid.payterm_node()

    def close(self):
        self.hid.destroy()


def claimed(dev):
    r = Reader(dev.path)
    r.claim()
    r.expect('CLAIMED')
    return r


@T.case
def test_binds_without_hidraw_or_input():
    m = MagTek()
    try:
        assert m.hid.children('hidraw') == [], m.hid.children('hidraw')
        assert m.hid.children('input') == [], m.hid.children('input')
        r = Reader(m.path)
        info = r.info()
        assert info['caps'] == CAP_MSR and info['bus'] == BUS_USB, info
        assert (info['vendor'], info['product']) == (MAGTEK, SWIPE_PID), info
        assert info['name'] == 'MagTek USB Swipe Reader', info
        r.close()
        # Control: the same descriptor on an unknown id goes to hid-generic,
        # which does create a hidraw node (so the check above means it).
        other = UHid(MAGTEK_RDESC, 0x1d6b, 0x0104)
        try:
            assert other.driver() == 'hid-generic', other.driver()
            assert wait_until(lambda: other.children('hidraw'))
            assert not other.children('payterm')
        finally:
            other.destroy()
    finally:
        m.close()


@T.case
def test_valid_swipes():
    m = MagTek()
    r = claimed(m)
    try:
        cases = [((TEST_T1, TEST_T2, None), 0b011),
                 ((None, TEST_T2, None), 0b010),
                 ((TEST_T1, TEST_T2, TEST_T3), 0b111)]
        for tracks, mask in cases:
            m.hid.input(magtek_report(tracks))
            ev = r.expect('SWIPE')[0]
            assert ev.value == mask and ev.flags == EVF_DATA_READY, ev
            flags, ksn, got = r.get_swipe()
            assert flags == 0 and ksn == b'', (flags, ksn)
            for t, (status, data) in zip(tracks, got):
                if t is None:
                    assert (status, data) == (TRACK_ABSENT, b''), (status, data)
                else:
                    assert (status, data) == (TRACK_OK, t.encode()), (status, data)
            expect_errno(errno.ENODATA, r.get_swipe)    # fetched once
    finally:
        r.close()
        m.close()


@T.case
def test_track_errors_and_checks():
    m = MagTek()
    r = claimed(m)
    try:
        # Reader-reported decode error on track 1, track 2 fine.
        m.hid.input(magtek_report((None, TEST_T2, None), status=(1, 0, 0)))
        assert r.expect('SWIPE')[0].value == 0b010
        _, _, got = r.get_swipe()
        assert got[0] == (TRACK_ERROR, b'') and got[1] == (TRACK_OK, TEST_T2.encode())
        assert got[2] == (TRACK_ABSENT, b'')
        # Bad sentinels / characters are track errors.
        bad = [TEST_T1[1:], TEST_T2[:-1], ';41111111x1111111=2812?']
        for b in bad:
            m.hid.input(magtek_report((TEST_T1, b, None)))
            assert r.expect('SWIPE')[0].value == 0b001, b
            _, _, got = r.get_swipe()
            assert got[1] == (TRACK_ERROR, b''), got[1]
        # All tracks in error: no readable track -> error event.
        m.hid.input(magtek_report((None, None, None), status=(1, 1, 1)))
        r.expect('SWIPE_ERROR')
        expect_errno(errno.ENODATA, r.get_swipe)
    finally:
        r.close()
        m.close()


@T.case
def test_blank_card():
    m = MagTek()
    r = claimed(m)
    try:
        m.hid.input(magtek_report((None, None, None), encode=3))
        r.expect('SWIPE_ERROR')
        # Encode type "blank" wins even if a length is set.
        m.hid.input(magtek_report((None, TEST_T2, None), encode=3))
        r.expect('SWIPE_ERROR')
        m.hid.input(magtek_report((None, None, None), encode=5))
        r.expect('SWIPE_ERROR')
        expect_errno(errno.ENODATA, r.get_swipe)
    finally:
        r.close()
        m.close()


@T.case
def test_short_oversized_garbage_reports():
    m = MagTek()
    r = claimed(m)
    try:
        good = magtek_report((TEST_T1, TEST_T2, None))
        for raw in (good[:100], good[:336], good + b'\0' * 63, good + b'\0',
                    b'\0' * 4096):
            m.hid.input(raw)
            r.expect('SWIPE_ERROR')
        # Length byte beyond the 110-byte field: malformed, never over-read.
        bad = bytearray(good)
        bad[4] = 200
        m.hid.input(bytes(bad))
        r.expect('SWIPE_ERROR')
        rng = random.Random(4)
        n = 200
        for _ in range(n):
            m.hid.input(bytes(rng.getrandbits(8) for _ in range(
                rng.choice((MAGTEK_REPORT_LEN, rng.randrange(1, 600))))))
        evs = r.read_events(timeout=10, want=n)
        assert len(evs) == n, len(evs)
        assert all(e.name in ('SWIPE', 'SWIPE_ERROR') for e in evs), evs
        r.drain()
        try:
            r.get_swipe()
        except OSError:
            pass
        # Still works afterwards.
        m.hid.input(good)
        assert r.expect('SWIPE')[0].value == 0b011
        assert r.get_swipe()[2][0] == (TRACK_OK, TEST_T1.encode())
    finally:
        r.close()
        m.close()


@T.case
def test_unclaimed_swipe_has_no_data():
    m = MagTek()
    r = Reader(m.path)
    try:
        m.hid.input(magtek_report((TEST_T1, TEST_T2, None)))
        ev = r.expect('SWIPE')[0]
        assert ev.flags == 0 and ev.value == 0b011, ev
        r.claim()
        expect_errno(errno.ENODATA, r.get_swipe)
    finally:
        r.close()
        m.close()


@T.case
def test_sred_encrypted_passthrough():
    m = MagTek(MAGNESAFE_PID, MAGNESAFE_RDESC)
    r = claimed(m)
    try:
        m.hid.input(magnesafe_report((ENC_T1, ENC_T2, None), 0x0006, TEST_KSN,
                                     masked=(b'', MASKED_T2, b'')))
        ev = r.expect('SWIPE')[0]
        assert ev.value == 0b011, ev
        assert ev.flags == EVF_DATA_READY | EVF_READER_ENCRYPTED, ev
        flags, ksn, got = r.get_swipe()
        assert flags == 1 and ksn == TEST_KSN, (flags, ksn)
        assert got == [(TRACK_OK, ENC_T1), (TRACK_OK, ENC_T2),
                       (TRACK_ABSENT, b'')], got
        # Ciphertext must come in whole blocks.
        m.hid.input(magnesafe_report((ENC_T1[:61], ENC_T2, None), 0x0006,
                                     TEST_KSN))
        assert r.expect('SWIPE')[0].value == 0b010
        assert r.get_swipe()[2][0] == (TRACK_ERROR, b'')
        # Encryption on but no key serial number: malformed.
        m.hid.input(magnesafe_report((ENC_T1, ENC_T2, None), 0x0006, b''))
        r.expect('SWIPE_ERROR')
        # Keys exhausted: the reader reads no cards.
        m.hid.input(magnesafe_report((ENC_T1, None, None), 0x0007, TEST_KSN))
        r.expect('SWIPE_ERROR')
        # Security level 2 (encryption off): clear tracks, checked as such.
        m.hid.input(magnesafe_report((TEST_T1, TEST_T2, TEST_T3), 0x0002,
                                     TEST_KSN))
        ev = r.expect('SWIPE')[0]
        assert ev.value == 0b111 and ev.flags == EVF_DATA_READY, ev
        flags, ksn, got = r.get_swipe()
        assert flags == 0 and ksn == b'', (flags, ksn)
        assert [g[1] for g in got] == [TEST_T1.encode(), TEST_T2.encode(),
                                       TEST_T3.encode()]
        m.hid.input(magnesafe_report((ENC_T1, None, None), 0x0002, TEST_KSN))
        r.expect('SWIPE_ERROR')     # binary data is no clear track
        assert m.hid.children('hidraw') == [] and m.hid.children('input') == []
    finally:
        r.close()
        m.close()


@T.case
def test_pos_page_reader_via_new_id():
    with open('/sys/bus/hid/drivers/payterm_msr_hid/new_id', 'w') as f:
        f.write('3 1234 5678')
    h = UHid(POS_RDESC, 0x1234, 0x5678, name='POS MSR')
    r = None
    try:
        assert h.driver() == 'payterm_msr_hid', h.driver()
        assert h.children('hidraw') == [] and h.children('input') == []
        r = Reader(h.payterm_node())
        r.claim()
        r.drain()
        h.input(pos_report((TEST_T1, TEST_T2, TEST_T3)))
        assert r.expect('SWIPE')[0].value == 0b111
        assert [g[1] for g in r.get_swipe()[2]] == [
            TEST_T1.encode(), TEST_T2.encode(), TEST_T3.encode()]
        h.input(pos_report((None, TEST_T2, None)))
        assert r.expect('SWIPE')[0].value == 0b010
        r.get_swipe()
        h.input(pos_report((None, None, None))[:50])        # short
        r.expect('SWIPE_ERROR')
        h.input(bytes([1, 0, 41, 0]) + bytes(226))          # 41 > 40
        r.expect('SWIPE_ERROR')
    finally:
        if r:
            r.close()
        h.destroy()


@T.case
def test_unplug_with_unfetched_swipe():
    m = MagTek()
    a = claimed(m)
    b = Reader(m.path)
    try:
        m.hid.input(magtek_report((TEST_T1, TEST_T2, None)))
        a.expect('SWIPE')
        b.expect('SWIPE')
        m.close()
        for r in (a, b):
            expect_errno(errno.ENODEV, r.read_events, timeout=2)
        expect_errno(errno.ENODEV, a.get_swipe)
        assert wait_until(lambda: not os.path.exists(m.path))
        # Reports racing the unplug do no harm.
        m2 = MagTek()
        for _ in range(20):
            m2.hid.input(magtek_report((TEST_T1, TEST_T2, None)))
        m2.close()
    finally:
        a.close()
        b.close()


@T.case
def test_module_reload_with_device_present():
    ko = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      '../../../kmod/payterm_msr_hid.ko')
    m = MagTek()
    r = Reader(m.path)
    try:
        # An open reader file does not pin the transport module.
        assert os.system('rmmod payterm_msr_hid') == 0
        expect_errno(errno.ENODEV, r.read_events, timeout=2)
        assert wait_until(lambda: m.hid.driver() == 'hid-generic'), \
            m.hid.driver()
        assert os.system('insmod ' + ko) == 0
        # Registering the driver takes the reader back from hid-generic.
        assert wait_until(lambda: m.hid.driver() == 'payterm_msr_hid'), \
            m.hid.driver()
        assert wait_until(lambda: not m.hid.children('hidraw'))
        assert m.hid.children('input') == []
        m.path = m.hid.payterm_node()
    finally:
        r.close()
        m.close()


@T.case
def test_nothing_sensitive_in_dmesg():
    dmesg_clean([TEST_PAN, '4111111111', 'TEST/CARD', '=2812101',
                 TEST_KSN.hex().upper()[:12]])


sys.exit(T.run(sys.argv))
