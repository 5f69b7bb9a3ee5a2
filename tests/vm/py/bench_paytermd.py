#!/usr/bin/python3
"""paytermd benchmark in the VM (tests/bench/paytermd.sh): N swipe + PIN
payments through the whole stack (payment_env.py); terminal-side time from
card data ready (PIN entered) to the request on the wire, from paytermd's
"timing:" debug log lines (median, p99; first payment = new TLS
connection); daemon resident memory; start to READY=1 over sd_notify.
PAYTERM_BENCH_PAYMENTS (default 20), PAYTERM_BENCH_STARTS (default 5)."""
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payment_env import PaymentEnv, pslib  # noqa: E402
from paytermd_lib import Daemon  # noqa: E402

N = int(os.environ.get('PAYTERM_BENCH_PAYMENTS', '20'))
STARTS = int(os.environ.get('PAYTERM_BENCH_STARTS', '5'))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def ms(us):
    return '%.2f ms' % (us / 1000)


def main():
    E = PaymentEnv()
    card = pslib.card('visa-magstripe')
    for i in range(N):
        o = E.order(100 + i, callback=False)
        pay = E.pay(E.request_file(o))
        E.swipe_and_pin(pay, card)
        rc, out = pay.finish()
        assert rc == 0, out
    t = [tuple(int(x) for x in m) for m in re.findall(
        r'timing: .*ready_to_wire_us=(\d+) seal_us=(\d+) connect_tls_us=(\d+)',
        E.daemon.text())]
    assert len(t) == N, '%d timing lines for %d payments' % (len(t), N)
    wire = [x[0] for x in t]
    rest = wire[1:] or wire
    st = open('/proc/%d/status' % E.daemon.p.pid).read()
    rss = re.search(r'VmRSS:\s+(\d+) kB', st).group(1)
    hwm = re.search(r'VmHWM:\s+(\d+) kB', st).group(1)
    E.daemon.stop()
    ready = []
    for _ in range(STARTS):
        d = Daemon(E.w, E.bus, notify=True)
        ready.append(d.ready_s)
        d.stop()
    E.daemon = Daemon(E.w, E.bus)
    assert E.close(True)
    print('paytermd (VM, TCG, -smp 1), %d swipe + PIN payments through '
          'server + bank on loopback:' % N)
    print('  card data ready -> request on the wire: median %s, p99 %s '
          '(min %s, max %s)' % (ms(statistics.median(wire)), ms(pct(wire, 99)),
                                ms(min(wire)), ms(max(wire))))
    print('    first payment (new mutual-TLS connection): %s, of which '
          'connect+TLS %s; later (kept alive): median %s'
          % (ms(t[0][0]), ms(t[0][2]), ms(statistics.median(rest))))
    print('    encrypt + build body: median %s'
          % ms(statistics.median(x[1] for x in t)))
    print('  daemon resident memory after %d payments: %s kB (peak %s kB)'
          % (N, rss, hwm))
    print('  start -> READY=1: median %.0f ms, max %.0f ms (%d starts)'
          % (statistics.median(ready) * 1000, max(ready) * 1000, STARTS))
    return 0


if __name__ == '__main__':
    sys.exit(main())
