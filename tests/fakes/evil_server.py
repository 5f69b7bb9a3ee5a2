# SPDX-License-Identifier: GPL-2.0-or-later
"""A hostile payment server for paytermd's tests (tests/vm/t-evil-server,
tests/vm/t-faults).

EvilServer is an HTTPS proxy between paytermd and the real payterm-server.
It holds what a compromised server holds: payterm-server's TLS certificate
and key (paytermd pins the CA and checks the name, so it cannot tell the
proxy from the server) and a client certificate of the terminal, with
which it forwards every request to the real server.  The real server and
the real bank therefore do everything they normally do (authorise, debit,
reverse, record), and the proxy tampers only with what paytermd is told.

What it does to the answers of POST /v1/terminal/payments (the submission)
is chosen with `mode` (status queries and reversals are forwarded as they
are unless `all_paths` is set):

  pass         forward unchanged; an approval that carries a response MAC
               is remembered (`saved`) for `replay`
  flip         a decline becomes an approval: state approved, approved
               true, response_code 00, an auth_code; the bank's MAC is kept
  flip-rc      a decline's response_code becomes 00 (with an auth_code),
               state and approved left alone, the MAC removed
  flip-nomac   as flip, the MAC removed
  amount       an approval's amount (and currency) changed, MAC kept
  replay       the answer replaced by `saved`, an earlier approval with a
               valid MAC of another transaction (another KSN)
  unmac        the response MAC removed from an approval
  forge        not forwarded at all: a made-up approval without a MAC
  drop         forwarded, then the connection is closed without an answer
  hang         forwarded, then no answer until the client gives up
  garbage      forwarded, answered 200 with a body that is not JSON
  garbage-raw  forwarded, answered with bytes that are not HTTP at all

`tamper` limits how many submissions are tampered with (None: all).
`set_down('refuse')` closes the listening socket and every connection
(connections are refused, as by a stopped server), `set_down('tls')`
accepts TCP but closes before the TLS handshake, `set_down(None)` listens
again on the same port.  `hold` (a threading.Event, set = go) holds each
request before it is forwarded (nothing reaches the server meanwhile);
with `drop_held` true, requests held are dropped when it is set again.
`after_tamper`, when set, is called (once) right after a tampered answer.
`log` lists every request: method, path, mode applied, upstream status.
"""
import http.client
import json
import os
import socket
import socketserver
import ssl
import threading
import time

SUBMIT = '/v1/terminal/payments'


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class EvilServer:
    def __init__(self, pki, upstream_port, term='T1', port=0, timeout=60):
        self.pki = pki
        self.upstream_port = upstream_port
        self.timeout = timeout
        self.mode = 'pass'
        self.tamper = None
        self.all_paths = False
        self.saved = None
        self.log = []
        self.down = None
        self.hold = threading.Event()
        self.hold.set()
        self.drop_held = False
        self.after_tamper = None
        self.lock = threading.Lock()
        self.conns = set()
        self.sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.sctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.sctx.load_cert_chain(os.path.join(pki, 'server.crt'),
                                  os.path.join(pki, 'server.key'))
        self.sctx.verify_mode = ssl.CERT_OPTIONAL
        self.sctx.load_verify_locations(os.path.join(pki, 'ca.crt'))
        self.cctx = ssl.create_default_context(
            cafile=os.path.join(pki, 'ca.crt'))
        self.cctx.load_cert_chain(os.path.join(pki, 'terminal-%s.crt' % term),
                                  os.path.join(pki, 'terminal-%s.key' % term))
        self.port = port
        self.srv = None
        self._listen()

    # listening ---------------------------------------------------------
    def _listen(self):
        outer = self

        class H(socketserver.BaseRequestHandler):
            def handle(self):
                outer._conn(self.request)

        self.srv = _Server(('127.0.0.1', self.port), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True,
                         kwargs={'poll_interval': 0.1}).start()

    def set_down(self, how):
        """'refuse', 'tls' or None (up again, same port)."""
        if how == 'refuse' and self.srv:
            self.srv.shutdown()
            self.srv.server_close()
            self.srv = None
        with self.lock:
            for c in list(self.conns):
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.down = how
        if how is None and self.srv is None:
            for _ in range(50):
                try:
                    self._listen()
                    break
                except OSError:
                    time.sleep(0.1)

    def close(self):
        self.set_down('refuse')

    def _record(self, **kw):
        kw['t'] = time.time()
        with self.lock:
            self.log.append(kw)

    # one client connection (keep-alive: several requests) ----------------
    def _conn(self, raw):
        if self.down == 'tls':
            raw.close()
            return
        try:
            raw.settimeout(self.timeout)
            s = self.sctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        with self.lock:
            self.conns.add(s)
        f = s.makefile('rb')
        try:
            while self._one(s, f):
                pass
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with self.lock:
                self.conns.discard(s)
            try:
                s.close()
            except OSError:
                pass

    def _one(self, s, f):
        line = f.readline(8192)
        if not line:
            return False
        method, path, _ = line.decode('latin-1').split(' ', 2)
        headers = {}
        while True:
            h = f.readline(8192).decode('latin-1')
            if h in ('\r\n', '\n', ''):
                break
            k, v = h.split(':', 1)
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get('content-length', '0'))
        body = f.read(n) if n else b''
        held = not self.hold.is_set()
        if held:
            self._record(method=method, path=path, mode='held', upstream=None)
        self.hold.wait()
        if held and self.drop_held:
            self._record(method=method, path=path, mode='held-dropped',
                         upstream=None)
            return False
        submit = method == 'POST' and path == SUBMIT
        mode = self.mode if (submit or self.all_paths) else 'pass'
        if mode != 'pass' and self.tamper is not None:
            with self.lock:
                if self.tamper <= 0:
                    mode = 'pass'
                else:
                    self.tamper -= 1
        if mode == 'forge':
            self._record(method=method, path=path, mode=mode, upstream=None)
            v = json.loads(body) if submit else {}
            fake = {'object': 'payment', 'payment_id': 'pay_forged%s' %
                    os.urandom(6).hex(), 'state': 'approved',
                    'response_code': '00', 'auth_code': 'FRG001',
                    'approved': True, 'amount': v.get('amount'),
                    'currency': v.get('currency'),
                    'order_id': v.get('order_id')}
            return self._reply(s, 200, json.dumps(fake).encode())
        try:
            st, rbody = self._forward(method, path, headers, body)
        except (OSError, http.client.HTTPException) as e:
            self._record(method=method, path=path, mode=mode, upstream=str(e))
            return False
        self._record(method=method, path=path, mode=mode, upstream=st,
                     body=rbody[:2000])
        if submit and st == 200:
            try:
                v = json.loads(rbody)
            except ValueError:
                v = None
            if mode == 'pass' and v and v.get('response_mac') and \
                    v.get('response_code') == '00':
                self.saved = rbody
        if mode == 'pass' or st != 200:
            return self._reply(s, st, rbody)
        cb, self.after_tamper = self.after_tamper, None
        try:
            return self._tampered(s, mode, rbody)
        finally:
            if cb:
                cb()

    def _tampered(self, s, mode, rbody):
        if mode == 'drop':
            return False
        if mode == 'hang':
            time.sleep(self.timeout)
            return False
        if mode == 'garbage':
            return self._reply(s, 200, b'\x00{"state": "approved", garbage \xff')
        if mode == 'garbage-raw':
            s.sendall(b'\x16\x03\x01 this is not HTTP \xff\xfe\r\n\r\n')
            return False
        v = json.loads(rbody)
        if mode == 'flip' and v.get('response_code') != '00':
            v.update(state='approved', approved=True, response_code='00',
                     auth_code='EVL001')
        elif mode == 'flip-rc' and v.get('response_code') != '00':
            v.update(response_code='00', auth_code='EVL002')
            v.pop('response_mac', None)
        elif mode == 'flip-nomac' and v.get('response_code') != '00':
            v.update(state='approved', approved=True, response_code='00',
                     auth_code='EVL003')
            v.pop('response_mac', None)
        elif mode == 'amount' and v.get('response_code') == '00':
            v['amount'] = v['amount'] * 10 + 1
        elif mode == 'unmac':
            v.pop('response_mac', None)
        elif mode == 'replay' and self.saved:
            return self._reply(s, 200, self.saved)
        return self._reply(s, 200, json.dumps(v).encode())

    def _forward(self, method, path, headers, body):
        c = http.client.HTTPSConnection('localhost', self.upstream_port,
                                        context=self.cctx,
                                        timeout=self.timeout)
        try:
            h = {k: headers[k] for k in ('content-type', 'accept',
                                         'idempotency-key') if k in headers}
            c.request(method, path, body=body if method == 'POST' else None,
                      headers=h)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    @staticmethod
    def _reply(s, status, body):
        head = ('HTTP/1.1 %d X\r\nContent-Type: application/json\r\n'
                'Content-Length: %d\r\n\r\n' % (status, len(body)))
        s.sendall(head.encode() + body)
        return True
