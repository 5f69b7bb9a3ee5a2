# SPDX-License-Identifier: GPL-2.0-or-later
"""The whole payment stack inside the VM, for tests/vm/t-payment, the demo
and the benchmark: a fresh test PKI, payterm-bank and payterm-server on
127.0.0.1 (tests/e2e/lib/pslib.py, shared with the host e2e tests), a
webhook receiver, a private system bus with paytermd configured for that
server (mutual TLS, pinned CA, the server's JWS key, AES DUKPT key store
loaded from a TR-31 block, PIN block format 4) and virtual MSR + PIN pad
readers.  Everything lives under one temporary directory in the guest's
/tmp (the host tree is read-only there).  Run after
tests/vm/load-modules payterm payterm_virt."""
import os
import re
import signal
import sqlite3
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', '..', 'e2e', 'lib'))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'fakes'))
import pslib  # noqa: E402
from payterm_uapi import (CAP_ICC, CAP_MSR, CAP_PICC, CAP_PINPAD,  # noqa: E402
                          CARD_INSERT, CARD_REMOVE, CARD_TAP, KEY_ENTER, Virt,
                          wait_until)
from paytermd_lib import (Daemon, Pay, ctl, make_keystore, start_bus,  # noqa: E402
                          write_config)
from virt_card import Card  # noqa: E402

TERMINAL = 'T1'
PHONE = '+4915100000000'        # the phone number pslib registers for T1


class PaymentEnv:
    """PROXY: paytermd talks to a hostile server (tests/fakes/evil_server.py,
    self.proxy: an HTTPS proxy with the server's certificate in front of
    the real payterm-server) instead of the server itself."""

    def __init__(self, bank_args=(), daemon_conf='', server_over=None,
                 proxy=False):
        self.bank_args = tuple(bank_args)
        self.env = pslib.Env('vm', terminals=(TERMINAL,), bank_args=bank_args)
        self.hsrv, self.hooks, hport = pslib.http_receiver()
        self.callback = 'http://127.0.0.1:%d/hook' % hport
        # the SMS gateway (step 3, payer addressed by phone): GET ?to=&text=
        self.ssrv, self.sms, sport = pslib.http_receiver()
        over = dict(sms={'url_template': 'http://127.0.0.1:%d/sms?to={to}'
                         '&text={text}' % sport}, **(server_over or {}))
        self.server = self.env.start_server(self.env.server_config(**over))
        self.secret = self.env.merchant['webhook_secret']
        self.proxy = None
        if proxy:
            from evil_server import EvilServer
            self.proxy = EvilServer(self.env.pki, self.server.tport)
        self.w = self.env.p('term')
        os.makedirs(self.w, mode=0o700)
        self.bus = start_bus(self.w)
        make_keystore(self.w, pslib.BDK, pslib.IKID)
        self.daemon_conf = daemon_conf
        self.configure()
        self.daemon = Daemon(self.w, self.bus)
        self.msr = Virt(CAP_MSR, name='virtual-msr')
        self.pad = Virt(CAP_PINPAD, name='virtual-pinpad')
        # contact slot 0, contactless slot 1; the EMV test card emulator
        # answers the APDUs at APDU level (virt_card.Card)
        self.chip = None
        self.icc = Virt(CAP_ICC | CAP_PICC, slots=2, name='virtual-chip',
                        responder=self._apdu)
        assert wait_until(lambda: self.ctl('readers').stdout.count(
            '/dev/payterm') >= 3, 5), self.ctl('readers').stdout
        self.seq = 0

    def configure(self, ca=None, cert=None, key=None):
        """Write paytermd.conf: pinned CA, client certificate and key
        (default: the test CA, terminal T1's) and the server's JWS key."""
        pki = self.env.pki
        port = self.proxy.port if self.proxy else self.server.tport
        write_config(self.w, 'https://localhost:%d' % port,
                     ca or pki + '/ca.crt',
                     cert or pki + '/terminal-%s.crt' % TERMINAL,
                     key or pki + '/terminal-%s.key' % TERMINAL,
                     pki + '/jws.pub', TERMINAL, self.env.merchant['id'],
                     '[keys]\npin_block_format = 4\n' + self.daemon_conf)

    def restart_daemon(self, **conf):
        """paytermd again with configure(**conf)."""
        self.daemon.stop()
        self.configure(**conf)
        self.daemon = Daemon(self.w, self.bus)

    def kill_daemon(self):
        """kill -9 paytermd (no clean-up of any kind)."""
        self.daemon.p.send_signal(signal.SIGKILL)
        self.daemon.p.wait(10)

    def start_daemon(self):
        """paytermd again after kill_daemon(), same configuration."""
        self.daemon = Daemon(self.w, self.bus)

    def inflight(self):
        """Names of the daemon's in-flight journal records (state_dir/inflight)."""
        try:
            return sorted(f for f in os.listdir(self.w + '/state/inflight')
                          if not f.startswith('.'))
        except FileNotFoundError:
            return []

    # what the bank and the server recorded --------------------------------
    @staticmethod
    def _rows(path, sql, args=()):
        c = sqlite3.connect(path, timeout=10)
        try:
            c.row_factory = sqlite3.Row
            return [dict(r) for r in c.execute(sql, args)]
        finally:
            c.close()

    def server_payments(self, order_id):
        """payterm-server's payments of ORDER_ID, oldest first."""
        db = self.server.cfg['db'].split(':', 1)[1]
        return self._rows(db, 'SELECT p.id, p.idem_key, p.stan, p.tx_time,'
                          ' p.state, p.response_code, p.was_approved, p.amount'
                          ' FROM payments p JOIN orders o ON o.id = p.order_pk'
                          ' WHERE o.order_id = ? ORDER BY p.created_at',
                          (order_id,))

    def server_request_jws(self, order_id):
        """The payment request JWS payterm-server issued for ORDER_ID."""
        db = self.server.cfg['db'].split(':', 1)[1]
        rows = self._rows(db, 'SELECT r.jws FROM requests r JOIN orders o'
                          ' ON o.id = r.order_pk WHERE o.order_id = ?',
                          (order_id,))
        return rows[0]['jws'] if rows else None

    def bank_txns(self, order_id=None):
        """payterm-bank's transaction records (all of terminal T1's, or
        those of ORDER_ID's payments: matched on STAN + date-time)."""
        rows = self._rows(self.env.p('bank.db'),
                          'SELECT stan, tdt, amount, rc, state, req_hash'
                          ' FROM txns'
                          " WHERE rtrim(tid) = ?", (TERMINAL,))
        if order_id is None:
            return rows
        keys = {('%06d' % p['stan'], p['tx_time'])
                for p in self.server_payments(order_id)}
        return [r for r in rows if (r['stan'], r['tdt']) in keys]

    def card_balance(self, card_id):
        return self._rows(self.env.p('bank.db'), 'SELECT balance FROM cards'
                          ' WHERE id = ?', (card_id,))[0]['balance']

    def restart_bank(self):
        """Start the bank again (same port, database and options)."""
        self.env.start_bank(*self.bank_args)

    def ctl(self, *args, **kw):
        return ctl(self.bus, *args, **kw)

    # merchant side ----------------------------------------------------
    def order(self, amount=1234, callback=True, **kw):
        """POST /v1/orders for the payer's phone (routed to terminal T1)."""
        self.seq += 1
        return self.server.create_order(
            amount=amount, payer={'type': 'phone', 'value': PHONE},
            callback=self.callback if callback else None, **kw)

    def request_file(self, order):
        """The order's signed request from T1's pull queue, as a file."""
        jws = self.server.request_for(order, TERMINAL)['jws']
        path = '%s/%s.jws' % (self.w, order['request_id'])
        with open(path, 'w') as f:
            f.write(jws)
        return path

    def webhook(self, order_id, event, timeout=20):
        """The webhook EVENT for ORDER_ID, its HMAC checked with openssl."""
        want = ('"type":"%s"' % event).encode()
        oid = ('"order_id":"%s"' % order_id).encode()
        got = self.hooks.wait(lambda h: want in h['body'] and oid in h['body'],
                              1, timeout)
        assert got, 'no %s webhook for %s' % (event, order_id)
        h = got[0]
        ok, parts = pslib.verify_webhook_openssl(
            self.secret, h['headers']['Payterm-Signature'], h['body'])
        assert ok, 'webhook signature does not verify: %r' % h
        return h, parts

    def sms_text(self, order, timeout=10):
        """(to, text, jws) of the SMS the server sent for ORDER."""
        def mine(h):
            jws = self._sms(h)[2]
            return jws and pslib.jws_payload(jws)['request_id'] == \
                order['request_id']
        got = self.sms.wait(mine, 1, timeout)
        assert got, 'no SMS for %s' % order['request_id']
        return self._sms(got[0])

    @staticmethod
    def _sms(h):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(h['path']).query)
        text = q.get('text', [''])[0]
        m = re.search(r'payterm-request: (\S+)', text)
        return q.get('to', [''])[0], text, m.group(1) if m else None

    # terminal side ----------------------------------------------------
    def pay(self, request_path, *opts, echo=None):
        return Pay(self.bus, request_path, *opts, echo=echo)

    def swipe_and_pin(self, pay, card, pin=None, enter=True, key_delay=0):
        pay.wait('Present card')
        self.msr.swipe(card['track1'], card['track2'])
        pay.wait('Card: %s\\*+%s' % (card['pan'][:6], card['pan'][-4:]))
        self.type_pin(pay, card['pin'] if pin is None else pin, enter,
                      key_delay)

    def _apdu(self, capdu):
        if self.chip is None:
            return (0, b'\x6f\x00')
        return self.chip(capdu)

    def insert(self, pay, card_id):
        """Insert chip card CARD_ID (an id of tests/data/cards.json)."""
        pay.wait('Present card')
        self.chip = Card(card_id, 'apdu')
        self.icc.card(CARD_INSERT, slot=0, atr=self.chip.emu.atr)

    def tap(self, pay, card_id):
        """Tap the contactless side of CARD_ID."""
        pay.wait('Present card')
        self.chip = Card(card_id + '-cl', 'apdu')
        self.icc.card(CARD_TAP, slot=1, atr=self.chip.emu.atr)

    def remove(self, slot):
        self.icc.card(CARD_REMOVE, slot=slot)
        self.chip = None

    def type_pin(self, pay, pin, enter=True, key_delay=0):
        pay.wait('Enter PIN')
        for i, ch in enumerate(pin):
            if key_delay:
                time.sleep(key_delay)
            self.pad.key(int(ch))
            pay.wait('PIN: ' + re.escape('*' * (i + 1)) + '$')
        if enter:
            self.pad.key(KEY_ENTER)

    # teardown ---------------------------------------------------------
    def close(self, ok=True):
        for v in (self.msr, self.pad, self.icc):
            if v:
                v.close()
        if self.daemon.p.poll() is None:
            self.daemon.stop()
        try:
            os.kill(int(open(self.w + '/bus.pid').read()), signal.SIGTERM)
        except (OSError, ValueError):
            pass
        self.hsrv.shutdown()
        self.ssrv.shutdown()
        if self.proxy:
            self.proxy.close()
        return self.env.cleanup(ok)
