"""Fake input hardware for the VM tests of the payterm reader drivers:
HID devices through /dev/uhid and input devices through /dev/uinput,
driven with struct/fcntl only (include/uapi/linux/uhid.h, uinput.h)."""
import errno
import fcntl
import glob
import os
import struct
import subprocess
import time

from payterm_uapi import wait_until

BUS_USB = 0x03

# --- uhid ---------------------------------------------------------------
UHID_DESTROY, UHID_CREATE2, UHID_INPUT2 = 1, 11, 12
UHID_DATA_MAX = 4096
HID_MAX_DESCRIPTOR_SIZE = 4096
_CREATE2 = struct.Struct('<I128s64s64sHHIIII%ds' % HID_MAX_DESCRIPTOR_SIZE)


def modprobe(*names):
    for n in names:
        subprocess.run(['modprobe', n], check=True)


class UHid:
    """One HID device on /dev/uhid; closing the file unplugs it."""

    def __init__(self, rdesc, vendor, product, name='payterm test hid',
                 bus=BUS_USB, wait_bound=True):
        self.vendor, self.product, self.bus = vendor, product, bus
        self.fd = os.open('/dev/uhid', os.O_RDWR | os.O_CLOEXEC)
        before = set(self._sysdevs())
        os.write(self.fd, _CREATE2.pack(
            UHID_CREATE2, name.encode(), b'payterm-test/phys', b'', len(rdesc),
            bus, vendor, product, 0x0100, 0, bytes(rdesc)))
        assert wait_until(lambda: set(self._sysdevs()) - before), \
            'hid device %04x:%04x did not appear' % (vendor, product)
        self.sysfs = sorted(set(self._sysdevs()) - before)[0]
        self.hidname = os.path.basename(self.sysfs)
        if wait_bound:
            assert wait_until(lambda: self.driver() is not None), \
                '%s bound no driver' % self.hidname

    def _sysdevs(self):
        return glob.glob('/sys/bus/hid/devices/%04X:%04X:%04X.*' % (
            self.bus, self.vendor, self.product))

    def driver(self):
        p = os.path.join(self.sysfs, 'driver')
        return os.path.basename(os.readlink(p)) if os.path.islink(p) else None

    def children(self, kind):
        """Class devices below the HID device: 'hidraw', 'input', 'payterm'."""
        out = []
        for root, dirs, _ in os.walk(self.sysfs):
            for d in dirs:
                if d.startswith(kind) and d != kind:
                    out.append(d)
        return sorted(out)

    def payterm_node(self, timeout=5.0):
        assert wait_until(lambda: self.children('payterm'), timeout), \
            'no payterm device for %s' % self.hidname
        path = '/dev/' + self.children('payterm')[0]
        assert wait_until(lambda: os.path.exists(path)), path
        return path

    def input(self, data):
        data = bytes(data)
        assert len(data) <= UHID_DATA_MAX
        os.write(self.fd, struct.pack('<IH', UHID_INPUT2, len(data)) + data)

    def destroy(self):
        if self.fd >= 0:
            os.write(self.fd, struct.pack('<I', UHID_DESTROY))
            os.close(self.fd)
            self.fd = -1

    close = destroy


# --- report descriptors ----------------------------------------------------
def _magtek_tracks(size):
    return bytes([0x09, 0x30, 0x95, size, 0x82, 0x02, 0x01,
                  0x09, 0x31, 0x95, size, 0x82, 0x02, 0x01,
                  0x09, 0x32, 0x95, size, 0x82, 0x02, 0x01])


# MagTek USB HID swipe reader (99875191): vendor page 0xFF00, one 337-byte
# input report without id (3 status, 3 lengths, encode type, 3 x 110 data),
# a 24-byte feature report for commands.
MAGTEK_RDESC = bytes([
    0x06, 0x00, 0xff, 0x09, 0x01, 0xa1, 0x01,
    0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08,
    0x09, 0x20, 0x09, 0x21, 0x09, 0x22, 0x09, 0x28, 0x09, 0x29, 0x09, 0x2a,
    0x09, 0x38, 0x95, 0x07, 0x81, 0x02]) + _magtek_tracks(110) + bytes([
    0x09, 0x20, 0x95, 0x18, 0xb2, 0x02, 0x01,
    0xc0])
MAGTEK_REPORT_LEN = 337

# MagneSafe-class (SRED) model: 112-byte encrypted tracks, card status,
# MagnePrint status (32 bit), serial number, device encryption status
# (0x41), DUKPT KSN (0x42), masked track lengths and data.
MAGNESAFE_RDESC = bytes([
    0x06, 0x00, 0xff, 0x09, 0x01, 0xa1, 0x01,
    0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08,
    0x09, 0x20, 0x09, 0x21, 0x09, 0x22, 0x09, 0x28, 0x09, 0x29, 0x09, 0x2a,
    0x09, 0x38, 0x95, 0x07, 0x81, 0x02]) + _magtek_tracks(112) + bytes([
    0x09, 0x39, 0x95, 0x01, 0x81, 0x02,
    0x75, 0x20, 0x09, 0x23, 0x95, 0x01, 0x81, 0x02, 0x75, 0x08,
    0x09, 0x40, 0x95, 0x10, 0x81, 0x02,
    0x09, 0x41, 0x95, 0x02, 0x81, 0x02,
    0x09, 0x42, 0x95, 0x0a, 0x81, 0x02,
    0x09, 0x43, 0x09, 0x44, 0x09, 0x45, 0x95, 0x03, 0x81, 0x02,
    0x09, 0x46, 0x95, 0x70, 0x82, 0x02, 0x01,
    0x09, 0x47, 0x95, 0x70, 0x82, 0x02, 0x01,
    0x09, 0x48, 0x95, 0x70, 0x82, 0x02, 0x01,
    0x09, 0x20, 0x95, 0x18, 0xb2, 0x02, 0x01,
    0xc0])
MAGNESAFE_REPORT_LEN = 7 + 3 * 112 + 1 + 4 + 16 + 2 + 10 + 3 + 3 * 112

# HID Point of Sale magnetic stripe reader page (0x8E), report id 1:
# lengths (0x11-0x13) then data (0x21-0x23) of 79, 40 and 107 bytes.
POS_RDESC = bytes([
    0x05, 0x8e, 0x09, 0x01, 0xa1, 0x01, 0x85, 0x01,
    0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08,
    0x09, 0x11, 0x09, 0x12, 0x09, 0x13, 0x95, 0x03, 0x81, 0x02,
    0x09, 0x21, 0x95, 79, 0x82, 0x02, 0x01,
    0x09, 0x22, 0x95, 40, 0x82, 0x02, 0x01,
    0x09, 0x23, 0x95, 107, 0x82, 0x02, 0x01,
    0xc0])
POS_REPORT_LEN = 1 + 3 + 79 + 40 + 107

# Boot-protocol keyboard (modifiers, reserved, 6 key array; LED output).
KEYBOARD_RDESC = bytes([
    0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0x05, 0x07, 0x19, 0xe0, 0x29, 0xe7,
    0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02,
    0x95, 0x01, 0x75, 0x08, 0x81, 0x03,
    0x95, 0x05, 0x75, 0x01, 0x05, 0x08, 0x19, 0x01, 0x29, 0x05, 0x91, 0x02,
    0x95, 0x01, 0x75, 0x03, 0x91, 0x03,
    0x95, 0x06, 0x75, 0x08, 0x15, 0x00, 0x26, 0xff, 0x00, 0x05, 0x07,
    0x19, 0x00, 0x2a, 0xff, 0x00, 0x81, 0x00, 0xc0])

# HID keyboard page usages of keypad keys
HID_KEY = {str(d): 0x1e + d - 1 for d in range(1, 10)}
HID_KEY['0'] = 0x27
HID_KP = {str(d): 0x59 + d - 1 for d in range(1, 10)}
HID_KP['0'] = 0x62
HID_ENTER, HID_ESC, HID_BACKSPACE, HID_DELETE, HID_KP_ENTER = \
    0x28, 0x29, 0x2a, 0x4c, 0x58


def magtek_report(tracks, status=(0, 0, 0), encode=0, width=110):
    """tracks: 3 bytes/str/None; returns the 337-byte (width 110) report."""
    datas = [(t.encode() if isinstance(t, str) else (t or b'')) for t in tracks]
    head = bytes(status) + bytes(len(d) for d in datas) + bytes([encode])
    return head + b''.join(d.ljust(width, b'\0')[:width] for d in datas)


def magnesafe_report(tracks, enc_status, ksn, masked=(b'', b'', b''),
                     status=(0, 0, 0), encode=0):
    body = magtek_report(tracks, status, encode, 112)
    body += bytes([0]) + bytes(4) + b'SN-TEST'.ljust(16, b'\0')
    body += struct.pack('>H', enc_status) + bytes(ksn).ljust(10, b'\0')
    body += bytes(len(m) for m in masked)
    body += b''.join(m.ljust(112, b'\0') for m in masked)
    assert len(body) == MAGNESAFE_REPORT_LEN
    return body


def pos_report(tracks):
    datas = [(t.encode() if isinstance(t, str) else (t or b'')) for t in tracks]
    return (bytes([1]) + bytes(len(d) for d in datas) +
            b''.join(d.ljust(w, b'\0') for d, w in zip(datas, (79, 40, 107))))


def kbd_report(keys=(), mods=0):
    keys = list(keys)[:6]
    return bytes([mods, 0] + keys + [0] * (6 - len(keys)))


# --- uinput ---------------------------------------------------------------
EV_SYN, EV_KEY, EV_MSC = 0, 1, 4
SYN_REPORT = 0
_INPUT_EVENT = struct.Struct('llHHi')
UI_SET_EVBIT = 0x40045564
UI_SET_KEYBIT = 0x40045565
UI_DEV_CREATE = 0x5501
UI_DEV_DESTROY = 0x5502
UI_DEV_SETUP = 0x405c5503       # _IOW('U', 3, struct uinput_setup) (92 bytes)
EVIOCGRAB = 0x40044590
EVIOCGKEY_768 = 0x80604518      # _IOC(READ, 'E', 0x18, KEY_MAX/8 + 1 = 96)

KEY = {
    'ESC': 1, 'BACKSPACE': 14, 'TAB': 15, 'ENTER': 28, 'LEFTSHIFT': 42,
    'RIGHTSHIFT': 54, 'SPACE': 57, 'KPENTER': 96, 'DELETE': 111,
}
for _i, _c in enumerate('1234567890'):
    KEY[_c] = 2 + _i
for _row, _start in (('qwertyuiop', 16), ('asdfghjkl', 30), ('zxcvbnm', 44)):
    for _i, _c in enumerate(_row):
        KEY[_c] = _start + _i
KEY.update({'-': 12, '=': 13, '[': 26, ']': 27, ';': 39, "'": 40, '`': 41,
            '\\': 43, ',': 51, '.': 52, '/': 53})
KP = {'7': 71, '8': 72, '9': 73, '4': 75, '5': 76, '6': 77, '1': 79,
      '2': 80, '3': 81, '0': 82}
SHIFTED = {'!': '1', '@': '2', '#': '3', '$': '4', '%': '5', '^': '6',
           '&': '7', '*': '8', '(': '9', ')': '0', '_': '-', '+': '=',
           '{': '[', '}': ']', ':': ';', '"': "'", '~': '`', '|': '\\',
           '<': ',', '>': '.', '?': '/'}


def us_keystrokes(text):
    """(keycode, shift) for each character of text, US layout."""
    out = []
    for ch in text:
        if ch == '\r' or ch == '\n':
            out.append((KEY['ENTER'], False))
        elif ch == ' ':
            out.append((KEY['SPACE'], False))
        elif ch.isalpha():
            out.append((KEY[ch.lower()], ch.isupper()))
        elif ch in SHIFTED:
            out.append((KEY[SHIFTED[ch]], True))
        else:
            out.append((KEY[ch], False))
    return out


class UInput:
    """A keyboard through /dev/uinput."""

    def __init__(self, vendor, product, name='payterm test keyboard',
                 keys=range(1, 128), bus=BUS_USB):
        self.fd = os.open('/dev/uinput', os.O_WRONLY | os.O_NONBLOCK)
        fcntl.ioctl(self.fd, UI_SET_EVBIT, EV_KEY)
        for k in keys:
            fcntl.ioctl(self.fd, UI_SET_KEYBIT, k)
        before = set(glob.glob('/sys/class/input/input*'))
        setup = struct.pack('<HHHH80sI', bus, vendor, product, 1,
                            name.encode(), 0)
        fcntl.ioctl(self.fd, UI_DEV_SETUP, setup)
        fcntl.ioctl(self.fd, UI_DEV_CREATE)
        assert wait_until(lambda: set(glob.glob('/sys/class/input/input*'))
                          - before)
        self.sysfs = sorted(set(glob.glob('/sys/class/input/input*')) -
                            before)[0]
        self.name = os.path.basename(self.sysfs)

    def event_node(self, timeout=5.0):
        def find():
            return glob.glob(os.path.join(self.sysfs, 'event*'))
        assert wait_until(find, timeout), 'no evdev node for ' + self.name
        path = '/dev/input/' + os.path.basename(find()[0])
        assert wait_until(lambda: os.path.exists(path)), path
        return path

    def payterm_nodes(self):
        out = []
        for root, dirs, _ in os.walk(self.sysfs):
            out += ['/dev/' + d for d in dirs
                    if d.startswith('payterm') and d != 'payterm']
        return sorted(out)

    def payterm_node(self, timeout=5.0):
        assert wait_until(self.payterm_nodes, timeout), \
            'no payterm device for ' + self.name
        path = self.payterm_nodes()[0]
        assert wait_until(lambda: os.path.exists(path)), path
        return path

    def emit(self, typ, code, value):
        os.write(self.fd, _INPUT_EVENT.pack(0, 0, typ, code, value))

    def key(self, code, value):
        self.emit(EV_KEY, code, value)
        self.emit(EV_SYN, SYN_REPORT, 0)

    def tap(self, code, shift=False):
        if shift:
            self.key(KEY['LEFTSHIFT'], 1)
        self.key(code, 1)
        self.key(code, 0)
        if shift:
            self.key(KEY['LEFTSHIFT'], 0)

    def type(self, text):
        for code, shift in us_keystrokes(text):
            self.tap(code, shift)

    def destroy(self):
        if self.fd >= 0:
            try:
                fcntl.ioctl(self.fd, UI_DEV_DESTROY)
            except OSError:
                pass
            os.close(self.fd)
            self.fd = -1

    close = destroy


def read_input_events(fd, timeout=0.5):
    """Non-blocking evdev read: list of (type, code, value) until quiet."""
    import select
    out = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            break
        try:
            buf = os.read(fd, _INPUT_EVENT.size * 64)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.ENODEV):
                break
            raise
        for i in range(0, len(buf), _INPUT_EVENT.size):
            _, _, t, c, v = _INPUT_EVENT.unpack_from(buf, i)
            out.append((t, c, v))
    return out


def key_events(events):
    return [(c, v) for t, c, v in events if t == EV_KEY]


def dmesg_clean(secrets):
    out = subprocess.run(['dmesg'], capture_output=True, text=True).stdout
    for s in secrets:
        assert s not in out, 'dmesg contains %r' % s
    return out
