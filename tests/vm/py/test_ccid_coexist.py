#!/usr/bin/python3
"""payterm_ccid next to pcscd + libccid (tests/vm/t-ccid-coexist): two
QEMU usb-ccid readers, PT-PAY-1 marked for payterm by a udev site rule and
PT-OTHER-2 not.  udevd runs the rules as installed (60-payterm.rules in
/usr/lib/udev/rules.d, payterm-claim next to it) and real pcscd + libccid
run as in a distribution.

1. Loaded, payterm_ccid takes neither reader.
2. udev coldplug: PT-PAY-1 becomes /dev/paytermN (its usbfs node root
   only, not a seat smart card reader); PT-OTHER-2 stays unbound.
3. pcscd lists PT-OTHER-2 only (libccid cannot claim PT-PAY-1) and an APDU
   reaches its card; payterm has no node for it.
4. PT-OTHER-2 marked while pcscd holds it: payterm takes it, pcscd drops
   it.

The cases are the steps of one scenario, each building on the last: run
them all.
"""
import ctypes
import os
import shutil
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, 'tests', 'fakes'))

import emv_card  # noqa: E402
from payterm_uapi import Reader, TestRunner, wait_until  # noqa: E402
from test_ccid import CARDS, bound_driver, ccid_interfaces, select, sw  # noqa: E402
from test_ccid_pcsc import Pcsc, pcscd_argv  # noqa: E402

T = TestRunner()
USB = '/sys/bus/usb/devices/'
PAY, OTHER = 'PT-PAY-1', 'PT-OTHER-2'
CARD_OF = {PAY: 'visa-ok', OTHER: 'mc-ok'}
UDEV_LIB = '/usr/lib/udev'
SITE_RULES = '/run/udev/rules.d/59-payterm-site.rules'
PCSCD_LOG = '/tmp/pcscd.log'
UDEVD_LOG = '/tmp/udevd.log'
STATE = {}
# The guest's init runs the test chrooted into the host's root, and
# udevadm's trigger/control/settle do nothing in a chroot unless told.
os.environ['SYSTEMD_IGNORE_CHROOT'] = '1'


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True,
                          **kw).stdout


def read(path):
    with open(path) as f:
        return f.read().strip()


def intf_of(serial):
    """The CCID interface of the reader with this USB serial number."""
    found = [i for i in ccid_interfaces()
             if read(USB + i.split(':')[0] + '/serial') == serial]
    assert len(found) == 1, (serial, found, ccid_interfaces())
    return found[0]


def usb_node(intf):
    dev = USB + intf.split(':')[0]
    return '/dev/bus/usb/%03d/%03d' % (int(read(dev + '/busnum')),
                                       int(read(dev + '/devnum')))


def payterm_readers():
    """{interface: /dev/paytermN} of every payterm reader."""
    out = {}
    base = '/sys/class/payterm'
    for n in sorted(os.listdir(base)):
        parent = os.path.basename(os.path.realpath(base + '/' + n + '/device'))
        out[parent] = '/dev/' + n
    return out


def udev_props(intf):
    """udev's properties and tags of the reader's USB device."""
    out = run('udevadm', 'info', '--query=property',
              '--path=' + USB + intf.split(':')[0])
    return dict(line.split('=', 1) for line in out.splitlines() if '=' in line)


def udevd_log(intf):
    """udevd's debug lines about @intf, for a failure message."""
    lines = [ln for ln in read(UDEVD_LOG).splitlines() if intf in ln]
    return '\n'.join(lines[-60:]) or read(UDEVD_LOG)[-3000:]


def aids_of(card_id):
    return [bytes.fromhex(a['aid']) for a in CARDS[card_id]['aids']]


def ppse_names(resp):
    """The AIDs (tag 4F) listed in a PPSE FCI."""
    return [a for a in set(aids_of('visa-ok') + aids_of('mc-ok'))
            if bytes([0x4F, len(a)]) + a in resp]


def install_udev():
    """Rules and helper where make install puts them: a tmpfs copy of
    /usr/lib/udev (its files bound from the host) mounted over it."""
    orig, lib = '/run/pt-udev-orig', '/run/pt-udev-lib'
    os.makedirs(orig)
    os.makedirs(lib)
    run('mount', '--bind', UDEV_LIB, orig)
    for e in os.listdir(orig):
        if e == 'rules.d':
            shutil.copytree(orig + '/rules.d', lib + '/rules.d', symlinks=True)
        else:
            os.symlink(orig + '/' + e, lib + '/' + e)
    shutil.copy(os.path.join(REPO, 'udev', '60-payterm.rules'),
                lib + '/rules.d/60-payterm.rules')
    shutil.copy(os.path.join(REPO, 'udev', 'payterm-claim'),
                lib + '/payterm-claim')
    os.chmod(lib + '/payterm-claim', 0o755)
    run('mount', '--bind', lib, UDEV_LIB)


def site_marks(*serials):
    os.makedirs(os.path.dirname(SITE_RULES), exist_ok=True)
    with open(SITE_RULES, 'w') as f:
        f.write('# test site marks (tests/vm/t-ccid-coexist)\n')
        for s in serials:
            f.write('SUBSYSTEM=="usb", ATTRS{idVendor}=="08e6", '
                    'ATTRS{idProduct}=="4433", ATTRS{serial}=="%s", '
                    'ENV{PAYTERM_ROLE}="ccid"\n' % s)


def pcsc_readers(pc):
    try:
        return pc.readers()
    except OSError:
        return []


def pcsc_apdus(pc, reader):
    """Connect, SELECT PPSE and the first AID it names; the PPSE FCI."""
    pc.connect(reader)
    ppse = pc.transmit(select(emv_card.PPSE))
    assert sw(ppse) == '9000', ppse.hex()
    names = ppse_names(ppse)
    assert names, ppse.hex()
    fci = pc.transmit(select(names[0]))
    assert sw(fci) == '9000', fci.hex()
    pc.lib.SCardDisconnect(pc.h, ctypes.c_ulong(2))
    return ppse


def payterm_apdus(path, card_id):
    r = Reader(path)
    try:
        r.claim()
        atr = r.power_on()
        assert atr == bytes.fromhex(CARDS[card_id]['atr']), atr.hex()
        ppse = r.transmit(select(emv_card.PPSE))
        assert sw(ppse) == '9000', ppse.hex()
        return ppse
    finally:
        r.close()


@T.case
def test_module_takes_nothing_by_itself():
    pay, other = intf_of(PAY), intf_of(OTHER)
    STATE.update(pay=pay, other=other)
    print('# %s: %s, %s: %s' % (PAY, pay, OTHER, other))
    assert bound_driver(pay) is None and bound_driver(other) is None
    assert payterm_readers() == {}
    assert read('/sys/module/payterm_ccid/parameters/mark') == ''


@T.case
def test_udev_coldplug_marks_one_reader():
    pay, other = STATE['pay'], STATE['other']
    install_udev()
    site_marks(PAY)
    STATE['udevd'] = subprocess.Popen(
        ['/lib/systemd/systemd-udevd', '--debug'], stdout=subprocess.DEVNULL,
        stderr=open(UDEVD_LOG, 'w'))
    assert wait_until(lambda: os.path.exists('/run/udev/control'), 20)
    run('udevadm', 'control', '--ping', '--timeout=120')   # rules loaded
    # --settle: until udevd has processed these very events (RUN included)
    run('udevadm', 'trigger', '--action=add', '--subsystem-match=usb',
        '--settle', timeout=180)
    assert bound_driver(pay) == 'payterm_ccid', udevd_log(pay)
    assert bound_driver(other) is None, bound_driver(other)
    assert wait_until(lambda: list(payterm_readers()) == [pay], 10), \
        payterm_readers()
    path = payterm_readers()[pay]
    assert os.path.exists(path), path
    assert read('/sys/module/payterm_ccid/parameters/mark') == pay
    names = ppse_names(payterm_apdus(path, CARD_OF[PAY]))
    assert names and all(a in aids_of(CARD_OF[PAY]) for a in names), names
    # the marked reader's usbfs node is root's; the other is a seat reader
    p, o = udev_props(pay), udev_props(other)
    assert p.get('PAYTERM_ROLE') == 'ccid', p
    assert 'PAYTERM_ROLE' not in o, o
    assert not p.get('ID_SMARTCARD_READER'), p
    assert o.get('ID_SMARTCARD_READER') == '1', o
    assert ':uaccess:' not in p.get('TAGS', ''), p
    assert ':uaccess:' in o.get('TAGS', ''), o
    st = os.stat(usb_node(pay))
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_gid == 0, \
        oct(st.st_mode)
    st = os.stat(usb_node(other))
    assert stat.S_IMODE(st.st_mode) != 0o600, oct(st.st_mode)


@T.case
def test_pcscd_gets_the_other_reader_only():
    pay, other = STATE['pay'], STATE['other']
    os.makedirs('/run/pcscd', exist_ok=True)
    STATE['pcscd'] = subprocess.Popen(
        pcscd_argv('--foreground', '--debug'), stdout=open(PCSCD_LOG, 'w'),
        stderr=subprocess.STDOUT)
    pc = None

    def up():
        nonlocal pc
        try:
            pc = pc or Pcsc()
        except OSError:
            return False
        return bool(pcsc_readers(pc))
    assert wait_until(up, 30), read(PCSCD_LOG)[-3000:]
    STATE['pc'] = pc
    # pcscd tried the marked reader too, and libccid could not claim it
    # (payterm_ccid holds the interface; libccid does not detach drivers)
    assert wait_until(lambda: 'LIBUSB_ERROR_BUSY' in read(PCSCD_LOG), 10), \
        read(PCSCD_LOG)[-3000:]
    time.sleep(1)
    readers = pcsc_readers(pc)
    print('# PC/SC readers: %s' % readers)
    assert len(readers) == 1 and OTHER in readers[0], readers
    assert not any(PAY in r for r in readers), readers
    assert bound_driver(other) == 'usbfs', bound_driver(other)
    ppse = pcsc_apdus(pc, readers[0])
    assert ppse_names(ppse) and \
        all(a in aids_of(CARD_OF[OTHER]) for a in ppse_names(ppse)), ppse.hex()
    # payterm made no node for it, and its own reader still works
    assert list(payterm_readers()) == [pay], payterm_readers()
    payterm_apdus(payterm_readers()[pay], CARD_OF[PAY])


@T.case
def test_marked_later_payterm_takes_it_from_pcscd():
    pay, other = STATE['pay'], STATE['other']
    pc, pcscd = STATE['pc'], STATE['pcscd']
    assert bound_driver(other) == 'usbfs'
    site_marks(PAY, OTHER)
    run('udevadm', 'control', '--reload')
    run('udevadm', 'trigger', '--action=add', '--settle',
        USB + other.split(':')[0], USB + other, timeout=120)
    # the interface re-created meanwhile: its own events come after these
    run('udevadm', 'settle', '--timeout=60')
    assert bound_driver(other) == 'payterm_ccid', bound_driver(other)
    assert wait_until(lambda: sorted(payterm_readers()) == sorted([pay, other]),
                      10), payterm_readers()
    assert wait_until(lambda: pcsc_readers(pc) == [], 15), pcsc_readers(pc)
    assert pcscd.poll() is None, 'pcscd exited'
    ppse = payterm_apdus(payterm_readers()[other], CARD_OF[OTHER])
    assert all(a in aids_of(CARD_OF[OTHER]) for a in ppse_names(ppse)), \
        ppse.hex()
    st = os.stat(usb_node(other))
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    assert sorted(read('/sys/module/payterm_ccid/parameters/mark').split()) \
        == sorted([pay, other])


def stop():
    p = STATE.get('pcscd')
    if p:
        p.terminate()
        p.wait(10)
    p = STATE.get('udevd')
    if p:
        subprocess.run(['udevadm', 'control', '--exit'], check=False)
        p.wait(10)


if __name__ == '__main__':
    try:
        rc = T.run(sys.argv)
    finally:
        stop()
    sys.exit(rc)
