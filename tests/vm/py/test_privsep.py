#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""VM tests of paytermd's privilege separation (docs/privsep.md): the front
process (D-Bus, HTTPS) and the card process (readers, keys).  The daemon
(build/paytermd-test, PAYTERMD_TEST_SANDBOX_PROBE=1) runs on a private bus
with virtual readers: MSR, PIN pad, and chip / contactless readers answered
by the EMV card emulator.  The server is unreachable (offline terminal), so
each flow reads the card and the PIN, seals them and ends "unreachable".

- the card process: Seccomp 2, NoNewPrivs 1, its only sockets are the
  two AF_UNIX channels, and from inside (the test build's probe) socket(AF_INET),
  socket(AF_UNIX) and execve() fail with the filter's EPERM;
- the KEK is in the card process's locked pages and nowhere in the front;
- the TLS client key too: the front signs handshakes through the card
  process (its private scalar, DER or PEM are in the card process only);
- the front never has a reader node open or mapped, during and after
  swipe, chip and tap payments (/proc/PID/fd, /proc/PID/maps);
- canaries: after each flow, the test PANs, tracks, track 2 equivalent
  data and the PIN — ASCII, hex text (both cases), packed BCD — are in
  none of the front's readable memory, its output or the files under /tmp
  and /run;
- a mute card: Cancel and a property read answer while the card process is
  stuck in the card exchange (latency printed, not asserted against a
  bound: TCG), the payment ends 'cancelled';
- the card process killed (SIGKILL) during a payment: the payment fails
  cleanly, the card process is restarted and the next payment works."""
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', '..', 'fakes'))
from payterm_uapi import *  # noqa: E402,F403
import emv_card  # noqa: E402
import dbus_mini  # noqa: E402

from virt_card import Card  # noqa: E402
from paytermd_lib import (ROOT, Pay as _Pay, Daemon as _Daemon,  # noqa: E402
                          bus_env, canary, card_forms, ctl as _ctl,
                          offline_terminal, pin_forms, scan_files,
                          scan_memory, start_bus, write_config)
from test_paytermd import request as _request, W as _unused  # noqa: E402,F401
import test_paytermd  # noqa: E402

T = TestRunner()
W = '/tmp/pdp'
test_paytermd.W = W        # request() writes its files there
ENV = dict(bus_env(W), PAYTERMD_TEST_SANDBOX_PROBE='1')
SHARED = {c['id']: c for c in
          json.load(open(os.path.join(ROOT, 'tests/data/cards.json')))['cards']}
MAG = SHARED['visa-magstripe']
PIN = '80451279'
PARAM = '/sys/module/payterm_virt/parameters/apdu_timeout_ms'


# every encoding (pslib.card_forms/pin_forms) of the cards' data and of
# the PIN typed with them
SECRETS = pin_forms(PIN, MAG['pan'])
for c in SHARED.values():
    SECRETS += card_forms(c, pin=False)
    if c.get('chip'):
        SECRETS += pin_forms(PIN, c['pan'])
SECRETS = list(dict.fromkeys(SECRETS))

D = MSR = PAD = ICC = PICC = None
KEY = None


def ctl(*args, timeout=20):
    return _ctl(ENV, *args, timeout=timeout)


def Pay(req):
    return _Pay(ENV, req)


def request(**kw):
    return _request(KEY, **kw)


def card_pid():
    kids = open('/proc/%d/task/%d/children' % (D.p.pid, D.p.pid)).read().split()
    for k in kids:
        if b'--card-process' in open('/proc/%s/cmdline' % k, 'rb').read():
            return int(k)
    return None


def status(pid):
    return dict(line.split(':', 1) for line in
                open('/proc/%d/status' % pid).read().splitlines() if ':' in line)


def fds(pid):
    out = []
    for fd in os.listdir('/proc/%d/fd' % pid):
        try:
            out.append(os.readlink('/proc/%d/fd/%s' % (pid, fd)))
        except OSError:
            pass
    return out


def front_clean():
    """The front has no reader node open or mapped."""
    bad = [f for f in fds(D.p.pid) if 'payterm' in f and f.startswith('/dev')]
    bad += [line for line in open('/proc/%d/maps' % D.p.pid)
            if '/dev/payterm' in line]
    assert not bad, 'front holds a reader: %s' % bad


def canary_check():
    time.sleep(0.3)
    found = scan_memory(D.p.pid, SECRETS + tls_key_forms(), readable=True)
    log = open(W + '/paytermd.log', 'rb').read()
    found += ['%s in daemon output' % canary(s, SECRETS) for s in SECRETS if s in log]
    found += scan_files(['/tmp', '/run'], SECRETS)
    assert not found, 'card data in the front:\n' + '\n'.join(found)


def enter_pin(pay):
    pay.wait('Enter PIN')
    front_clean()
    for i, ch in enumerate(PIN):
        PAD.key(int(ch))
        pay.wait('PIN: ' + re.escape('*' * (i + 1)) + '$')
    PAD.key(KEY_ENTER)


def present(card, tap=False):
    rd = PICC if tap else ICC
    rd.responder = card
    card.reader = rd
    rd.card(CARD_TAP if tap else CARD_INSERT, atr=card.emu.atr)


def remove(tap=False):
    try:
        (PICC if tap else ICC).card(CARD_REMOVE)
    except OSError:
        pass


@T.case
def t_start():
    global D, KEY, MSR, PAD, ICC, PICC
    os.makedirs(W + '/state', exist_ok=True)
    os.chmod(W, 0o700)
    start_bus(W)
    KEY = offline_terminal(W)
    # a real client key and certificate (the server stays unreachable):
    # the key must be in the card process only (t_tls_key_in_card_process)
    subprocess.run([os.path.join(ROOT, 'tools', 'gen-test-pki'), W + '/pki',
                    '-t', 'TERM0001'], check=True, stdout=subprocess.DEVNULL)
    write_config(W, 'https://127.0.0.1:1', W + '/pki/ca.crt',
                 W + '/pki/terminal-TERM0001.crt',
                 W + '/pki/terminal-TERM0001.key', W + '/sign.pub',
                 'TERM0001', 'MERCHANT0001')
    D = _Daemon(W, ENV)
    MSR = Virt(CAP_MSR, name='vm-msr')
    PAD = Virt(CAP_PINPAD, name='vm-pinpad')
    ICC = Virt(CAP_ICC, name='vm-chip')
    PICC = Virt(CAP_PICC, name='vm-contactless')
    assert wait_until(lambda: ctl('readers').stdout.count('/dev/payterm') >= 4, 5)
    assert 'Terminal: idle' in ctl('status').stdout
    assert card_pid(), 'no card process'


@T.case
def t_card_process_confined():
    pid = card_pid()
    st = status(pid)
    assert st['Seccomp'].strip() == '2', st['Seccomp']
    assert st['NoNewPrivs'].strip() == '1', st['NoNewPrivs']
    socks = [f for f in fds(pid) if f.startswith('socket:')]
    assert len(socks) == 2, fds(pid)   # the channel and the signing channel
    unix = open('/proc/net/unix').read().split()
    for s in socks:
        inode = s[len('socket:['):-1]
        assert inode in unix, 'a card process socket is not AF_UNIX'
        for net in ('tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6'):
            for line in open('/proc/%d/net/%s' % (pid, net)).read().splitlines()[1:]:
                assert line.split()[9] != inode
    log = D.text()
    for what in ('socket(AF_INET)', 'socket(AF_UNIX)', 'execve'):
        m = re.search(r'card process: sandbox probe: %s: (.*)' % re.escape(what), log)
        assert m and m.group(1).strip() == 'Operation not permitted', (what, log)
    # the front is not confined by the filter, and is another process
    assert status(D.p.pid)['Seccomp'].strip() in ('0', '2')
    assert pid != D.p.pid


@T.case
def t_kek_in_card_process_only():
    kek = bytes.fromhex(open(W + '/kek').read().strip())
    assert scan_memory(card_pid(), [kek], readable=True), \
        'KEK not found in the card process (scan broken?)'
    assert not scan_memory(D.p.pid, [kek], readable=True), \
        'the KEK is in the front'


def tls_key_forms():
    """The TLS client key as it may sit in memory: the private scalar
    big- and little-endian (OpenSSL's BIGNUM words), the DER and the PEM."""
    from cryptography.hazmat.primitives import serialization
    pem = open(W + '/pki/terminal-TERM0001.key', 'rb').read()
    k = serialization.load_pem_private_key(pem, None)
    d = k.private_numbers().private_value.to_bytes(32, 'big')
    der = k.private_bytes(serialization.Encoding.DER,
                          serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
    body = b''.join(pem.split(b'\n')[1:-2])
    return [d, d[::-1], der, body[:48]]


@T.case
def t_tls_key_in_card_process_only():
    forms = tls_key_forms()
    assert scan_memory(card_pid(), forms, readable=True), \
        'TLS client key not found in the card process (scan broken?)'
    found = scan_memory(D.p.pid, forms, readable=True)
    assert not found, 'the TLS client key is in the front: %s' % found
    assert 'no client key' not in D.text(), D.text()


@T.case
def t_swipe():
    pay = Pay(request())
    pay.wait('Present card')
    front_clean()
    assert any(f.startswith('/dev/payterm') for f in fds(card_pid()))
    MSR.swipe(MAG['track1'], MAG['track2'])
    enter_pin(pay)
    rc, out = pay.finish()
    assert rc == 1 and 'unreachable' in out, out
    front_clean()
    canary_check()


@T.case
def t_chip():
    pay = Pay(request())
    pay.wait('Present card')
    present(Card('visa-ok', 'tpdu'))
    enter_pin(pay)
    rc, out = pay.finish()
    remove()
    assert rc == 1 and 'unreachable' in out, out
    front_clean()
    canary_check()


@T.case
def t_tap():
    pay = Pay(request(amount=500))     # under the CVM limit: no PIN
    pay.wait('Present card')
    present(Card('visa-ok', 'apdu'), tap=True)
    rc, out = pay.finish()
    remove(tap=True)
    assert rc == 1 and 'unreachable' in out, out
    front_clean()
    canary_check()


TERMINAL = ('/org/payterm/Terminal1', 'org.payterm.Terminal1')
TXN = 'org.payterm.Transaction1'


def busctl(verb, *args):
    flat = []
    for a in args:
        flat += list(a) if isinstance(a, tuple) else [a]
    r = subprocess.run(['busctl', '--address=' + ENV['DBUS_SYSTEM_BUS_ADDRESS'],
                        verb, 'org.payterm.Terminal1'] + flat,
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    return r.stdout


def in_ioctl(pid):
    """Is PID blocked in ioctl() (TRANSMIT)?  None where unknown."""
    if os.uname().machine != 'x86_64':
        return None
    return open('/proc/%d/syscall' % pid).read().split()[0] == '16'


def timed(fn, *args):
    t0 = time.monotonic()
    r = fn(*args)
    return r, (time.monotonic() - t0) * 1000


@T.case
def t_mute_card_cancel():
    old = open(PARAM).read().strip()
    with open(PARAM, 'w') as f:
        f.write('30000')        # the card process waits 30 s for the card
    try:
        pay = Pay(request())
        pay.wait('Present card')
        present(Card('visa-ok', 'tpdu', mute_at=3))
        pay.wait('Reading card')
        time.sleep(1)           # the card process is in the mute exchange
        path = busctl('get-property', TERMINAL, 'ActiveTransaction').split()[1]
        path = path.strip('"')
        stuck = in_ioctl(card_pid())
        assert stuck is not False, 'the card process is not in the exchange'
        bus = dbus_mini.Bus(ENV['DBUS_SYSTEM_BUS_ADDRESS'])
        props = 'org.freedesktop.DBus.Properties'
        (ok, body), ms_prop = timed(bus.call, 'org.payterm.Terminal1', path,
                                    props, 'Get', TXN, 'State')
        assert ok and b'reading-card' in body, body
        (ok, body), ms_cancel = timed(bus.call, 'org.payterm.Terminal1', path,
                                      TXN, 'Cancel')
        assert ok, body
        (ok, body), ms_after = timed(bus.call, 'org.payterm.Terminal1', path,
                                     props, 'Get', TXN, 'State')
        assert ok and b'cancelled' in body, body
        (ok, body), ms_term = timed(bus.call, 'org.payterm.Terminal1',
                                    TERMINAL[0], props, 'Get', TERMINAL[1],
                                    'State')
        assert ok, body
        bus.close()
        # all that while the card process was still stuck in its ioctl
        assert in_ioctl(card_pid()) is not False, 'the exchange ended early'
        # and through busctl, as a client would
        assert 'cancelled' in busctl('get-property', path, TXN, 'State')
        rc, out = pay.finish(timeout=10)
        assert rc == 7 and 'Result: cancelled' in out, out
        print('mute card (card process stuck in the exchange): transaction '
              'State %.1f ms, Cancel %.1f ms, State after %.1f ms '
              '(cancelled), terminal State %.1f ms' %
              (ms_prop, ms_cancel, ms_after, ms_term))
        remove()
        # the card process comes back from the exchange and frees the
        # readers: the next payment can claim them
        assert wait_until(lambda: 'Terminal: idle' in ctl('status').stdout, 40)
    finally:
        with open(PARAM, 'w') as f:
            f.write(old)
    pay = Pay(request())
    pay.wait('Present card', timeout=40)
    ctl('cancel')
    assert pay.finish()[0] == 7


@T.case
def t_card_process_killed():
    old = card_pid()
    pay = Pay(request())
    pay.wait('Present card')
    os.kill(old, signal.SIGKILL)
    rc, out = pay.finish()
    assert rc == 1 and 'Card reader process ended' in out, out
    assert wait_until(lambda: card_pid() not in (None, old), 10), 'not restarted'
    assert wait_until(lambda: 'Terminal: idle' in ctl('status').stdout, 10)
    pay = Pay(request())
    pay.wait('Present card')
    MSR.swipe(MAG['track1'], MAG['track2'])
    enter_pin(pay)
    rc, out = pay.finish()
    assert rc == 1 and 'unreachable' in out, out
    canary_check()


@T.case
def t_sighup_reload():
    """SIGHUP: the front sends RELOAD, the card process reopens the key
    store (and the TLS key) in its sandbox and answers KEYS."""
    pid = card_pid()
    n = D.text().count('card process: key store')
    D.p.send_signal(signal.SIGHUP)
    assert wait_until(lambda: D.text().count('card process: key store') > n, 10), \
        D.text()
    assert card_pid() == pid, 'the card process was restarted'
    assert 'Terminal: idle' in ctl('status').stdout
    assert 'client_key' not in D.text(), D.text()
    pay = Pay(request())
    pay.wait('Present card')
    ctl('cancel')
    assert pay.finish()[0] == 7


@T.case
def t_end():
    D.stop()
    assert card_pid() is None if D.p.poll() is None else True


if __name__ == '__main__':
    sys.exit(T.run(sys.argv))
