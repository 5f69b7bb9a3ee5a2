#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""VM tests of paytermd's EMV flows: the daemon on a private system bus,
virtual chip / contactless readers whose APDUs are answered by the test
card emulator (tests/fakes/emv_card.py, the cards of tests/data/cards.json)
and a virtual PIN pad.  Run in the guest after
tests/vm/load-modules payterm payterm_virt.

The contact reader hands the card's T=0 answers through as a TPDU-level
CCID reader would without its GET RESPONSE handling (case-4 Le dropped;
61xx and 6Cxx come back to paytermd, which must follow them); the
contactless reader answers at APDU level (data + 9000 at once).

Submission goes to a small mutual-TLS sink on the guest's loopback (test
PKI of tools/gen-test-pki): it records each body and checks that field 55
is well formed, carries no card data tag and holds the CDOL1 data and the
cryptogram of the card presented; it answers approved only then.  The test
then verifies the ARQC from field 55 alone with the card's key, as the bank
does (docs/protocol.md, "ARQC algorithm").  The real payterm-server + payterm-bank
flow is tests/vm/t-payment.  Every flow ends with a leak check of the
daemon's memory, its output and the files under /tmp and /run."""
import base64
import hashlib
import http.server
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', '..', 'fakes'))
from payterm_uapi import *  # noqa: E402,F403
import emv_card  # noqa: E402

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import \
    decode_dss_signature  # noqa: E402

from virt_card import Card  # noqa: E402
from paytermd_lib import (B, ROOT, Pay as _Pay, Daemon as _Daemon,  # noqa: E402
                          bus_env, canary, card_forms, ctl as _ctl,
                          make_keystore,
                          pin_forms, scan_files,
                          scan_memory, start_bus, write_config)

T = TestRunner()
W = '/tmp/pde'
ENV = bus_env(W)
CARDS, _ = emv_card.load_cards()
SHARED = {c['id']: c for c in
          json.load(open(os.path.join(ROOT, 'tests/data/cards.json')))['cards']}
VISA = SHARED['visa-ok']
PIN = '80451279'
# every encoding of each chip card's data and of the PIN typed with it
# (pslib.card_forms/pin_forms: ASCII, hex text, BCD, raw PIN fields)
SECRETS = []
for c in SHARED.values():
    if c.get('chip'):
        SECRETS += card_forms(c, pin=False) + pin_forms(PIN, c['pan'])
CARD_DATA_TAGS = ('57', '5A', '5F20', '5F24', '5F34', '56', '9F1F', '9F20',
                  '9F6B')
PARAM = '/sys/module/payterm_virt/parameters/apdu_timeout_ms'


# ---------------------------------------------------------------- the sink

sink_card = [None]     # the Card presented last


class Sink:
    """mTLS HTTPS server for POST /v1/terminal/payments: checks field 55
    and the ARQC like the bank; approved only when they are right."""

    def __init__(self, pki):
        self.bodies = []
        self.checks = []
        sink = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get('Content-Length', 0))
                body = json.loads(self.rfile.read(n))
                sink.bodies.append(body)
                ok, why = sink.verify(body)
                sink.checks.append((ok, why))
                if ok:
                    # a payment view as payterm-server's (docs/protocol.md):
                    # the terminal approves only its own amount and currency
                    ans = {'payment_id': 'pay_%d' % len(sink.bodies),
                           'state': 'approved', 'approved': True,
                           'amount': body.get('amount'),
                           'currency': body.get('currency'),
                           'response_code': '00', 'auth_code': 'A%05d' %
                           len(sink.bodies)}
                    ans['response_mac'] = resp_mac(body, '00',
                                                   ans['auth_code'])
                else:
                    ans = {'payment_id': 'pay_%d' % len(sink.bodies),
                           'state': 'declined', 'approved': False,
                           'response_code': '05'}
                out = json.dumps(ans).encode()
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki + '/server.crt', pki + '/server.key')
        ctx.load_verify_locations(pki + '/ca.crt')
        ctx.verify_mode = ssl.CERT_REQUIRED
        self.srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
        self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    @staticmethod
    def verify(body):
        """docs/protocol.md: field 55 required tags, no card data, ARQC."""
        icc = bytes.fromhex(body.get('icc_data', ''))
        if body.get('entry_mode') not in ('051', '071'):
            return False, 'entry mode %s' % body.get('entry_mode')
        if not icc:
            return False, 'no icc_data'
        t = emv_card.parse_tlv(icc)
        bad = [k for k in CARD_DATA_TAGS if k in t]
        if bad:
            return False, 'card data tags in field 55: %s' % bad
        for k in ('9F26', '9F27', '9F36', '82'):
            if k not in t:
                return False, '%s missing' % k
        if t['9F27'][0] & 0xc0 != 0x80:
            return False, 'CID %s' % t['9F27'].hex()
        dol = bytes.fromhex(VISA['chip']['cdol1'])
        data, i = b'', 0
        while i < len(dol):
            j = i + (2 if dol[i] & 0x1f == 0x1f else 1)
            tag, ln = dol[i:j].hex().upper(), dol[j]
            i = j + 1
            if tag not in t or len(t[tag]) != ln:
                return False, 'CDOL1 tag %s missing or wrong length' % tag
            data += t[tag]
        # Fast path within the terminal's HTTP timeout (DES through
        # openssl processes is slow under TCG): the cryptogram the card
        # presented computed over these CDOL1 data; approved() recomputes
        # it from field 55 with the card's key afterwards, as the bank.
        card = sink_card[0]
        if not card or not card.emu.log:
            return False, 'no card presented'
        log = card.emu.log[-1]
        if log['cdol1'] != data.hex().upper() or \
                log['ac'] != t['9F26'].hex().upper():
            return False, 'ARQC is not the card\'s over these CDOL1 data'
        return True, card.emu.card['id']


BDK = 'FEDCBA9876543210F1F1F1F1F1F1F1F1'


def resp_mac(body, rc, auth):
    """The bank's response MAC (docs/protocol.md "MAC (field 64)"): AES-CMAC
    under the DUKPT MAC verification key of the body's KSN over fields 4,
    38, 39, 48, 49, 53 of the answer; field 48 is the SHA-256 of the
    payment request JWS (the one submitted: this fake issued nothing)."""
    from cryptography.hazmat.primitives import cmac
    from cryptography.hazmat.primitives.ciphers import algorithms
    keys = json.loads(subprocess.run(
        [os.path.join(B, 'payterm-keytool'), '--json', 'dukpt-keys', '--bdk',
         BDK, '--ksn', body['ksn']], check=True, capture_output=True,
        text=True).stdout)
    pl = json.loads(base64.urlsafe_b64decode(
        body['request'].split('.')[1] + '=='))
    fmt = body.get('pin_block_format')
    f53 = bytes([1, 2, 0xff if fmt is None else fmt, 0]) + \
        bytes.fromhex(body['ksn']) + bytes(32)
    data = b'004' + b'%012d' % body['amount'] + b'038' + \
        auth.ljust(6).encode() + b'039' + rc.encode() + b'048064' + \
        hashlib.sha256(body['request'].encode()).hexdigest().encode() + \
        b'049' + pl['currency_numeric'].encode() + b'053' + f53
    c = cmac.CMAC(algorithms.AES(bytes.fromhex(keys['mac_ver_key'])))
    c.update(data)
    return c.finalize()[:8].hex().upper()


# ---------------------------------------------------------------- setup

def b64(x):
    return base64.urlsafe_b64encode(x).rstrip(b'=').decode()


SEQ = [0]
KEY = None
D = None
SINK = None
ICC = None
PICC = None
PAD = None


def request(amount=1234):
    SEQ[0] += 1
    now = int(time.time())
    h = b64(json.dumps({'alg': 'ES256', 'typ': 'payterm-request+jws',
                        'kid': 'payterm-1'}).encode())
    p = b64(json.dumps({
        'iss': 'payterm-server', 'request_id': 'req_emv_%d' % SEQ[0],
        'merchant_id': 'MERCHANT0001', 'order_id': 'order-emv-%d' % SEQ[0],
        'amount': amount, 'currency': 'EUR', 'currency_numeric': '978',
        'description': 'vm emv test', 'terminal_id': 'TERM0001',
        'iat': now - 10, 'exp': now + 600}).encode())
    r, s = decode_dss_signature(KEY.sign((h + '.' + p).encode(),
                                         ec.ECDSA(hashes.SHA256())))
    path = '%s/req-%d.jws' % (W, SEQ[0])
    with open(path, 'w') as f:
        f.write(h + '.' + p + '.' + b64(r.to_bytes(32, 'big') +
                                        s.to_bytes(32, 'big')))
    return path


def ctl(*args, timeout=20):
    return _ctl(ENV, *args, timeout=timeout)


def Pay(req):
    return _Pay(ENV, req)


def leak_check():
    time.sleep(0.3)
    found = scan_memory(D.p.pid, SECRETS)
    found += ['%s in daemon output' % canary(s, SECRETS) for s in SECRETS
              if s in open(W + '/paytermd.log', 'rb').read()]
    found += scan_files(['/tmp', '/run'], SECRETS,
                        skip=lambda p: p.startswith(W + '/pki'))
    assert not found, 'sensitive data left:\n' + '\n'.join(found)


def enter_pin(pay, pin=PIN):
    pay.wait('Enter PIN')
    for i, ch in enumerate(pin):
        PAD.key(int(ch))
        pay.wait('PIN: ' + re.escape('*' * (i + 1)) + '$')
    PAD.key(KEY_ENTER)


def insert(card, tap=False):
    rd = PICC if tap else ICC
    rd.responder = card
    card.reader = rd
    sink_card[0] = card
    if tap:
        rd.card(CARD_TAP, atr=card.emu.atr)
    else:
        rd.card(CARD_INSERT, atr=card.emu.atr)


def remove(tap=False):
    try:
        (PICC if tap else ICC).card(CARD_REMOVE)
    except OSError:
        pass            # already gone


def clean():
    """After a failed case: no card in the field, no payment running."""
    remove()
    remove(tap=True)
    ctl('cancel')
    assert wait_until(lambda: 'Terminal: idle' in ctl('status').stdout, 10)


@T.case
def t_start():
    global KEY, D, SINK, ICC, PICC, PAD
    os.makedirs(W, exist_ok=True)
    os.chmod(W, 0o700)
    subprocess.run([os.path.join(ROOT, 'tools', 'gen-test-pki'), W + '/pki',
                    '-t', 'TERM0001'], check=True, stdout=subprocess.DEVNULL)
    start_bus(W)
    make_keystore(W, BDK, '1234567890123456')
    KEY = ec.generate_private_key(ec.SECP256R1())
    with open(W + '/sign.pub', 'wb') as f:
        f.write(KEY.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo))
    SINK = Sink(W + '/pki')
    write_config(W, 'https://localhost:%d' % SINK.port, W + '/pki/ca.crt',
                 W + '/pki/terminal-TERM0001.crt',
                 W + '/pki/terminal-TERM0001.key', W + '/sign.pub',
                 'TERM0001', 'MERCHANT0001',
                 '[pin]\ncontactless_cvm_limit = 5000\n')
    D = _Daemon(W, ENV)
    ICC = Virt(CAP_ICC, name='vm-chip')
    PICC = Virt(CAP_PICC, name='vm-contactless')
    PAD = Virt(CAP_PINPAD, name='vm-pinpad')
    assert wait_until(lambda: ctl('readers').stdout.count('/dev/payterm') >= 3,
                      5), ctl('readers').stdout


def approved(pay, n_before, cid):
    rc, out = pay.finish()
    assert rc == 0 and 'Result: approved' in out, out
    assert len(SINK.bodies) == n_before + 1, SINK.bodies
    ok, why = SINK.checks[-1]
    assert ok and why == cid, why
    # the bank's check (docs/protocol.md "ARQC algorithm") from field 55
    # alone: MAC under the session key of the card's key and the ATC over
    # the CDOL1 data || AIP || ATC
    body = SINK.bodies[-1]
    t = emv_card.parse_tlv(bytes.fromhex(body['icc_data']))
    dol = bytes.fromhex(VISA['chip']['cdol1'])
    data, i = b'', 0
    while i < len(dol):
        j = i + (2 if dol[i] & 0x1f == 0x1f else 1)
        data += t[dol[i:j].hex().upper()]
        i = j + 1
    ac = emv_card.compute_ac(CARDS[cid], data, t['82'],
                             int.from_bytes(t['9F36'], 'big'))
    assert ac == t['9F26'], (ac.hex(), t['9F26'].hex())
    return body, out


@T.case
def t_chip_pin_approved():
    clean()
    n = len(SINK.bodies)
    card = Card('visa-ok', 'tpdu')
    pay = Pay(request(1234))
    pay.wait('Present card')
    insert(card)
    pay.wait('Card: 476173\\*+0010')
    enter_pin(pay)
    body, out = approved(pay, n, 'visa-ok')
    remove()
    assert body['entry_mode'] == '051', body
    assert body.get('pin_block') and body.get('card_data'), body
    # PSE, priority 1 application (format 2), records, one ARQC
    assert card.cmds[0] == '00A40400' and '80AE8000' in card.cmds, card.cmds
    assert card.procedure >= 4, card.procedure      # 61xx / 6Cxx followed
    icc = emv_card.parse_tlv(bytes.fromhex(body['icc_data']))
    assert icc['84'] == bytes.fromhex('A0000000031010'), icc
    assert icc['9F02'] == bytes.fromhex('000000001234'), icc
    assert icc['5F2A'] == bytes.fromhex('0978'), icc
    assert icc['9F34'] == bytes.fromhex('420300'), icc
    assert len(card.emu.log) == 1 and \
        card.emu.log[0]['ac'] == icc['9F26'].hex().upper()
    leak_check()


@T.case
def t_tap_no_pin_approved():
    """Amount within contactless_cvm_limit: no PIN (9F34 1F0002)."""
    clean()
    n = len(SINK.bodies)
    card = Card('mc-ok-cl', 'apdu')
    pay = Pay(request(1500))
    pay.wait('Present card')
    insert(card, tap=True)
    body, out = approved(pay, n, 'mc-ok-cl')
    assert 'Enter PIN' not in out, out
    remove(tap=True)
    assert body['entry_mode'] == '071' and not body.get('pin_block'), body
    assert card.cmds[0] == '00A40400' and card.procedure == 0
    icc = emv_card.parse_tlv(bytes.fromhex(body['icc_data']))
    assert icc['84'] == bytes.fromhex('A0000000041010'), icc
    assert icc['9F34'] == bytes.fromhex('1F0002'), icc
    leak_check()


@T.case
def t_tap_pin_above_limit():
    """Amount above contactless_cvm_limit: online PIN after the tap."""
    clean()
    n = len(SINK.bodies)
    card = Card('visa-ok-cl', 'apdu')
    pay = Pay(request(7500))
    pay.wait('Present card')
    insert(card, tap=True)
    pay.wait('Card: 476173\\*+0010')
    remove(tap=True)        # the card may leave once read
    enter_pin(pay)
    body, out = approved(pay, n, 'visa-ok-cl')
    assert body['entry_mode'] == '071' and body.get('pin_block'), body
    icc = emv_card.parse_tlv(bytes.fromhex(body['icc_data']))
    assert icc['9F34'] == bytes.fromhex('420300'), icc
    leak_check()


@T.case
def t_card_removed_mid_exchange():
    clean()
    n = len(SINK.bodies)
    card = Card('visa-ok', 'tpdu', remove_at=6)   # during READ RECORD
    pay = Pay(request())
    pay.wait('Present card')
    insert(card)
    rc, out = pay.finish()
    assert rc == 1 and 'Card removed' in out, out
    assert len(SINK.bodies) == n
    leak_check()


@T.case
def t_card_removed_before_pin():
    clean()
    n = len(SINK.bodies)
    pay = Pay(request())
    pay.wait('Present card')
    insert(Card('visa-ok', 'tpdu'))
    pay.wait('Enter PIN')
    PAD.key(1)
    remove()
    rc, out = pay.finish()
    assert rc == 1 and 'Card removed' in out, out
    assert len(SINK.bodies) == n
    leak_check()


@T.case
def t_mute_card_then_cancel():
    clean()
    old = open(PARAM).read().strip()
    with open(PARAM, 'w') as f:
        f.write('800')
    try:
        pay = Pay(request())
        pay.wait('Present card')
        insert(Card('visa-ok', 'tpdu', mute_at=3))
        pay.wait('Card not answering')
        remove()
        ctl('cancel')
        rc, out = pay.finish()
        assert rc == 7, out
    finally:
        with open(PARAM, 'w') as f:
            f.write(old)
    leak_check()


@T.case
def t_card_blocked():
    """6A81 to SELECT: the card is blocked, no fallback, nothing sent."""
    clean()
    n = len(SINK.bodies)
    pay = Pay(request())
    pay.wait('Present card')
    insert(Card('visa-ok', 'tpdu', select_sw=b'\x6a\x81'))
    rc, out = pay.finish()
    remove()
    assert rc == 1 and 'Card blocked' in out, out
    assert len(SINK.bodies) == n
    leak_check()


@T.case
def t_no_matching_application():
    """Only an AID the terminal does not accept (and no swipe reader)."""
    clean()
    pay = Pay(request())
    pay.wait('Present card')
    card = Card('visa-ok', 'tpdu', aids=[{'aid': 'A0000000251010',
                                           'label': 'OTHER', 'priority': 1,
                                           'gpo_format': 2}])
    insert(card)
    pay.wait('Card not supported: try again')
    assert '80A80000' not in card.cmds, card.cmds     # no GPO
    remove()
    # the same payment goes on with a supported card
    insert(Card('visa-ok', 'tpdu'))
    pay.wait('Enter PIN')
    ctl('cancel')
    rc, out = pay.finish()
    remove()
    assert rc == 7, out
    leak_check()


@T.case
def t_end():
    D.stop()


if __name__ == '__main__':
    sys.exit(T.run(sys.argv))
