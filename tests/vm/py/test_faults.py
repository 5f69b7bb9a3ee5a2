#!/usr/bin/python3
"""VM test: faults at every point of a submission, against the real
payterm-bank, payterm-server and paytermd (docs/protocol.md "Outcome
rules", docs/dbus-api.md "In-flight journal").

N payments (PAYTERM_FAULT_RUNS, default 50) are spread over the points:

  none                  a plain approval
  kill_before_send      kill -9 of paytermd once its in-flight record is
                        written, while its request is held before it
                        reaches the server (the proxy drops it)
  kill_after_send       kill -9 once the bank has approved (its answer is
                        slower than the terminal's HTTP timeout)
  kill_during_retry     kill -9 after the first POST timed out, during the
                        re-sends with the same Idempotency-Key
  kill_during_reversal  kill -9 when paytermd asks for the reversal of an
                        approval whose response MAC is wrong
  server_down           the answer is lost, then the server is down
                        (connection refused, or TLS failing) for a while:
                        the retry fails to connect
  bank_slow             the bank answers after the terminal's timeout
  bank_drop             the bank never answers (the server reverses)

paytermd is restarted after each kill (it resumes its in-flight records).
When every record is settled, the bank's transaction records and the
server's payments and orders are counted: no order may be charged twice,
and no approval may be left standing unless the terminal reported it
approved and the order is paid (completion) — every other approval must
have been reversed at the bank.  The runtime is printed at the end.
Run in the guest after tests/vm/load-modules payterm payterm_virt."""
import collections
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payment_env import PaymentEnv, pslib  # noqa: E402
from payterm_uapi import KEY_ENTER, TestRunner  # noqa: E402

T = TestRunner()
CARD = pslib.card('visa-magstripe')
RUNS = int(os.environ.get('PAYTERM_FAULT_RUNS', '50'))
SLOW = 301      # the bank answers after 3.5 s (paytermd's HTTP timeout: 3 s)
DROP = 302      # the bank never answers (the server times out after 6 s)
BADMAC = 303    # the bank approves with a wrong response MAC
POINTS = ('none', 'kill_before_send', 'kill_after_send', 'kill_during_retry',
          'kill_during_reversal', 'server_down', 'bank_slow', 'bank_drop')
E = None
RUNLOG = []
T0 = None


def wait_until(cond, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def log(*a):
    print(*a, flush=True)


class Tail:
    """What paytermd logs from now on (read incrementally: re-reading the
    whole log in a tight loop would starve the proxy's threads)."""

    def __init__(self):
        self.f = open(E.daemon.logpath, 'rb')
        self.f.seek(0, os.SEEK_END)
        self.text = ''

    def has(self, what):
        self.text += self.f.read().decode(errors='replace')
        return what in self.text

    def close(self):
        self.f.close()


def kill():
    E.kill_daemon()


def one(i, point):
    rnd = random.Random(i)
    amount = {'kill_after_send': SLOW, 'kill_during_retry': SLOW,
              'kill_during_reversal': BADMAC, 'bank_slow': SLOW,
              'bank_drop': DROP}.get(point, 200 + i)
    run = {'i': i, 'point': point, 'amount': amount, 'problems': [],
           'result': None}
    RUNLOG.append(run)
    t0 = time.monotonic()
    o = E.order(amount)
    run['order'] = o['order_id']
    pay = E.pay(E.request_file(o), '--modes', 'swipe')
    E.swipe_and_pin(pay, CARD, enter=False)
    tail = Tail()
    killed = False
    if point == 'kill_before_send':
        E.proxy.drop_held = True
        E.proxy.hold.clear()
    if point == 'server_down':
        how = ('refuse', 'tls')[i % 2]
        run['how'] = how
        E.proxy.mode, E.proxy.tamper = 'drop', 1
        E.proxy.after_tamper = lambda: E.proxy.set_down(how)
    E.pad.key(KEY_ENTER)
    try:
        if point == 'kill_before_send':
            # the request has left paytermd (the proxy holds it): its
            # record must be on disk already
            if not wait_until(lambda: any(x['mode'] == 'held' for x in
                                          E.proxy.log[-3:]), 20, 0.02):
                run['late'] = 'request not seen by the proxy'
            elif not E.inflight():
                run['problems'].append('no in-flight record when the request '
                                       'went out')
            kill()
            killed = True
            E.proxy.hold.set()
        elif point == 'kill_after_send':
            ok = wait_until(lambda: any(t['state'] == 'approved' for t in
                                        E.bank_txns(o['order_id'])), 15, 0.1)
            if not ok:
                run['late'] = 'the bank did not approve in time'
            kill()
            killed = True
        elif point == 'kill_during_retry':
            ok = wait_until(lambda: tail.has('asking again'), 15, 0.05)
            if not ok:
                run['late'] = 'no retry seen'
            time.sleep(rnd.uniform(0, 1.5))
            kill()
            killed = True
        elif point == 'kill_during_reversal':
            ok = wait_until(lambda: tail.has('asking the server to reverse'),
                            15, 0.05)
            if not ok:
                run['late'] = 'no reversal asked for'
            kill()
            killed = True
        elif point == 'server_down':
            if not wait_until(lambda: E.proxy.down, 15, 0.05):
                run['late'] = 'the proxy did not go down'
            time.sleep(3)
            E.proxy.set_down(None)
    finally:
        tail.close()
        E.proxy.hold.set()
        E.proxy.mode, E.proxy.tamper = 'pass', None
        E.proxy.after_tamper = None
        if E.proxy.down:
            E.proxy.set_down(None)
    run['t_fault'] = time.monotonic() - t0
    if killed:
        pay.p.kill()
        pay.p.wait(10)
        run['result'] = 'killed'
        E.start_daemon()
        run['t_restart'] = time.monotonic() - t0
    else:
        try:
            rc, out = pay.finish(120)
            r = out.split('Result:')[-1].strip() if 'Result:' in out else ''
            run['result'] = r.split()[0].rstrip(':') if r else 'none'
            run['text'] = r
        except Exception as e:  # noqa: BLE001 - recorded, checked at the end
            run['problems'].append('paytermctl pay: %s' % e)
            pay.p.kill()
    # settle: the order and its payments final, no in-flight record left
    def settled():
        od = E.server.order(o['order_id'])
        return (od['state'] not in ('authorizing', 'reversing') and
                all(p['state'] not in ('authorizing', 'reversal_pending')
                    for p in E.server_payments(o['order_id'])) and
                not E.inflight())
    if not wait_until(settled, 120, 0.5):
        run['problems'].append('not settled: order %s, payments %s, '
                               'in flight %s' % (
                                   E.server.order(o['order_id'])['state'],
                                   [p['state'] for p in
                                    E.server_payments(o['order_id'])],
                                   E.inflight()))
    run['s'] = time.monotonic() - t0
    if run['problems']:
        # what paytermd did with this payment (its key is the server's
        # idem_key), and every resumption
        keys = [p['idem_key'] for p in E.server_payments(o['order_id'])]
        for line in E.daemon.text().splitlines():
            if any(k in line for k in keys) or 'journal' in line:
                log('  paytermd: ' + line)
    log('run %2d %-21s %5d %-8s %5.1fs (fault %.1f, restarted %s) %s %s%s' % (
        i, point, amount, run['result'], run['s'], run['t_fault'],
        '%.1f' % run['t_restart'] if 't_restart' in run else '-',
        run.get('text', ''), '; '.join(run['problems']),
        ' (fault point missed: %s; killed later)' % run['late']
        if 'late' in run else ''))


@T.case
def t_start():
    global E, T0
    T0 = time.monotonic()
    E = PaymentEnv(proxy=True, server_over={'bank': {'timeout_ms': 6000}},
                   bank_args=('--slow-amount', str(SLOW), '--slow-ms', '3500',
                              '--drop-amount', str(DROP),
                              '--bad-resp-mac-amount', str(BADMAC)))
    E.balance0 = E.card_balance('visa-magstripe')
    assert 'Terminal: idle' in E.ctl('status').stdout


@T.case
def t_runs():
    for i in range(RUNS):
        one(i, POINTS[i % len(POINTS)])


@T.case
def t_count():
    """What the bank and the server recorded, order by order."""
    bank = collections.Counter()
    server = collections.Counter()
    points = collections.defaultdict(collections.Counter)
    bad = []
    debited = 0
    for run in RUNLOG:
        oid = run['order']
        od = E.server.order(oid)
        ps = E.server_payments(oid)
        bt = E.bank_txns(oid)
        standing = [t for t in bt if t['state'] == 'approved']
        debited += sum(t['amount'] for t in standing)
        bank['0200'] += len(bt)
        bank['approved (rc 00)'] += sum(t['rc'] == '00' for t in bt)
        bank['reversed'] += sum(t['state'] == 'reversed' for t in bt)
        bank['standing approvals'] += len(standing)
        server['order ' + od['state']] += 1
        points[run['point']][run['result']] += 1
        why = list(run['problems'])
        if len(standing) > 1:
            why.append('charged %d times' % len(standing))
        completed = run['result'] == 'approved' and od['state'] == 'paid'
        if standing and not completed:
            why.append('approval left standing: terminal %s, order %s' % (
                run['result'], od['state']))
        if run['result'] == 'approved' and not (standing and
                                                od['state'] == 'paid'):
            why.append('terminal said approved, bank %s, order %s' % (
                [t['state'] for t in bt], od['state']))
        if od['state'] in ('authorizing', 'reversing'):
            why.append('order not final: %s' % od['state'])
        if any(p['state'] in ('authorizing', 'reversal_pending') for p in ps):
            why.append('payment not final: %s' % [p['state'] for p in ps])
        if run['point'] in ('none', 'bank_slow') and \
                run['result'] != 'approved':
            why.append('expected an approval')
        if run['point'] == 'bank_slow' and len(bt) != 1:
            why.append('%d 0200s for one payment' % len(bt))
        if why:
            bad.append('run %d (%s, order %s): %s' % (run['i'], run['point'],
                                                     oid, '; '.join(why)))
    left = E.inflight()
    if left:
        bad.append('in-flight records left: %s' % left)
    bal = E.card_balance('visa-magstripe')
    if bal != E.balance0 - debited:
        bad.append('balance %d, expected %d' % (bal, E.balance0 - debited))
    for p in POINTS:
        if points[p]:
            log('point %-21s %s' % (p, dict(points[p])))
    late = [r for r in RUNLOG if 'late' in r]
    log('fault points hit: %d of %d runs%s' % (
        len(RUNLOG) - len(late), len(RUNLOG),
        ' (missed: %s)' % ', '.join('%d %s' % (r['i'], r['point'])
                                    for r in late) if late else ''))
    log('bank: %s' % dict(bank))
    log('server: %s' % dict(server))
    log('runs: %d in %.0f s (VM time, incl. start-up)' % (
        len(RUNLOG), time.monotonic() - T0))
    assert not bad, '\n'.join(bad)


@T.case
def t_end():
    assert E.close(True)


if __name__ == '__main__':
    sys.exit(T.run(sys.argv))
