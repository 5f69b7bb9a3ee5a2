#!/bin/sh
# payterm-server benchmark (make bench): payments/s through server + bank on
# loopback with N keep-alive mutual-TLS terminals (median / p99 latency),
# new mutual-TLS connections/s, each beside `openssl speed` figures of this
# machine.  PAYTERM_BENCH_N (terminals, default 8), PAYTERM_BENCH_PAYMENTS
# (default 400), PAYTERM_BENCH_SECONDS (handshake run, default 5),
# PAYTERM_BENCH_WORKERS (server workers, default 2).
set -eu
cd "$(dirname "$0")/../.."
[ -x build/payterm-server ] && [ -x build/payterm-bank ] &&
	[ -x build/tests/e2e/pt-termpay ] || { echo "server.sh: run make userspace first" >&2; exit 1; }
exec /usr/bin/python3 - <<'PY'
import os, sys, json, time, threading, ssl, socket, statistics, subprocess, http.client
sys.path.insert(0, "tests/e2e/lib")
import pslib as P

N = int(os.environ.get("PAYTERM_BENCH_N", "8"))
PAY = int(os.environ.get("PAYTERM_BENCH_PAYMENTS", "400"))
SECS = float(os.environ.get("PAYTERM_BENCH_SECONDS", "5"))
WORKERS = int(os.environ.get("PAYTERM_BENCH_WORKERS", "2"))


def speed():
    out = subprocess.run(["openssl", "speed", "-seconds", "1", "ecdsap256", "ecdhp256"],
                         capture_output=True, text=True).stdout
    sign = verify = ecdh = None
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 7 and f[0] == "256" and "nistp256" in line and "ecdsa" in line.lower() or (
                len(f) >= 6 and f[:2] == ["256", "bits"] and "ecdsa" in line):
            sign, verify = float(f[-2]), float(f[-1])
        if "ecdh" in line.lower() and "nistp256" in line:
            ecdh = float(f[-1])
    return sign, verify, ecdh


def bench(env):
    cfg = env.server_config(workers=WORKERS, log=env.p("server0.log"),
                            requests={"ttl_s": 3600})
    s = env.start_server(cfg)
    # prepare: orders, requests and the terminal payloads (not timed)
    bodies = []
    for i in range(PAY):
        o = s.create_order(amount=100 + i % 50)
        bodies.append(o)
    reqs = {}
    after = 0
    while len(reqs) < PAY:
        d = s.pull(after=after)
        for r in d["requests"]:
            reqs[r["request_id"]] = r["jws"]
        if not d["requests"]:
            break
        after = d["next"]
    bodies = [json.dumps(s.payment_body(reqs[o["request_id"]])) for o in bodies]

    lat = []
    lock = threading.Lock()
    it = iter(bodies)
    errors = []

    def term():
        ctx = s.tctx("T1")
        c = http.client.HTTPSConnection("localhost", s.tport, context=ctx, timeout=30)
        while True:
            with lock:
                b = next(it, None)
            if b is None:
                break
            t0 = time.perf_counter()
            st, d, raw = s.submit(None, raw_body=b) if False else \
                s._req(c, "POST", "/v1/terminal/payments", b,
                       {"Idempotency-Key": os.urandom(12).hex()})
            dt = time.perf_counter() - t0
            with lock:
                if st == 200 and d.get("state") == "approved":
                    lat.append(dt)
                else:
                    errors.append((st, raw[:100]))
        c.close()
    t0 = time.perf_counter()
    ths = [threading.Thread(target=term) for _ in range(N)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    wall = time.perf_counter() - t0
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else 0
    res = {"payments": len(lat), "errors": len(errors), "terminals": N,
           "payments_per_s": len(lat) / wall, "median_ms": statistics.median(lat) * 1000 if lat else 0,
           "p99_ms": p99 * 1000}
    if errors:
        print("errors:", errors[:3])

    # new mutual-TLS connections per second (handshake + one small request)
    count = [0]
    stop = time.time() + SECS
    def hs():
        ctx = s.tctx("T1")
        ctx.options |= ssl.OP_NO_TICKET
        while time.time() < stop:
            c = http.client.HTTPSConnection("localhost", s.tport, context=ctx, timeout=10)
            c.request("GET", "/v1/terminal/requests?after=999999999&wait=0")
            c.getresponse().read()
            c.close()
            with lock:
                count[0] += 1
    t0 = time.perf_counter()
    ths = [threading.Thread(target=hs) for _ in range(N)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    res["handshakes_per_s"] = count[0] / (time.perf_counter() - t0)
    # the same with a C client (openssl s_time: new session per connection,
    # handshake only), against payterm-server and against `openssl s_server`
    # with the same certificates (the machine's baseline for this client)
    def s_time(port):
        t = time.perf_counter()
        out = subprocess.run(["openssl", "s_time", "-connect", "127.0.0.1:%d" % port,
                              "-new", "-time", str(int(SECS)), "-CAfile",
                              os.path.join(env.pki, "ca.crt"), "-cert",
                              os.path.join(env.pki, "terminal-T1.crt"), "-key",
                              os.path.join(env.pki, "terminal-T1.key")],
                             capture_output=True, text=True).stdout
        wall = time.perf_counter() - t
        for line in out.splitlines():
            if "connections in" in line and "real seconds" in line:
                return int(line.split()[0]) / wall
        return None
    res["s_time_conn_per_s"] = s_time(s.tport)
    bport = P.free_port()
    sv = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % bport,
                           "-cert", os.path.join(env.pki, "server.crt"), "-key",
                           os.path.join(env.pki, "server.key"), "-CAfile",
                           os.path.join(env.pki, "ca.crt"), "-Verify", "1", "-quiet"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        res["s_server_conn_per_s"] = s_time(bport)
    finally:
        sv.terminate()
        sv.wait()
    sign, verify, ecdh = speed()
    print("payterm-server bench (%d server workers, %d cores, Python clients on the same host)"
          % (WORKERS, os.cpu_count()))
    print("  payments/s with %d keep-alive mTLS terminals: %.1f  (median %.1f ms, p99 %.1f ms, %d payments, %d errors)"
          % (N, res["payments_per_s"], res["median_ms"], res["p99_ms"], res["payments"], res["errors"]))
    print("  new mTLS connections/s (TLS 1.3, ECDSA P-256 certs, no resumption): %.1f"
          % res["handshakes_per_s"])
    if res.get("s_time_conn_per_s"):
        print("  new mTLS connections/s, openssl s_time client: payterm-server %.1f, "
              "openssl s_server baseline %.1f"
              % (res["s_time_conn_per_s"], res.get("s_server_conn_per_s") or 0))
    print("  openssl speed (1 core): ECDSA P-256 sign %s/s, verify %s/s; ECDH P-256 %s/s"
          % (sign, verify, ecdh))
    if sign and verify and ecdh:
        # a full server-side handshake: 1 sign + 1 verify (client cert) + 1 ECDH
        ceil = 1 / (1 / sign + 1 / verify + 1 / ecdh)
        print("  handshake ceiling from openssl speed (1 core, server side only): %.0f/s; measured = %.0f%%"
              % (ceil, 100 * res["handshakes_per_s"] / ceil))
    print("BENCH " + json.dumps(res))


P.run("bench-server", bench, terminals=("T1",))
PY
