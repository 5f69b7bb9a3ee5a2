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
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', '..', 'e2e', 'lib'))
import pslib  # noqa: E402
from payterm_uapi import (CAP_MSR, CAP_PINPAD, KEY_ENTER, Virt,  # noqa: E402
                          wait_until)
from paytermd_lib import (Daemon, Pay, ctl, make_keystore, start_bus,  # noqa: E402
                          write_config)

TERMINAL = 'T1'
PHONE = '+4915100000000'        # the phone number pslib registers for T1


class PaymentEnv:
    def __init__(self, bank_args=(), daemon_conf='', server_over=None,
                 verbose=False):
        self.verbose = verbose
        self.env = pslib.Env('vm', terminals=(TERMINAL,), bank_args=bank_args)
        self.hsrv, self.hooks, hport = pslib.http_receiver()
        self.callback = 'http://127.0.0.1:%d/hook' % hport
        self.server = self.env.start_server(
            self.env.server_config(**(server_over or {})))
        self.secret = self.env.merchant['webhook_secret']
        self.w = self.env.p('term')
        os.makedirs(self.w, mode=0o700)
        self.bus = start_bus(self.w)
        make_keystore(self.w, pslib.BDK, pslib.IKID)
        pki = self.env.pki
        write_config(self.w, 'https://localhost:%d' % self.server.tport,
                     pki + '/ca.crt', pki + '/terminal-%s.crt' % TERMINAL,
                     pki + '/terminal-%s.key' % TERMINAL, pki + '/jws.pub',
                     TERMINAL, self.env.merchant['id'],
                     '[keys]\npin_block_format = 4\n' + daemon_conf)
        self.daemon = Daemon(self.w, self.bus)
        self.msr = Virt(CAP_MSR, name='virtual-msr')
        self.pad = Virt(CAP_PINPAD, name='virtual-pinpad')
        assert wait_until(lambda: self.ctl('readers').stdout.count(
            '/dev/payterm') >= 2, 5), self.ctl('readers').stdout
        self.seq = 0

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

    # terminal side ----------------------------------------------------
    def pay(self, request_path, *opts, echo=None):
        return Pay(self.bus, request_path, *opts, echo=echo)

    def swipe_and_pin(self, pay, card, pin=None, enter=True, key_delay=0):
        pay.wait('Present card')
        self.msr.swipe(card['track1'], card['track2'])
        pay.wait('Card: %s\\*+%s' % (card['pan'][:6], card['pan'][-4:]))
        pay.wait('Enter PIN')
        pin = card['pin'] if pin is None else pin
        for i, ch in enumerate(pin):
            if key_delay:
                time.sleep(key_delay)
            self.pad.key(int(ch))
            pay.wait('PIN: ' + re.escape('*' * (i + 1)) + '$')
        if enter:
            self.pad.key(KEY_ENTER)

    # teardown ---------------------------------------------------------
    def close(self, ok=True):
        for v in (self.msr, self.pad):
            if v:
                v.close()
        if self.daemon.p.poll() is None:
            self.daemon.stop()
        try:
            os.kill(int(open(self.w + '/bus.pid').read()), signal.SIGTERM)
        except (OSError, ValueError):
            pass
        self.hsrv.shutdown()
        return self.env.cleanup(ok)
