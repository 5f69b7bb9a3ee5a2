#!/usr/bin/python3
"""VM tests of paytermd: the daemon on a private system bus in the guest,
virtual readers through payterm_virt, paytermctl as the D-Bus client.
Run in the guest after tests/vm/load-modules payterm payterm_virt.

Without the reference server (not built yet) submission goes to a closed
port, so a complete card + PIN flow ends in "Payment server unreachable";
every flow is followed by a leak check: the test PAN (ASCII and BCD), the
track and the PIN must not be in the daemon's writable memory, its output
or any file under /tmp and /run."""
import base64
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payterm_uapi import *  # noqa: E402,F403

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import \
    decode_dss_signature  # noqa: E402

from paytermd_lib import (ROOT, DAEMON, Pay as _Pay,  # noqa: E402
                          Daemon as _Daemon,
                          bus_env, canary, card_forms, ctl as _ctl,
                          offline_terminal,
                          pin_forms, result, scan_files,
                          scan_memory as _scan_memory, start_bus,
                          write_config)

T = TestRunner()
W = '/tmp/pd'
ENV = bus_env(W)

CARDS = json.load(open(os.path.join(ROOT, 'tests/data/cards.json')))['cards']
MAG = [c for c in CARDS if c['id'] == 'visa-magstripe'][0]
CHIPCARD = [c for c in CARDS if c['id'] == 'visa-ok'][0]
PIN = '80451279'    # long enough not to occur by chance in memory
# every encoding of both cards and of the PIN typed (ASCII, hex text, BCD,
# raw PIN fields and block: pslib.card_forms/pin_forms)
SECRETS = (card_forms(MAG, pin=False) + card_forms(CHIPCARD, pin=False) +
           pin_forms(PIN, MAG['pan']) + pin_forms(PIN, CHIPCARD['pan']))


def Daemon():
    return _Daemon(W, ENV)


def setup():
    os.makedirs(W + '/state', exist_ok=True)
    os.chmod(W, 0o700)
    start_bus(W)
    return offline_terminal(W)


def b64(x):
    return base64.urlsafe_b64encode(x).rstrip(b'=').decode()


SEQ = [0]


def request(key, amount=1234, exp=600, tid='TERM0001', forge=False):
    SEQ[0] += 1
    now = int(time.time())
    h = b64(json.dumps({'alg': 'ES256', 'typ': 'payterm-request+jws',
                        'kid': 'payterm-1'}).encode())
    p = b64(json.dumps({
        'iss': 'payterm-server', 'request_id': 'req_vm_%d' % SEQ[0],
        'merchant_id': 'MERCHANT0001', 'order_id': 'order-%d' % SEQ[0],
        'amount': amount, 'currency': 'EUR', 'currency_numeric': '978',
        'description': 'vm test', 'terminal_id': tid, 'iat': now - 10,
        'exp': now + exp}).encode())
    r, s = decode_dss_signature(key.sign((h + '.' + p).encode(),
                                         ec.ECDSA(hashes.SHA256())))
    sig = r.to_bytes(32, 'big') + s.to_bytes(32, 'big')
    if forge:
        sig = bytes([sig[0] ^ 1]) + sig[1:]
    path = '%s/req-%d.jws' % (W, SEQ[0])
    with open(path, 'w') as f:
        f.write(h + '.' + p + '.' + b64(sig))
    return path


def ctl(*args, timeout=20):
    return _ctl(ENV, *args, timeout=timeout)


def Pay(req, *opts):
    return _Pay(ENV, req, *opts)


# ---------------------------------------------------------------- leaks

def scan_memory(pid):
    return _scan_memory(pid, SECRETS)


def leak_check(d):
    time.sleep(0.3)
    found = scan_memory(d.p.pid)
    found += ['%s in daemon output' % canary(s, SECRETS) for s in SECRETS
              if s in open(W + '/paytermd.log', 'rb').read()]
    found += scan_files(['/tmp', '/run'], SECRETS)
    assert not found, 'sensitive data left:\n' + '\n'.join(found)
    for ro in ('/etc', '/var'):
        assert not os.access(ro, os.W_OK) or \
            os.statvfs(ro).f_flag & os.ST_RDONLY, ro + ' is writable'


# ---------------------------------------------------------------- flows

KEY = None
D = None
MSR = None
PAD = None


def readers():
    global MSR, PAD
    if MSR is None:
        MSR = Virt(CAP_MSR, name='vm-msr')
    if PAD is None:
        PAD = Virt(CAP_PINPAD, name='vm-pinpad')
    assert wait_until(lambda: ctl('readers').stdout.count('/dev/payterm') >= 2, 5), \
        ctl('readers').stdout


def swipe_and_pin(pay, pin=PIN, enter=True):
    pay.wait('Present card')
    MSR.swipe(MAG['track1'], MAG['track2'])
    pay.wait('Card: 411111\\*+1111')
    pay.wait('Enter PIN')
    for i, ch in enumerate(pin):
        PAD.key(int(ch))
        pay.wait('PIN: ' + re.escape('*' * (i + 1)) + '$')
    if enter:
        PAD.key(KEY_ENTER)


@T.case
def t_start():
    global KEY, D
    KEY = setup()
    D = Daemon()
    readers()
    out = ctl('status').stdout
    assert 'Terminal: idle' in out, out
    leak_check(D)


@T.case
def t_swipe_pin_server_down():
    req = request(KEY)
    pay = Pay(req)
    swipe_and_pin(pay)
    rc, out = pay.finish()
    assert rc == 1 and result(out) == ('failed', None,
                                       'Payment server unreachable'), out
    assert 'submitted' in D.text()
    leak_check(D)
    # the request left the terminal: it cannot be used twice
    rc, out = Pay(req).finish()
    assert rc == 8 and 'AlreadyUsed' in out, out


@T.case
def t_cancel_during_pin():
    pay = Pay(request(KEY))
    swipe_and_pin(pay, pin=PIN[:3], enter=False)
    r = ctl('cancel')
    assert r.returncode == 0, r.stderr
    rc, out = pay.finish()
    assert rc == 7 and result(out)[0] == 'cancelled', out
    leak_check(D)


@T.case
def t_cancel_on_keypad():
    pay = Pay(request(KEY))
    swipe_and_pin(pay, pin=PIN[:2], enter=False)
    PAD.key(KEY_CANCEL)
    rc, out = pay.finish()
    assert rc == 7 and result(out) == ('cancelled', None,
                                       'Cancelled on the PIN pad'), out
    leak_check(D)


@T.case
def t_caller_disconnects():
    pay = Pay(request(KEY))
    swipe_and_pin(pay, pin=PIN[:4], enter=False)
    pay.p.kill()
    pay.p.wait()
    assert wait_until(lambda: 'Terminal: idle' in ctl('status').stdout, 5)
    assert 'Caller disconnected' in D.text(), D.text()
    # the readers are free again: a new payment can claim them
    pay = Pay(request(KEY))
    pay.wait('Present card')
    ctl('cancel')
    assert pay.finish()[0] == 7
    leak_check(D)


@T.case
def t_busy():
    pay = Pay(request(KEY))
    pay.wait('Present card')
    rc, out = Pay(request(KEY)).finish()
    assert rc == 8 and 'org.payterm.Error.Busy' in out, out
    ctl('cancel')
    assert pay.finish()[0] == 7


@T.case
def t_forged_expired_wrong_terminal():
    for kw, err in (({'forge': True}, 'Forged'), ({'exp': -5}, 'Expired'),
                    ({'tid': 'OTHER001'}, 'WrongTerminal')):
        rc, out = Pay(request(KEY, **kw)).finish()
        assert rc == 8 and 'org.payterm.Error.' + err in out, (kw, out)
    other = ec.generate_private_key(ec.SECP256R1())
    rc, out = Pay(request(other)).finish()
    assert rc == 8 and 'Forged' in out, out
    assert 'Terminal: idle' in ctl('status').stdout


@T.case
def t_reader_unplugged():
    global PAD
    pay = Pay(request(KEY))
    swipe_and_pin(pay, pin=PIN[:2], enter=False)
    PAD.close()
    PAD = None
    rc, out = pay.finish()
    assert rc == 1 and result(out) == ('failed', None, 'Reader unplugged'), out
    leak_check(D)
    readers()       # hotplug: a new keypad is picked up
    pay = Pay(request(KEY))
    pay.wait('Present card')
    ctl('cancel')
    assert pay.finish()[0] == 7


@T.case
def t_swipe_error():
    readers()
    pay = Pay(request(KEY))
    pay.wait('Present card')
    MSR.swipe(None, ';4111111111111112=310610100000000?')   # bad Luhn
    pay.wait('Card not readable')
    MSR.swipe(errors=(1, 2))
    ctl('cancel')
    rc, out = pay.finish()
    assert rc == 7, out
    leak_check(D)


# ---------------------------------------------------------------- keys

def mappings(pid):
    """[(start, end, line, vmflags)] of /proc/PID/smaps."""
    out, cur = [], None
    with open('/proc/%d/smaps' % pid) as f:
        for line in f:
            m = re.match(r'([0-9a-f]+)-([0-9a-f]+) ', line)
            if m:
                cur = [int(m.group(1), 16), int(m.group(2), 16), line.strip(), '']
                out.append(cur)
            elif line.startswith('VmFlags:') and cur:
                cur[3] = line.split(':', 1)[1].split()
    return out


def card_process(pid):
    """The card process the front PID started (docs/privsep.md)."""
    for k in open('/proc/%d/task/%d/children' % (pid, pid)).read().split():
        if b'--card-process' in open('/proc/%s/cmdline' % k, 'rb').read():
            return int(k)
    raise AssertionError('no card process under %d' % pid)


def kek_mappings(pid, kek):
    found = []
    with open('/proc/%d/mem' % pid, 'rb', 0) as mem:
        for lo, hi, line, flags in mappings(pid):
            if 'wr' not in flags:
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            if kek in data:
                found.append((line, flags))
    return found


@T.case
def t_key_pages():
    """The KEK (and with it the DUKPT registers: one mapping) sits only in
    locked (lo), undumpable (dd) pages of the card process, never in its
    heap, and nowhere in the front (privsep)."""
    kek = bytes.fromhex(open(W + '/kek').read().strip())
    found = kek_mappings(card_process(D.p.pid), kek)
    assert found, 'KEK not found in the card process (scan broken?)'
    bad = ['%s: %s' % (line, ' '.join(flags)) for line, flags in found
           if 'lo' not in flags or 'dd' not in flags or '[heap]' in line]
    assert not bad, 'KEK in pages not locked + dontdump:\n' + '\n'.join(bad)
    front = kek_mappings(D.p.pid, kek)
    assert not front, 'KEK in the front: %s' % front


@T.case
def t_memlock_refused():
    """Without lockable memory (RLIMIT_MEMLOCK 0, no CAP_IPC_LOCK) the
    daemon does not start: exit 1 and a message that says why."""
    r = subprocess.run(
        ['setpriv', '--inh-caps=-all', '--bounding-set=-ipc_lock',
         'prlimit', '--memlock=0', DAEMON, '-c', W + '/paytermd.conf'],
        capture_output=True, text=True, timeout=20,
        env=dict(ENV, PAYTERMD_NO_POLKIT='1'))
    out = r.stdout + r.stderr
    assert r.returncode == 1, (r.returncode, out)
    # refused at start for that reason, not later for another one (the
    # bus name is D's: a daemon that went on would fail to own it)
    assert 'RLIMIT_MEMLOCK' in out and 'mlock' in out, out
    assert 'cannot own' not in out and 'key store' not in out, out
    assert 'Terminal: idle' in ctl('status').stdout    # D unaffected


# ---------------------------------------------------------------- proxy

class ConnectSink:
    """A TCP listener on 127.0.0.1 that records what each connection sends
    first (a proxy's CONNECT line) and closes it."""

    def __init__(self):
        import socket
        import threading
        self.s = socket.socket()
        self.s.bind(('127.0.0.1', 0))
        self.s.listen(8)
        self.port = self.s.getsockname()[1]
        self.seen = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            c.settimeout(3)
            try:
                self.seen.append(c.recv(512))
            except OSError:
                self.seen.append(b'')
            c.close()

    def close(self):
        self.s.close()


def restart(env_extra=None, conf_extra=''):
    global D
    D.stop()
    write_config(W, 'https://127.0.0.1:1', W + '/ca.pem', W + '/client.pem',
                 W + '/client.key', W + '/sign.pub', 'TERM0001',
                 'MERCHANT0001', conf_extra)
    D = _Daemon(W, dict(ENV, **(env_extra or {})))


@T.case
def t_proxy_env_ignored():
    """https_proxy & co. in the daemon's environment are ignored; only
    [server] proxy sends the connection through a proxy."""
    sink = ConnectSink()
    url = 'http://127.0.0.1:%d' % sink.port
    try:
        restart({'https_proxy': url, 'HTTPS_PROXY': url, 'ALL_PROXY': url,
                 'all_proxy': url, 'no_proxy': ''})
        readers()
        pay = Pay(request(KEY))
        swipe_and_pin(pay)
        rc, out = pay.finish()
        assert rc == 1 and result(out) == ('failed', None,
                                           'Payment server unreachable'), out
        assert not sink.seen, 'environment proxy used: %r' % sink.seen
        # positive control: the configured proxy is used
        restart(conf_extra='[server]\nproxy = %s\n' % url)
        pay = Pay(request(KEY))
        swipe_and_pin(pay)
        rc, out = pay.finish()
        assert rc == 1, out
        assert any(b'CONNECT 127.0.0.1:1' in x for x in sink.seen), sink.seen
    finally:
        sink.close()
        restart()
    leak_check(D)


@T.case
def t_no_core_dump():
    pid = D.p.pid
    limits = open('/proc/%d/limits' % pid).read()
    assert re.search(r'Max core file size\s+0\s+0', limits), limits
    os.makedirs(W + '/cores', exist_ok=True)
    with open('/proc/sys/kernel/core_pattern', 'w') as f:
        f.write(W + '/cores/core.%p')
    D.stop()
    # a crash of a fresh instance leaves no core either
    d2 = Daemon()
    os.kill(d2.p.pid, signal.SIGSEGV)
    d2.p.wait(10)
    assert not os.listdir(W + '/cores'), os.listdir(W + '/cores')


if __name__ == '__main__':
    sys.exit(T.run(sys.argv))
