# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the payterm-server end-to-end tests (tests/e2e/t-server*).

Starts payterm-bank and payterm-server on 127.0.0.1 with a fresh test PKI in
a temporary directory, talks to both APIs over real TLS with the Python
standard library, runs local fake SMTP / SMS / webhook receivers, builds the
terminal's encrypted payload with pt-termpay, and at the end scans every file
the server wrote (database, WAL, logs) for test card data.  Test keys only.
"""
import base64
import hashlib
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUILD = os.path.join(ROOT, "build")
CARDS = os.path.join(ROOT, "tests", "data", "cards.json")
BDK = "FEDCBA9876543210F1F1F1F1F1F1F1F1"   # test AES-128 BDK
BDK_ID = "0A0B0C0D"
IKID = BDK_ID + "00000001"


def log(*a):
    print(*a, flush=True)


def fail(msg):
    log("FAIL:", msg)
    raise SystemExit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cards():
    with open(CARDS) as f:
        return json.load(f)


def card(cid):
    for c in cards()["cards"]:
        if c["id"] == cid:
            return c
    raise KeyError(cid)


# ---------------------------------------------------------------- receivers
class Recorder:
    """Thread-safe list of received items with a wait helper."""

    def __init__(self):
        self.items = []
        self.cv = threading.Condition()

    def add(self, item):
        with self.cv:
            self.items.append(item)
            self.cv.notify_all()

    def wait(self, pred=lambda it: True, count=1, timeout=20):
        end = time.time() + timeout
        with self.cv:
            while True:
                got = [i for i in self.items if pred(i)]
                if len(got) >= count:
                    return got
                left = end - time.time()
                if left <= 0:
                    return got
                self.cv.wait(left)


class _ThreadingHTTP(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def http_receiver(port=0, status=200):
    """HTTP server recording (method, path, headers, body); returns (srv, rec, port)."""
    rec = Recorder()

    class H(http.server.BaseHTTPRequestHandler):
        def _do(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            rec.add({"method": self.command, "path": self.path,
                     "headers": dict(self.headers), "body": body})
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_GET = do_POST = _do

        def log_message(self, *a):
            pass

    srv = _ThreadingHTTP(("127.0.0.1", port), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, rec, srv.server_address[1]


def smtp_receiver():
    """Minimal SMTP server: records {'from','to','data'}; returns (srv, rec, port)."""
    rec = Recorder()

    class H(socketserver.StreamRequestHandler):
        def handle(self):
            w = lambda s: self.wfile.write(s.encode() + b"\r\n")
            w("220 fake-smtp ready")
            mail = {"from": None, "to": [], "data": b""}
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                cmd = line.decode(errors="replace").strip()
                up = cmd.upper()
                if up.startswith("EHLO") or up.startswith("HELO"):
                    w("250 fake-smtp")
                elif up.startswith("MAIL FROM:"):
                    mail["from"] = cmd[10:].strip()
                    w("250 ok")
                elif up.startswith("RCPT TO:"):
                    mail["to"].append(cmd[8:].strip())
                    w("250 ok")
                elif up == "DATA":
                    w("354 go ahead")
                    data = b""
                    while True:
                        l2 = self.rfile.readline()
                        if not l2 or l2 in (b".\r\n", b".\n"):
                            break
                        data += l2
                    mail["data"] = data
                    rec.add(dict(mail))
                    mail = {"from": None, "to": [], "data": b""}
                    w("250 queued")
                elif up == "QUIT":
                    w("221 bye")
                    return
                else:
                    w("250 ok")

    class S(socketserver.ThreadingMixIn, socketserver.TCPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = S(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, rec, srv.server_address[1]


# ---------------------------------------------------------------- processes
class Env:
    """A temp dir with PKI, one bank, and server instances."""

    def __init__(self, name, terminals=("T1", "T2"), bank_args=(), bank=True,
                 merchants=("M1",)):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="payterm-%s." % name)
        self.pki = os.path.join(self.dir, "pki")
        args = [os.path.join(ROOT, "tools", "gen-test-pki"), self.pki]
        for t in terminals:
            args += ["-t", t]
        for m in merchants:
            args += ["-m", m]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(self.pki, "pki.json")) as f:
            self.pkij = json.load(f)
        self.merchant = self.pkij["merchants"][0]
        self.procs = []
        self.servers = []
        self.counter = int(time.time()) % 100000 * 10 + 1
        self.counter_lock = threading.Lock()
        self.bank_port = None
        if bank:
            self.start_bank(*bank_args)

    def p(self, *a):
        return os.path.join(self.dir, *a)

    # bank ------------------------------------------------------------
    def start_bank(self, *extra):
        issuer = cards()["issuer"]
        cfg = {"listen": "127.0.0.1", "port": 0, "db": self.p("bank.db"),
               "pvk": issuer["pvk"], "imk_ac": issuer["imk_ac"],
               "decimalization_table": issuer["decimalization_table"],
               "pan_key": "11" * 32,
               "bdks": [{"scheme": "aes", "id": BDK_ID, "key": BDK}]}
        with open(self.p("bank.json"), "w") as f:
            json.dump(cfg, f)
        bank = os.path.join(BUILD, "payterm-bank")
        if not os.path.exists(self.p("bank.db")):
            subprocess.run([bank, "--config", self.p("bank.json"), "--init-db",
                            CARDS], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        pf = self.p("bank.port")
        if os.path.exists(pf):
            os.unlink(pf)
        port = self.bank_port or 0
        lf = open(self.p("bank.log"), "a")
        pr = subprocess.Popen([bank, "--config", self.p("bank.json"), "--port",
                               str(port), "--port-file", pf] + list(extra),
                              stdout=lf, stderr=lf)
        self.procs.append(pr)
        self.bank = pr
        for _ in range(100):
            if os.path.exists(pf) and open(pf).read().strip():
                break
            time.sleep(0.05)
        self.bank_port = int(open(pf).read().strip())
        return pr

    def stop_bank(self):
        self.bank.terminate()
        self.bank.wait(5)

    # server ----------------------------------------------------------
    def server_config(self, idx=0, db=None, **over):
        k = self.pkij
        d = self.pki
        terms = []
        for i, t in enumerate(k["terminals"]):
            terms.append({"id": t["id"], "cn": t["cn"], "serial": t["serial"],
                          "phone": "+4915100000%03d" % i,
                          "email": "payer-%s@example.test" % t["id"].lower()})
        cfg = {
            "merchant_listen": "127.0.0.1:%d" % free_port(),
            "terminal_listen": "127.0.0.1:%d" % free_port(),
            "tls": {"cert": os.path.join(d, "server.crt"),
                    "key": os.path.join(d, "server.key"),
                    "client_ca": os.path.join(d, "ca.crt")},
            "jws": {"key": os.path.join(d, "jws.key"), "kid": "test-1"},
            "db": db or ("sqlite:" + self.p("server%d.db" % idx)),
            "log": self.p("server%d.log" % idx),
            "workers": 1,
            "bank": {"host": "127.0.0.1", "port": self.bank_port or 1,
                     "timeout_ms": 2000, "reversal_retry_ms": 500},
            "requests": {"ttl_s": 120, "code_ttl_s": 60},
            # the test receivers listen on 127.0.0.1 (t-server-ssrf: the
            # default, false)
            "webhooks": {"retry_base_ms": 200, "retry_max_ms": 1000,
                         "max_attempts": 50, "timeout_ms": 2000,
                         "allow_private": True},
            "merchants": [{"id": m["id"], "api_key_sha256": m["api_key_sha256"],
                           "webhook_secret": m["webhook_secret"]}
                          for m in k["merchants"]],
            "terminals": terms,
        }
        for key, v in over.items():
            if isinstance(v, dict) and isinstance(cfg.get(key), dict):
                cfg[key].update(v)
            else:
                cfg[key] = v
        return cfg

    def start_server(self, cfg=None, idx=0, run_as=None):
        cfg = cfg or self.server_config(idx)
        path = self.p("server%d.json" % idx)
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1)
        cmd = [os.environ.get("PAYTERM_SERVER_BIN") or
               os.path.join(BUILD, "payterm-server"), "-c", path]
        err = open(self.p("server%d.stderr" % idx), "a")
        pr = subprocess.Popen(cmd, stdout=err, stderr=err)
        self.procs.append(pr)
        s = Server(self, cfg, pr)
        self.servers.append(s)
        s.wait_ready()
        return s

    def next_counter(self):
        with self.counter_lock:
            self.counter += 1
            return self.counter

    def cleanup(self, ok):
        """Stop everything; check sanitizer output and scan for card data.
        Returns False when a sanitizer reported an error."""
        for pr in self.procs:
            if pr.poll() is None:
                pr.terminate()
        for pr in self.procs:
            try:
                pr.wait(10)
            except subprocess.TimeoutExpired:
                pr.kill()
        for i in range(len(self.servers) + 2):
            ef = self.p("server%d.stderr" % i)
            if ok and os.path.exists(ef):
                err = open(ef, errors="replace").read()
                for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                    if bad in err:
                        ok = False
                        log("sanitizer report in %s:\n%s" % (ef, err[-3000:]))
        if ok:
            scan_for_card_data(self.dir)
        if ok and not os.environ.get("PAYTERM_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            log("kept", self.dir)
        return ok


class Server:
    def __init__(self, env, cfg, proc):
        self.env = env
        self.cfg = cfg
        self.proc = proc
        self.mport = int(cfg["merchant_listen"].rsplit(":", 1)[1])
        self.tport = int(cfg["terminal_listen"].rsplit(":", 1)[1])
        ca = os.path.join(env.pki, "ca.crt")
        self.mctx = ssl.create_default_context(cafile=ca)

    def tctx(self, term="T1", cert=None, key=None):
        ctx = ssl.create_default_context(cafile=os.path.join(self.env.pki, "ca.crt"))
        if cert is None and term:
            cert = os.path.join(self.env.pki, "terminal-%s.crt" % term)
            key = os.path.join(self.env.pki, "terminal-%s.key" % term)
        if cert:
            ctx.load_cert_chain(cert, key)
        return ctx

    def wait_ready(self):
        for _ in range(200):
            if self.proc.poll() is not None:
                fail("payterm-server exited: " +
                     open(self.env.p("server0.stderr")).read()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.tport), 0.2).close()
                socket.create_connection(("127.0.0.1", self.mport), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        fail("payterm-server did not start")

    # HTTP ------------------------------------------------------------
    @staticmethod
    def _req(conn, method, path, body=None, headers=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        raw = r.read()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw
        return r.status, data, raw

    def merchant(self, method, path, body=None, key=None, timeout=30):
        c = http.client.HTTPSConnection("localhost", self.mport, context=self.mctx,
                                        timeout=timeout)
        try:
            k = self.env.merchant["api_key"] if key is None else key
            return self._req(c, method, path, body,
                             {"Authorization": "Bearer " + k} if k else {})
        finally:
            c.close()

    def terminal(self, method, path, body=None, term="T1", idem=None,
                 conn=None, timeout=30, ctx=None):
        own = conn is None
        if own:
            conn = http.client.HTTPSConnection(
                "localhost", self.tport, context=ctx or self.tctx(term),
                timeout=timeout)
        try:
            return self._req(conn, method, path, body,
                             {"Idempotency-Key": idem} if idem else {})
        finally:
            if own:
                conn.close()

    # flows -----------------------------------------------------------
    def create_order(self, amount=1234, order_id=None, payer=None, currency="EUR",
                     callback=None, expect=201):
        oid = order_id or "ord-%d-%s" % (amount, os.urandom(4).hex())
        body = {"merchant_id": self.env.merchant["id"], "order_id": oid,
                "amount": amount, "currency": currency,
                "description": "test order",
                "payer": payer or {"type": "phone", "value": "+4915100000000"}}
        if callback:
            body["callback_url"] = callback
        st, data, raw = self.merchant("POST", "/v1/orders", body)
        check(st == expect, "create order: %s %s" % (st, raw[:300]))
        return data

    def pull(self, term="T1", after=0, wait=0):
        st, data, raw = self.terminal("GET", "/v1/terminal/requests?after=%d&wait=%d"
                                      % (after, wait), term=term)
        check(st == 200, "pull: %s %s" % (st, raw[:300]))
        return data

    def request_for(self, order, term="T1"):
        for r in self.pull(term)["requests"]:
            if r["request_id"] == order["request_id"]:
                return r
        fail("request %s not in %s's queue" % (order["request_id"], term))

    def payment_body(self, req_jws, card_id="visa-ok", pin=None, mac_amount=None,
                     mac_request=None, **override):
        """The terminal's submission for REQ_JWS.  Its MAC binds field 48,
        the SHA-256 of the JWS the terminal verified: MAC_REQUEST (default
        REQ_JWS) names another one, as a terminal tricked into it would."""
        pl = jws_payload(req_jws)
        c = card(card_id)
        out = subprocess.run(
            [os.path.join(BUILD, "tests", "e2e", "pt-termpay"), "--bdk", BDK,
             "--ikid", IKID, "--counter", str(self.env.next_counter()),
             "--track2", c["track2"], "--pin", pin or c["pin"],
             "--amount", str(mac_amount or pl["amount"]),
             "--currency-numeric", pl["currency_numeric"],
             "--request-hash", request_hash(mac_request or req_jws)],
            check=True, capture_output=True, text=True).stdout
        body = json.loads(out)
        body.update({"request_id": pl["request_id"], "request": req_jws,
                     "merchant_id": pl["merchant_id"], "order_id": pl["order_id"],
                     "amount": pl["amount"], "currency": pl["currency"]})
        body.update(override)
        return body

    def submit(self, body, term="T1", idem=None, raw_body=None):
        idem = idem or os.urandom(16).hex()
        return self.terminal("POST", "/v1/terminal/payments",
                             raw_body if raw_body is not None else json.dumps(body),
                             term=term, idem=idem)

    def order(self, order_id):
        st, data, raw = self.merchant("GET", "/v1/orders/" + urllib.parse.quote(order_id))
        check(st == 200, "get order: %s %s" % (st, raw[:300]))
        return data

    def wait_order(self, order_id, state, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            o = self.order(order_id)
            if o["state"] == state:
                return o
            time.sleep(0.1)
        fail("order %s not %s but %s" % (order_id, state, o["state"]))

    def log_events(self, event=None):
        out = []
        with open(self.cfg["log"]) as f:
            for line in f:
                try:
                    j = json.loads(line)
                except ValueError:
                    fail("log line is not JSON: %r" % line[:200])
                if event is None or j.get("event") == event:
                    out.append(j)
        return out


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jws_payload(jws):
    return json.loads(b64d(jws.split(".")[1]))


def request_hash(jws):
    """ISO 8583 field 48: SHA-256 of the compact JWS, lower-case hex."""
    return hashlib.sha256(jws.encode()).hexdigest()


def bank_request_hashes(env):
    """{STAN: field 48} of the 0200s the bank recorded."""
    import sqlite3
    db = sqlite3.connect(env.p("bank.db"))
    try:
        return {r[0]: r[1] for r in db.execute("SELECT stan, req_hash FROM txns")}
    finally:
        db.close()


def bank_logged_hashes(env):
    """{STAN: request_hash} of the bank's authorisation log lines (also
    0200s refused before they were recorded, e.g. a wrong MAC)."""
    out = {}
    with open(env.p("bank.log")) as f:
        for line in f:
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if j.get("event") == "authorisation":
                out[j.get("stan")] = j.get("request_hash")
    return out


def sign_es256(key_path, header, payload):
    """A compact JWS signed with openssl (raw R||S, RFC 7518 3.4)."""
    si = (b64e(json.dumps(header, separators=(",", ":")).encode()) + "." +
          b64e(json.dumps(payload, separators=(",", ":")).encode()))
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_path],
                         input=si.encode(), check=True,
                         capture_output=True).stdout
    # SEQUENCE { INTEGER r, INTEGER s }, short form lengths for P-256
    pos, out = 2 if der[1] < 0x80 else 3, b""
    for _ in range(2):
        n = der[pos + 1]
        out += der[pos + 2:pos + 2 + n].lstrip(b"\0").rjust(32, b"\0")
        pos += 2 + n
    return si + "." + b64e(out)


def verify_webhook_openssl(secret, header, body):
    """Independent check of Payterm-Signature with `openssl dgst -hmac`."""
    parts = dict(p.split("=", 1) for p in header.split(","))
    msg = parts["t"].encode() + b"." + body
    out = subprocess.run(["openssl", "dgst", "-sha256", "-hmac", secret],
                         input=msg, capture_output=True, check=True).stdout.decode()
    mac = out.strip().split()[-1]
    return mac == parts["v1"], parts


# ---------------------------------------------------------------- scan
def _text_forms(b):
    """B as it may sit in memory or a file: raw, hex text (both cases),
    UTF-16LE."""
    h = b.hex()
    return [b, h.encode(), h.upper().encode(), b.decode("latin-1").encode("utf-16-le")]


def _bcd(digits):
    """Packed BCD, F-padded to whole bytes ('=' as the D separator of
    track 2 equivalent data)."""
    d = digits.replace("=", "D")
    return bytes.fromhex(d + ("F" if len(d) % 2 else ""))


def _varied(b):
    """Binary forms of low-entropy values (4111...1) match noise."""
    return len(set(b)) >= 4


def pin_forms(pin, pan):
    """The PIN in every form the terminal could let it sit in: ISO 9564
    format 0 and 4 PIN fields and the format 0 clear PIN block (raw and as
    hex text), JSON values, and — for PINs long enough not to occur by
    chance — the digits as ASCII and as raw digit values."""
    out = []
    f0 = "0%X%s" % (len(pin), pin) + "F" * (14 - len(pin))
    f4 = "4%X%s" % (len(pin), pin) + "A" * (14 - len(pin))
    pan_field = "0000" + pan[-13:-1]
    blk0 = bytes(a ^ b for a, b in zip(bytes.fromhex(f0), bytes.fromhex(pan_field)))
    for field in (bytes.fromhex(f0), bytes.fromhex(f4), blk0):
        out += _text_forms(field)[:3]
        out.append(field.hex().encode())        # hex text of the raw field
    out += [('"pin":"%s"' % pin).encode(), ('"pin": "%s"' % pin).encode()]
    if len(pin) >= 8:
        out += [pin.encode(), bytes(int(x) for x in pin),
                pin.encode("utf-16-le")]
    return list(dict.fromkeys(out))


def card_forms(c, pin=True):
    """Every encoding of card C's sensitive data a leak could take: PAN,
    track 1, track 2 (ASCII, '=' or 'D' separator, packed BCD as in tag 57),
    the chip's track 2 equivalent, the cardholder name, and (PIN) its PIN."""
    out = []
    pan = c["pan"]
    out += [pan.encode(), pan.encode().hex().encode(), pan.encode("utf-16-le")]
    if _varied(pan.encode()):
        out += _text_forms(_bcd(pan))[:1]
    t2 = c["track2"].strip(";?")
    for t in (t2, t2.replace("=", "D")):
        out += _text_forms(t.encode())
    out += _text_forms(_bcd(t2))[:3]
    t1 = c["track1"].strip("%?")
    out += _text_forms(t1.encode())
    out.append(c["name"].encode())
    t2e = c.get("chip", {}).get("track2_equivalent")
    if t2e:
        out += _text_forms(bytes.fromhex(t2e))[:3]
    if pin:
        out += pin_forms(c["pin"], pan)
    return list(dict.fromkeys(out))


def _sensitive(pin_only=False):
    pats = []
    for c in cards()["cards"]:
        pats += pin_forms(c["pin"], c["pan"]) if pin_only else card_forms(c)
    return list(dict.fromkeys(pats))


def scan_for_card_data(directory):
    pats = _sensitive()
    pin_pats = _sensitive(pin_only=True)
    found = []
    for dp, _, files in os.walk(directory):
        for fn in files:
            if dp.endswith("pki"):
                continue    # certificates and keys: no card data, and binary
            path = os.path.join(dp, fn)
            if not os.path.isfile(path):
                continue    # sockets (the VM tests' bus), fifos
            with open(path, "rb") as f:
                data = f.read()
            # the bank (issuer and HSM role) keeps PANs on file, as an
            # issuer does, but never a PIN: its files are searched for PINs
            for p in pin_pats if fn.startswith("bank") else pats:
                if p in data:
                    found.append((path, p[:24]))
    if found:
        fail("card data found: %r" % found[:5])
    log("scan: no card data in %s (server db/wal/logs/outbox)" % directory)


def run(name, fn, **envkw):
    env = None
    ok = False
    try:
        env = Env(name, **envkw)
        fn(env)
        ok = True
    finally:
        if env and not env.cleanup(ok) and ok:
            fail("sanitizer errors in payterm-server")
    log("%s: ok" % name)
