"""payterm UAPI for the VM tests: struct layouts and ioctl numbers of
include/uapi/linux/payterm.h, written out independently so that the tests
also check the ABI (tests/unit/uapi compares these sizes with the C header).
"""
import ctypes
import errno
import fcntl
import os
import select
import struct
import threading
import time

import cases

# --- ioctl encoding (asm-generic/ioctl.h) ---
_IOC_WRITE, _IOC_READ = 1, 2


def _IOC(d, t, nr, size):
    return (d << 30) | (size << 16) | (ord(t) << 8) | nr


def _IO(t, nr):
    return _IOC(0, t, nr, 0)


def _IOR(t, nr, size):
    return _IOC(_IOC_READ, t, nr, size)


def _IOW(t, nr, size):
    return _IOC(_IOC_WRITE, t, nr, size)


def _IOWR(t, nr, size):
    return _IOC(_IOC_READ | _IOC_WRITE, t, nr, size)


CAP_MSR, CAP_ICC, CAP_PICC, CAP_PINPAD = 1, 2, 4, 8

EVENT = struct.Struct('<QIHBBiI')
INFO = struct.Struct('<IIHHHBB64s4I')
TRACK = struct.Struct('<BBH256s')
SWIPE_HEAD = struct.Struct('<IB3s16s')
SWIPE_SIZE = SWIPE_HEAD.size + 3 * TRACK.size + 16
PIN_PARAMS = struct.Struct('<BBHI2I')
PIN = struct.Struct('<B7s16s')
POWER = struct.Struct('<B3sI36s2I')
SLOT = struct.Struct('<B7s')
APDU = struct.Struct('<QQIIB3s3I')

VHDR = struct.Struct('<II')
VCREATE = struct.Struct('<64sIHHHBB4I')
VCREATED = struct.Struct('<II')
VCARD = struct.Struct('<BBBB36sI')
VAPDU = struct.Struct('<IiIB3s')
VKEY = struct.Struct('<II')
VPOWER = struct.Struct('<BB6s')
VPIN = struct.Struct('<B7s')

SIZES = {
    'payterm_event': EVENT.size, 'payterm_info': INFO.size,
    'payterm_track': TRACK.size, 'payterm_swipe': SWIPE_SIZE,
    'payterm_pin_params': PIN_PARAMS.size, 'payterm_pin': PIN.size,
    'payterm_power': POWER.size, 'payterm_slot': SLOT.size,
    'payterm_apdu': APDU.size, 'payterm_virt_hdr': VHDR.size,
    'payterm_virt_create': VCREATE.size,
    'payterm_virt_created': VCREATED.size, 'payterm_virt_card': VCARD.size,
    'payterm_virt_apdu': VAPDU.size, 'payterm_virt_key': VKEY.size,
    'payterm_virt_power': VPOWER.size,
    'payterm_virt_pin_session': VPIN.size,
}

IOC_GET_INFO = _IOR('P', 0x01, INFO.size)
IOC_CLAIM = _IO('P', 0x02)
IOC_RELEASE = _IO('P', 0x03)
IOC_GET_SWIPE = _IOR('P', 0x10, SWIPE_SIZE)
IOC_PIN_START = _IOW('P', 0x20, PIN_PARAMS.size)
IOC_PIN_ABORT = _IO('P', 0x21)
IOC_GET_PIN = _IOR('P', 0x22, PIN.size)
IOC_POWER_ON = _IOWR('P', 0x30, POWER.size)
IOC_POWER_OFF = _IOW('P', 0x31, SLOT.size)
IOC_TRANSMIT = _IOWR('P', 0x32, APDU.size)

EV_NAMES = ['', 'OVERFLOW', 'CLAIMED', 'RELEASED', 'SWIPE', 'SWIPE_ERROR',
            'CARD_INSERTED', 'CARD_REMOVED', 'CARD_TAPPED', 'CARD_POWERED',
            'PIN_STARTED', 'PIN_DIGITS', 'PIN_ENTERED', 'PIN_CANCELLED',
            'PIN_TIMEOUT', 'PIN_ABORTED', 'PIN_REJECTED', 'PAYLOAD_EXPIRED']
EV = {n: i for i, n in enumerate(EV_NAMES) if n}
EVF_CONTACTLESS, EVF_DATA_READY, EVF_READER_ENCRYPTED = 1, 2, 4
TRACK_ABSENT, TRACK_OK, TRACK_ERROR = 0, 1, 2

KEY_CORR, KEY_CLEAR, KEY_CANCEL, KEY_ENTER = 16, 17, 18, 19

V_CREATE, V_DESTROY, V_SWIPE, V_CARD, V_APDU_REPLY, V_KEY = 1, 2, 3, 4, 5, 6
V_CREATED, V_APDU, V_POWER, V_PIN_SESSION = 64, 65, 66, 67
CARD_INSERT, CARD_REMOVE, CARD_TAP = 1, 2, 3

# Test card only (Visa test number).
TEST_PAN = '4111111111111111'
TEST_T1 = '%B4111111111111111^TEST/CARD^2812101000000000000000?'
TEST_T2 = ';4111111111111111=28121010000000000000?'
TEST_T3 = ';011411111111111111112=000000000000000000000000?'
TEST_ATR = bytes.fromhex('3B6800000073C84013009000')


class Event:
    def __init__(self, raw):
        (self.time, self.seq, self.type, self.slot, self.flags, self.value,
         self.reserved) = EVENT.unpack(raw)
        self.name = EV_NAMES[self.type] if self.type < len(EV_NAMES) else '?'

    def __repr__(self):
        return '%s(seq=%d slot=%d flags=%d value=%d)' % (
            self.name, self.seq, self.slot, self.flags, self.value)


def swipe_bytes(tracks, flags=0, ksn=b''):
    """tracks: list of 3 (status, bytes) tuples."""
    out = SWIPE_HEAD.pack(flags, len(ksn), b'', ksn)
    for status, data in tracks:
        out += TRACK.pack(status, 0, len(data), data)
    return out + b'\0' * 16


def parse_swipe(raw):
    flags, ksn_len, _, ksn = SWIPE_HEAD.unpack_from(raw)
    tracks = []
    for i in range(3):
        status, _, length, data = TRACK.unpack_from(
            raw, SWIPE_HEAD.size + i * TRACK.size)
        tracks.append((status, data[:length]))
    return flags, ksn[:ksn_len], tracks


class Reader:
    """An open /dev/paytermN."""

    def __init__(self, path, nonblock=False):
        self.path = path
        self.fd = os.open(path, os.O_RDWR | (os.O_NONBLOCK if nonblock else 0))

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def ioctl(self, req, arg=0):
        return fcntl.ioctl(self.fd, req, arg)

    def info(self):
        raw = fcntl.ioctl(self.fd, IOC_GET_INFO, bytes(INFO.size))
        v = INFO.unpack(raw)
        return {'api': v[0], 'caps': v[1], 'bus': v[2], 'vendor': v[3],
                'product': v[4], 'slots': v[5],
                'name': v[7].split(b'\0')[0].decode()}

    def claim(self):
        fcntl.ioctl(self.fd, IOC_CLAIM)

    def release(self):
        fcntl.ioctl(self.fd, IOC_RELEASE)

    def get_swipe(self):
        return parse_swipe(fcntl.ioctl(self.fd, IOC_GET_SWIPE, bytes(SWIPE_SIZE)))

    def pin_start(self, mn=4, mx=12, timeout_ms=30000, reserved=(0, 0, 0)):
        arg = PIN_PARAMS.pack(mn, mx, reserved[0], timeout_ms, reserved[1],
                              reserved[2])
        fcntl.ioctl(self.fd, IOC_PIN_START, arg)

    def pin_abort(self):
        fcntl.ioctl(self.fd, IOC_PIN_ABORT)

    def get_pin(self):
        length, _, digits = PIN.unpack(fcntl.ioctl(self.fd, IOC_GET_PIN,
                                                   bytes(PIN.size)))
        return digits[:length].decode()

    def power_on(self, slot=0):
        raw = fcntl.ioctl(self.fd, IOC_POWER_ON,
                          POWER.pack(slot, b'', 0, b'', 0, 0))
        s, _, n, atr, _, _ = POWER.unpack(raw)
        return atr[:n]

    def power_off(self, slot=0):
        fcntl.ioctl(self.fd, IOC_POWER_OFF, SLOT.pack(slot, b''))

    def transmit(self, capdu, slot=0, rsize=4096):
        cbuf = ctypes.create_string_buffer(bytes(capdu), len(capdu))
        rbuf = ctypes.create_string_buffer(rsize)
        arg = bytearray(APDU.pack(ctypes.addressof(cbuf),
                                  ctypes.addressof(rbuf), len(capdu), rsize,
                                  slot, b'', 0, 0, 0))
        fcntl.ioctl(self.fd, IOC_TRANSMIT, arg, True)
        n = APDU.unpack(bytes(arg))[3]
        return rbuf.raw[:n]

    def read_events(self, timeout=2.0, want=None, max_events=100000):
        """Read events until `want` events or timeout; returns a list."""
        out = []
        deadline = time.monotonic() + timeout
        while want is None or len(out) < want:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                break
            try:
                buf = os.read(self.fd, EVENT.size * 64)
            except BlockingIOError:
                continue
            except OSError as e:
                if e.errno != errno.ENODEV or not out:
                    raise
                break           # unplugged: queued events came first
            for i in range(0, len(buf), EVENT.size):
                out.append(Event(buf[i:i + EVENT.size]))
            if len(out) >= max_events:
                break
        return out

    def expect(self, *names, timeout=3.0):
        """Read exactly the named events in order (other types fail)."""
        evs = self.read_events(timeout=timeout, want=len(names))
        got = [e.name for e in evs]
        assert got == list(names), 'expected %s, got %s' % (list(names), evs)
        return evs

    def drain(self, timeout=0.2):
        return self.read_events(timeout=timeout)


class Virt:
    """A virtual reader through /dev/payterm-virt.  APDUs are answered by
    `responder(capdu) -> (status, bytes)` in a background thread."""

    def __init__(self, caps, name='test-reader', slots=None, vendor=0x1d6b,
                 product=0x0104, responder=None, start=True):
        self.fd = os.open('/dev/payterm-virt', os.O_RDWR)
        self.responder = responder or (lambda capdu: (0, b'\x6d\x00'))
        self.notes = []
        self.lock = threading.Lock()
        self.thread = None
        if slots is None:
            slots = 1 if caps & (CAP_ICC | CAP_PICC) else 0
        if start:
            self.send(V_CREATE, VCREATE.pack(name.encode(), caps, 0, vendor,
                                             product, slots, 0, 0, 0, 0, 0))
            typ, payload = self.recv()
            assert typ == V_CREATED, typ
            self.minor = VCREATED.unpack(payload)[0]
            self.path = '/dev/payterm%d' % self.minor
            wait_for_node(self.path)
            self.thread = threading.Thread(target=self._serve, daemon=True)
            self.thread.start()

    def send(self, typ, payload=b''):
        return os.write(self.fd, VHDR.pack(typ, len(payload)) + payload)

    def recv(self):
        buf = os.read(self.fd, 70000)
        typ, length = VHDR.unpack_from(buf)
        return typ, buf[VHDR.size:VHDR.size + length]

    def _serve(self):
        while True:
            try:
                r, _, _ = select.select([self.fd], [], [], 0.5)
                if not r:
                    continue
                typ, payload = self.recv()
            except (OSError, ValueError):
                return          # closed
            if typ == V_APDU:
                rid, _, length, slot, _ = VAPDU.unpack_from(payload)
                capdu = payload[VAPDU.size:VAPDU.size + length]
                reply = self.responder(capdu)
                if reply is None:
                    continue        # simulate a mute card
                status, data = reply
                try:
                    self.send(V_APDU_REPLY,
                              VAPDU.pack(rid, status, len(data), slot, b'') + data)
                except OSError:
                    pass
            with self.lock:
                self.notes.append((typ, payload))

    def notifications(self, typ=None):
        with self.lock:
            return [n for n in self.notes if typ is None or n[0] == typ]

    def swipe(self, t1=None, t2=None, t3=None, errors=(), flags=0, ksn=b''):
        tracks = []
        for i, t in enumerate((t1, t2, t3)):
            if (i + 1) in errors:
                tracks.append((TRACK_ERROR, b''))
            elif t is None:
                tracks.append((TRACK_ABSENT, b''))
            else:
                tracks.append((TRACK_OK, t.encode() if isinstance(t, str) else t))
        self.send(V_SWIPE, swipe_bytes(tracks, flags, ksn))

    def card(self, action, slot=0, atr=TEST_ATR):
        self.send(V_CARD, VCARD.pack(action, slot, len(atr), 0, atr, 0))

    def key(self, k):
        self.send(V_KEY, VKEY.pack(k, 0))

    def keys(self, s):
        m = {'C': KEY_CORR, 'X': KEY_CLEAR, 'Q': KEY_CANCEL, 'E': KEY_ENTER}
        for ch in s:
            self.key(m[ch] if ch in m else int(ch))

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.thread:
            self.thread.join(2)


def wait_for_node(path, timeout=5.0):
    """devtmpfs creates the node asynchronously."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise AssertionError('%s did not appear' % path)
        time.sleep(0.01)


def wait_until(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def expect_errno(err, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except OSError as e:
        assert e.errno == err, 'expected %s, got %s from %s' % (
            errno.errorcode[err], errno.errorcode.get(e.errno, e.errno),
            getattr(fn, '__name__', fn))
        return
    raise AssertionError('expected %s from %s, call succeeded' % (
        errno.errorcode[err], getattr(fn, '__name__', fn)))


class TestRunner:
    """Minimal runner: prints PASS/FAIL per case; exit status = failures."""

    def __init__(self):
        self.cases = []

    def case(self, fn):
        self.cases.append(fn)
        return fn

    def run(self, argv):
        """Run the cases argv[1:] names, or all (tests/vm/py/cases.py)."""
        only = cases.select(argv, [fn.__name__ for fn in self.cases])
        failed = 0
        for fn in self.cases:
            if fn.__name__ not in only:
                continue
            t0 = time.monotonic()
            try:
                fn()
                print('ok   %-40s %.2fs' % (fn.__name__, time.monotonic() - t0),
                      flush=True)
            except Exception as e:  # noqa: BLE001 - report every failure
                failed += 1
                import traceback
                traceback.print_exc()
                print('FAIL %-40s %s' % (fn.__name__, e), flush=True)
        total = len([f for f in self.cases if f.__name__ in only])
        print('cases: %d ok, %d failed' % (total - failed, failed), flush=True)
        return 1 if failed else 0
