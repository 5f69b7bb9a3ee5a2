#!/usr/bin/python3
"""Interoperability of payterm_ccid.ko with pcscd + libccid, in one VM with
QEMU's usb-ccid and the EMV fake (tests/vm/t-ccid-pcsc):

1. through /dev/payterm* (payterm_ccid does the T=0 procedure),
2. payterm_ccid unloaded, pcscd + libccid drive the same reader and card
   (the client does 61xx / 6Cxx itself, as PC/SC applications do),

and the same command APDUs must give the same response APDUs.  With
--bench N it measures APDU round trips on both paths instead
(tests/bench/ccid.sh).
"""
import ctypes
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)),
                                'fakes'))

import emv_card  # noqa: E402
from payterm_uapi import Reader, wait_until  # noqa: E402
from test_ccid import (CARDS, CARD, CDOL1_DATA, PDOL_DATA, apdu, check_ac,  # noqa: E402
                       claim_ccid, find_ccid, gen_ac, gpo, select)

# ---------------------------------------------------------------- PC/SC

SCARD_SCOPE_SYSTEM = 2
SCARD_SHARE_EXCLUSIVE = 1
SCARD_PROTOCOL_T0 = 1
SCARD_PROTOCOL_T1 = 2
SCARD_UNPOWER_CARD = 2
DWORD = ctypes.c_ulong          # pcsc-lite on Linux: unsigned long
LONG = ctypes.c_long


class IoRequest(ctypes.Structure):
    _fields_ = [('dwProtocol', DWORD), ('cbPciLength', DWORD)]


class Pcsc:
    def __init__(self):
        self.lib = ctypes.CDLL('libpcsclite.so.1')
        self.ctx = LONG()
        self.h = LONG()
        rv = self.lib.SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), None,
                                            None, ctypes.byref(self.ctx))
        self.check(rv, 'SCardEstablishContext')

    @staticmethod
    def check(rv, what):
        if rv & 0xffffffff:
            raise OSError('%s: 0x%08X' % (what, rv & 0xffffffff))

    def readers(self):
        n = DWORD(0)
        rv = self.lib.SCardListReaders(self.ctx, None, None, ctypes.byref(n))
        if rv & 0xffffffff or n.value < 2:
            return []
        buf = ctypes.create_string_buffer(n.value)
        rv = self.lib.SCardListReaders(self.ctx, None, buf, ctypes.byref(n))
        if rv & 0xffffffff:
            return []
        return [r.decode() for r in buf.raw[:n.value].split(b'\0') if r]

    def connect(self, reader):
        proto = DWORD()
        rv = self.lib.SCardConnect(self.ctx, reader.encode(),
                                   DWORD(SCARD_SHARE_EXCLUSIVE),
                                   DWORD(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1),
                                   ctypes.byref(self.h), ctypes.byref(proto))
        self.check(rv, 'SCardConnect')
        self.pci = IoRequest(proto.value, ctypes.sizeof(IoRequest))
        self.rbuf = ctypes.create_string_buffer(65538)
        return proto.value

    def atr(self):
        name = ctypes.create_string_buffer(256)
        nlen, state, proto = DWORD(256), DWORD(), DWORD()
        atr = ctypes.create_string_buffer(64)
        alen = DWORD(64)
        rv = self.lib.SCardStatus(self.h, name, ctypes.byref(nlen),
                                  ctypes.byref(state), ctypes.byref(proto),
                                  atr, ctypes.byref(alen))
        self.check(rv, 'SCardStatus')
        return atr.raw[:alen.value]

    def transmit_raw(self, capdu):
        rlen = DWORD(len(self.rbuf))
        rv = self.lib.SCardTransmit(self.h, ctypes.byref(self.pci), capdu,
                                    DWORD(len(capdu)), None, self.rbuf,
                                    ctypes.byref(rlen))
        self.check(rv, 'SCardTransmit')
        return self.rbuf.raw[:rlen.value]

    def transmit(self, capdu):
        """ISO/IEC 7816-4 as a PC/SC application does it for T=0: 6Cxx
        re-issue with Le=xx, 61xx GET RESPONSE."""
        ne = emv_card_ne(capdu)
        if self.pci.dwProtocol == SCARD_PROTOCOL_T0 and len(capdu) > 5 and \
                len(capdu) == 6 + capdu[4]:
            capdu = capdu[:-1]  # T=0 carries case 4 as case 3 (no Le)
        resp = self.transmit_raw(capdu)
        if len(resp) == 2 and resp[0] == 0x6C and len(capdu) == 5:
            resp = self.transmit_raw(capdu[:-1] + resp[1:2])
        data = b''
        while len(resp) >= 2 and resp[-2] == 0x61:
            data += resp[:-2]
            if ne and len(data) >= ne:
                return data + resp[-2:]     # Ne bytes there: keep 61xx
            want = resp[-1] or 256
            if ne:
                want = min(want, ne - len(data))
            resp = self.transmit_raw(bytes([0, 0xC0, 0, 0, want & 0xff]))
            if len(resp) == 2 and resp[0] == 0x6C:
                resp = self.transmit_raw(bytes([0, 0xC0, 0, 0, resp[1]]))
        return data + resp

    def close(self):
        self.lib.SCardDisconnect(self.h, DWORD(SCARD_UNPOWER_CARD))
        self.lib.SCardReleaseContext(self.ctx)


def emv_card_ne(c):
    """Ne of a short command APDU (0: none)."""
    if len(c) == 5:
        return c[4] or 256
    if len(c) > 5 and len(c) == 6 + c[4]:
        return c[-1] or 256
    return 0


def pcscd_argv(*args):
    """pcscd with ARGS, without its polkit check where it has one.

    pcsc-lite 2.x (Debian 13) asks polkit whether a client may connect and
    refuses every client when there is no polkitd, as in this VM; 1.9
    (Debian 12) lets them in.  Only root uses it here: the check is moot.
    """
    out = subprocess.run(['pcscd', '--help'], capture_output=True, text=True)
    extra = ['--disable-polkit'] if '--disable-polkit' in out.stdout + out.stderr else []
    return ['pcscd', *args, *extra]


def start_pcscd():
    subprocess.run(['rmmod', 'payterm_ccid'], check=False)
    os.makedirs('/run/pcscd', exist_ok=True)
    p = subprocess.Popen(pcscd_argv('-f'), stdout=subprocess.DEVNULL,
                         stderr=open('/tmp/pcscd.log', 'w'))
    pc = None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            pc = pc or Pcsc()
            readers = pc.readers()
            if readers:
                return p, pc, readers[0]
        except OSError:
            pc = None
        time.sleep(0.2)
    p.kill()
    raise AssertionError('pcscd found no reader: %s' %
                         open('/tmp/pcscd.log').read()[-2000:])


def cpu_of(pid):
    with open('/proc/%d/stat' % pid) as f:
        v = f.read().rsplit(')', 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf('SC_CLK_TCK')


# ---------------------------------------------------------------- test

def script():
    card = CARDS[CARD]
    aid = bytes.fromhex(card['aids'][0]['aid'])
    aid2 = bytes.fromhex(card['aids'][1]['aid'])
    return [select(emv_card.PPSE), select(emv_card.PSE), apdu('00B2010C00'),
            select(aid), gpo(PDOL_DATA), apdu('00B2010C00'),
            apdu('00B2020C00'), apdu('00B2030C00'),
            select(aid2), gpo(PDOL_DATA), apdu('80F2010000'),
            apdu('80F4020000'), select(bytes.fromhex('A0000000999999')),
            apdu('80F4006410')]


AC_SCRIPT = [select(emv_card.PPSE), None, gpo(PDOL_DATA),
             gen_ac(0x80, CDOL1_DATA)]


def run_payterm(cmds):
    claim_ccid()                # payterm_ccid takes marked readers only
    r = Reader(find_ccid())
    r.claim()
    atr = r.power_on()
    out = [r.transmit(c) for c in cmds]
    r.close()
    return atr, out


def interop():
    card = CARDS[CARD]
    cmds = script()
    ac_cmds = [c if c else select(bytes.fromhex(card['aids'][0]['aid']))
               for c in AC_SCRIPT]
    atr1, resp1 = run_payterm(cmds + ac_cmds)

    pcscd, pc, reader = start_pcscd()
    try:
        proto = pc.connect(reader)
        assert proto == SCARD_PROTOCOL_T0, proto
        atr2 = pc.atr()
        resp2 = [pc.transmit(c) for c in cmds + ac_cmds]
        pc.close()
    finally:
        pcscd.terminate()
        pcscd.wait(10)
    print('PC/SC reader: %s' % reader)
    assert atr1 == atr2, (atr1.hex(), atr2.hex())
    n = len(cmds)
    bad = [(c.hex(), a.hex(), b.hex())
           for c, a, b in zip(cmds + ac_cmds[:-1], resp1[:-1], resp2[:-1])
           if a != b]
    assert not bad, bad
    # GENERATE AC: ATC moved on by one, both cryptograms verify
    atc1 = check_ac(card, resp1[-1], 2)
    check_ac(card, resp2[-1], 2, atc1 + 1)
    print('ok   interop: %d APDUs, same responses through payterm and PC/SC '
          '(ATR %s)' % (n + len(ac_cmds), atr1.hex().upper()), flush=True)
    return 0


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def bench(n):
    cmd = apdu('80CA9F3605')        # GET DATA ATC, right Le: one TPDU
    claim_ccid()
    r = Reader(find_ccid())
    r.claim()
    r.power_on()
    assert r.transmit(cmd)[-2:] == b'\x90\x00'
    lat = []
    c0 = sum(os.times()[:2])
    for _ in range(n):
        t0 = time.perf_counter()
        r.transmit(cmd)
        lat.append(time.perf_counter() - t0)
    cpu_k = (sum(os.times()[:2]) - c0) / n
    r.close()
    res = {'payterm': (lat, cpu_k)}

    pcscd, pc, reader = start_pcscd()
    try:
        pc.connect(reader)
        assert pc.transmit_raw(cmd)[-2:] == b'\x90\x00'
        lat = []
        c0 = sum(os.times()[:2])
        d0 = cpu_of(pcscd.pid)
        for _ in range(n):
            t0 = time.perf_counter()
            pc.transmit_raw(cmd)
            lat.append(time.perf_counter() - t0)
        cpu_p = (sum(os.times()[:2]) - c0 + cpu_of(pcscd.pid) - d0) / n
        pc.close()
    finally:
        pcscd.terminate()
        pcscd.wait(10)
    res['pcscd+libccid'] = (lat, cpu_p)

    print('APDU round trip, %d x GET DATA (80 CA 9F 36 05), QEMU usb-ccid '
          '(TCG) + VSCARD fake on the host' % n)
    print('%-16s %10s %10s %10s %14s' % ('path', 'median ms', 'p99 ms',
                                         'mean ms', 'CPU ms/APDU'))
    for k, (lat, cpu) in res.items():
        print('%-16s %10.3f %10.3f %10.3f %14.3f' % (
            k, statistics.median(lat) * 1e3, pct(lat, 99) * 1e3,
            statistics.mean(lat) * 1e3, cpu * 1e3))
    (lk, ck), (lp, cp) = res['payterm'], res['pcscd+libccid']
    print('ratio pcscd/payterm: median latency %.2fx, p99 %.2fx, CPU %.2fx'
          % (statistics.median(lp) / statistics.median(lk),
             pct(lp, 99) / pct(lk, 99), cp / ck if ck else float('inf')))
    return 0


if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[1] == '--bench':
        sys.exit(bench(int(sys.argv[2])))
    sys.exit(interop())
