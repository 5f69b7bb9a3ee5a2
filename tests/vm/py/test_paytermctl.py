#!/usr/bin/python3
"""VM tests of paytermctl against the real modules: list, virt, monitor
(--claim, masked output, busy, removal), apdu; --version of every program;
the D-Bus commands against paytermd on a private bus: --json of readers,
status, requests and pay checked against the daemon's properties (busctl),
and the advice when paytermd or the bus is not there.  Run in the guest
after tests/vm/load-modules payterm payterm_virt."""
import base64
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payterm_uapi import *  # noqa: E402,F403

T = TestRunner()
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '../../..'))
CTL = os.path.join(ROOT, os.environ.get('B', 'build'), 'paytermctl')
FULL_SECRETS = ('4111111111111111', '5555555555554444', 'TEST/CARD')


def ctl(*args, timeout=20):
    return subprocess.run([CTL] + list(args), capture_output=True, text=True,
                          timeout=timeout)


class VirtProc:
    """paytermctl virt, fed commands on stdin."""

    def __init__(self, *args):
        self.p = subprocess.Popen([CTL, 'virt'] + list(args),
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, bufsize=1)
        line = self.p.stdout.readline().strip()
        assert line.startswith('created /dev/payterm'), line
        self.dev = line.split()[1]
        wait_for_node(self.dev)

    def cmd(self, line):
        self.p.stdin.write(line + '\n')
        self.p.stdin.flush()

    def close(self):
        self.p.stdin.close()
        out = self.p.stdout.read()
        assert self.p.wait(10) == 0
        return out


def no_secrets(text):
    for s in FULL_SECRETS:
        assert s not in text, 'secret %s in output' % s


@T.case
def test_list_empty_and_json():
    r = ctl('list', '--json')
    assert r.returncode == 0 and json.loads(r.stdout) == [], r
    v = VirtProc('--name', 'Ctl reader', '--caps', 'msr,icc', '--slots', '1',
                 '--vendor', '0801', '--product', '0011')
    try:
        r = ctl('list', '--json')
        readers = json.loads(r.stdout)
        assert len(readers) == 1
        rd = readers[0]
        assert rd['device'] == v.dev and rd['name'] == 'Ctl reader'
        assert rd['capabilities'] == ['msr', 'icc'] and rd['slots'] == 1
        assert (rd['vendor'], rd['product']) == ('0801', '0011')
        r = ctl('list')
        assert 'Ctl reader' in r.stdout and '0801:0011' in r.stdout
    finally:
        v.close()
    assert json.loads(ctl('list', '--json').stdout) == []


@T.case
def test_monitor_claim_masks_card_data():
    v = VirtProc('--caps', 'msr')
    try:
        mon = subprocess.Popen([CTL, 'monitor', v.dev, '--claim', '--count',
                                '4', '--timeout', '20'],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
        # one step at a time: the claim before the second claimant, and a
        # newer swipe replaces one not fetched yet, so each swipe waits for
        # the monitor's report of the one before
        seen = []

        def until(kind):
            while True:
                line = mon.stdout.readline()
                assert line, 'monitor ended early: %r' % seen
                seen.append(line)
                if line.startswith('{') and json.loads(line)['type'] == kind:
                    return

        until('claimed')
        busy = ctl('monitor', v.dev, '--claim', '--count', '1', '--timeout', '1')
        assert busy.returncode == 5, busy
        assert 'claimed by another process' in busy.stderr, busy.stderr
        v.cmd('swipe-test-card')
        until('swipe_data')
        v.cmd('swipe --track2 ;5555555555554444=30121010000000000000? --error 1')
        until('swipe_data')
        v.cmd('swipe --error 1,2')
        out, err = mon.communicate(timeout=20)
        out = ''.join(seen) + out
        assert mon.returncode == 0, (out, err)
        no_secrets(out + err)
        lines = [json.loads(x) for x in out.splitlines() if x.startswith('{')]
        events = [x['type'] for x in lines if 'seq' in x and 'pan' not in x]
        assert events[:4] == ['claimed', 'swipe', 'swipe', 'swipe_error'], lines
        data = [x for x in lines if x.get('type') == 'swipe_data']
        assert [d['pan'] for d in data] == ['411111******1111',
                                            '555555******4444'], data
        assert data[1]['tracks'][0]['status'] == 'error'
    finally:
        no_secrets(v.close())


@T.case
def test_monitor_reports_removal():
    v = VirtProc('--caps', 'pinpad')
    mon = subprocess.Popen([CTL, 'monitor', v.dev, '--timeout', '20'],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    time.sleep(0.7)
    v.close()
    out, err = mon.communicate(timeout=20)
    assert mon.returncode == 3, (mon.returncode, out, err)


@T.case
def test_apdu_through_virtual_card():
    amap = os.path.join('/tmp', 'apdu.map')
    with open(amap, 'w') as f:
        f.write('00A4040007A0000000031010 6F0A8407A00000000310109000\n'
                '00B2* 70035A01009000\n')
    v = VirtProc('--caps', 'icc', '--slots', '1', '--apdu-map', amap)
    try:
        v.cmd('insert 3B6800000073C84013009000')
        time.sleep(0.3)
        r = ctl('apdu', v.dev, '00A4040007A0000000031010', '00 B2 01 0C 00',
                '80CA9F1700')
        assert r.returncode == 0, r
        out = r.stdout.upper().replace(' ', '')
        assert '3B6800000073C84013009000' in out, r.stdout
        assert '6F0A8407A00000000310109000' in out, r.stdout
        assert '70035A01009000' in out, r.stdout
        assert '6D00' in out, r.stdout         # default reply
        v.cmd('remove')
        time.sleep(0.3)
        r = ctl('apdu', v.dev, '00A40400')
        assert r.returncode != 0 and 'medium' in r.stderr.lower(), r
    finally:
        v.close()


@T.case
def test_virt_pin_keys_reach_session():
    v = VirtProc('--caps', 'pinpad')
    r = Reader(v.dev)
    try:
        r.claim()
        r.pin_start(4, 6, 20000)
        time.sleep(0.2)
        v.cmd('keys 1 2 corr 3 4 5 enter')
        names = [(e.name, e.value) for e in r.read_events(timeout=3, want=9)]
        assert names[-1] == ('PIN_ENTERED', 4), names
        assert r.get_pin() == '1345'
    finally:
        r.close()
        v.close()


# ---------------------------------------------------------------- --version

def makefile_version():
    with open(os.path.join(ROOT, 'Makefile')) as f:
        return re.search(r'^VERSION\s*:?=\s*(\S+)', f.read(), re.M).group(1)


@T.case
def test_version_of_every_program():
    want = makefile_version()
    for prog in ('paytermctl', 'paytermd', 'payterm-keytool', 'payterm-server',
                 'payterm-bank'):
        r = subprocess.run([os.path.join(os.path.dirname(CTL), prog),
                            '--version'], capture_output=True, text=True,
                           timeout=20)
        assert r.returncode == 0, (prog, r)
        assert r.stdout == '%s %s\n' % (prog, want), (prog, r.stdout)


# ---------------------------------------------------------------- D-Bus

import paytermd_lib as pl  # noqa: E402

W = '/tmp/pctl'
ENV = pl.bus_env(W)
SVC = 'org.payterm.Terminal1'
TERM = '/org/payterm/Terminal1'
NOT_RUNNING = 'paytermd is not running: systemctl start paytermd'


def dctl(*args, env=ENV):
    return pl.ctl(env, *args)


def prop(path, iface, name):
    """A property as busctl reads it (JSON): the daemon's own answer."""
    r = subprocess.run(['busctl', '--address=unix:path=%s/bus' % W,
                        '--json=short', 'get-property', SVC, path, iface, name],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, 'busctl %s %s: %s' % (path, name, r.stderr)
    return json.loads(r.stdout)['data']


def sign_request(key, amount=1234, forge=False):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import \
        decode_dss_signature

    def b64(x):
        return base64.urlsafe_b64encode(x).rstrip(b'=').decode()
    now = int(time.time())
    sign_request.seq = getattr(sign_request, 'seq', 0) + 1
    h = b64(json.dumps({'alg': 'ES256', 'typ': 'payterm-request+jws'}).encode())
    p = b64(json.dumps({
        'iss': 'payterm-server', 'request_id': 'req_ctl_%d' % sign_request.seq,
        'merchant_id': 'MERCHANT0001', 'order_id': 'ctl-%d' % sign_request.seq,
        'amount': amount, 'currency': 'EUR', 'currency_numeric': '978',
        'terminal_id': 'TERM0001', 'iat': now - 10,
        'exp': now + 600}).encode())
    r, s_ = decode_dss_signature(key.sign((h + '.' + p).encode(),
                                          ec.ECDSA(hashes.SHA256())))
    sig = r.to_bytes(32, 'big') + s_.to_bytes(32, 'big')
    if forge:
        sig = bytes([sig[0] ^ 1]) + sig[1:]
    path = '%s/req-%d.jws' % (W, sign_request.seq)
    with open(path, 'w') as f:
        f.write(h + '.' + p + '.' + b64(sig))
    return path


def assert_not_running(env, hint):
    for args in (('status',), ('status', '--json'), ('readers', '--json'),
                 ('requests',), ('pay', '--json', 'req_x'), ('cancel',)):
        r = dctl(*args, env=env)
        assert r.returncode == 9, (args, r)
        assert hint in r.stderr, (args, r.stderr)
        assert r.stdout == '', (args, r.stdout)


def ensure_bus():
    """The private bus at W/bus, started once (each case can run alone)."""
    if not os.path.exists(W + '/bus.pid'):
        os.makedirs(W, exist_ok=True)
        os.chmod(W, 0o700)
        pl.start_bus(W)


@T.case
def test_dbus_no_bus_no_daemon():
    assert_not_running(dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=
                            'unix:path=/tmp/no-such-bus'),
                       'no system bus: is dbus running?')
    ensure_bus()
    assert_not_running(ENV, NOT_RUNNING)


@T.case
def test_dbus_json_against_daemon():
    ensure_bus()
    key = pl.offline_terminal(W)
    msr = VirtProc('--name', 'json msr', '--caps', 'msr')
    pad = VirtProc('--name', 'json pad', '--caps', 'pinpad', '--vendor',
                   '1d6b', '--product', '0104')
    d = pl.Daemon(W, ENV)
    try:
        assert pl.wait_until(lambda: len(json.loads(
            dctl('readers', '--json').stdout)) == 2, 5)
        # readers: the Readers property, in its order, each as its object says
        r = dctl('readers', '--json')
        assert r.returncode == 0, r
        readers = json.loads(r.stdout)
        assert [x['path'] for x in readers] == prop(TERM, SVC, 'Readers')
        rif = 'org.payterm.Reader1'
        for x in readers:
            assert x['device'] == prop(x['path'], rif, 'Device'), x
            assert x['name'] == prop(x['path'], rif, 'Name'), x
            assert x['capabilities'] == prop(x['path'], rif, 'Capabilities'), x
            assert x['bus'] == prop(x['path'], rif, 'Bus'), x
            assert x['vendor'] == '%04x' % prop(x['path'], rif, 'Vendor'), x
            assert x['product'] == '%04x' % prop(x['path'], rif, 'Product'), x
            assert x['slots'] == prop(x['path'], rif, 'Slots'), x
        byname = {x['name']: x for x in readers}
        assert byname['json msr']['device'] == msr.dev, readers
        assert byname['json pad']['capabilities'] == ['pinpad'], readers
        assert (byname['json pad']['vendor'], byname['json pad']['product']) \
            == ('1d6b', '0104'), readers
        # status: idle, the configuration's ids
        st = json.loads(dctl('status', '--json').stdout)
        assert st['state'] == prop(TERM, SVC, 'State') == 'idle', st
        assert st['terminal_id'] == prop(TERM, SVC, 'TerminalId') == 'TERM0001'
        assert st['merchant_id'] == prop(TERM, SVC, 'MerchantId'), st
        assert st['version'] == prop(TERM, SVC, 'Version') == makefile_version()
        assert st['entry_modes'] == prop(TERM, SVC, 'EntryModes'), st
        assert st['active_transaction'] is None and st['transaction'] is None
        # requests: none without a pull queue
        r = dctl('requests', '--json')
        assert r.returncode == 0 and json.loads(r.stdout) == [] == \
            prop(TERM, SVC, 'PendingRequests'), r
        # pay refused: one object, exit code 8
        r = dctl('pay', '--json', '@' + sign_request(key, forge=True))
        assert r.returncode == 8, r
        o = json.loads(r.stdout)
        assert o['state'] == 'refused' and \
            o['error'] == 'org.payterm.Error.Forged', o
        assert 'not signed by the payment server' in r.stderr, r.stderr
        # pay: swipe + PIN; the server is unreachable, so it fails
        p = subprocess.Popen([CTL, 'pay', '--json', '@' + sign_request(key)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=ENV)

        def txn():
            t = json.loads(dctl('status', '--json').stdout)['transaction']
            return t or {}
        assert pl.wait_until(lambda: txn().get('state') == 'waiting-card', 10)
        st = json.loads(dctl('status', '--json').stdout)
        t = st['transaction']
        tif = 'org.payterm.Transaction1'
        assert st['state'] == prop(TERM, SVC, 'State') == 'busy', st
        assert st['active_transaction'] == t['path'] == \
            prop(TERM, SVC, 'ActiveTransaction'), st
        assert t['amount'] == prop(t['path'], tif, 'Amount') == 1234, t
        assert t['message'] == prop(t['path'], tif, 'Message'), t
        assert t['order_id'] == prop(t['path'], tif, 'OrderId'), t
        msr.cmd('swipe-test-card')
        assert pl.wait_until(lambda: txn().get('state') == 'waiting-pin', 10), txn()
        t = txn()
        assert t['masked_pan'] == prop(t['path'], tif, 'MaskedPan') == \
            '411111******1111', t
        assert t['entry_mode'] == 'swipe' and t['pin_digits'] == 0, t
        pad.cmd('keys 1234 --delay 100')
        assert pl.wait_until(lambda: txn().get('pin_digits') == 4, 10), txn()
        pad.cmd('key enter')
        out, err = p.communicate(timeout=40)
        assert p.returncode == 1, (p.returncode, out, err)
        no_secrets(out + err)
        assert len(out.splitlines()) == 1, out      # one document, nothing else
        o = json.loads(out)
        assert o['transaction'] == t['path'], o
        assert (o['state'], o['result_code'], o['message']) == \
            ('failed', '', 'Payment server unreachable'), o
        assert o['masked_pan'] == '411111******1111' and \
            o['entry_mode'] == 'swipe', o
        assert (o['amount'], o['currency'], o['merchant'], o['auth_code']) == \
            (1234, 'EUR', 'MERCHANT0001', ''), o
        assert o['request_id'] == prop(t['path'], tif, 'RequestId'), o
        # the finished transaction, by its path, while it lingers
        r = dctl('status', '--json', t['path'])
        f = json.loads(r.stdout)['transaction']
        assert f['state'] == prop(t['path'], tif, 'State') == 'failed', f
        # a path that is no transaction: an error, not empty fields
        r = dctl('status', '/org/payterm/Transaction/999')
        assert r.returncode == 1 and r.stdout == '' and \
            'Transaction/999' in r.stderr, r
    finally:
        d.stop()
    # paytermd stopped: the hint and exit code 9
    r = dctl('status')
    assert r.returncode == 9 and NOT_RUNNING in r.stderr, r
    assert_not_running(ENV, NOT_RUNNING)
    no_secrets(msr.close() + pad.close())
    subprocess.run(['kill', open(W + '/bus.pid').read().strip()])


sys.exit(T.run(sys.argv))
