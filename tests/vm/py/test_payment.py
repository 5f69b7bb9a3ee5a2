#!/usr/bin/python3
"""VM tests of the whole payment (DESIGN.md steps 1-9): merchant order on
payterm-server, signed request from the terminal's pull queue handed to
paytermd over D-Bus, virtual swipe + PIN, DUKPT-sealed submission over
mutual TLS, ISO 8583 to payterm-bank, result to the terminal (paytermctl)
and to the merchant (HMAC-signed webhook, GET /v1/orders/{id}).  Each
flow ends with a leak check of the daemon's memory, its output, the
terminal's and the server's files (database, WAL, logs).
Run in the guest after tests/vm/load-modules payterm payterm_virt."""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payment_env import PaymentEnv, pslib  # noqa: E402
from payterm_uapi import KEY_ENTER, TestRunner, wait_until  # noqa: E402
from paytermd_lib import Pay, canary, result, scan_files, scan_memory  # noqa: E402
import kmem  # noqa: E402

T = TestRunner()
CARD = pslib.card('visa-magstripe')
CHIP = pslib.card('visa-ok')
WRONG_PIN = '80451279'      # long enough not to occur by chance in memory
# every encoding of the swiped card, the chip card, their PINs and the
# wrong PIN (pslib.card_forms/pin_forms: ASCII, hex text, BCD, raw fields)
SECRETS = (pslib.card_forms(CARD) + pslib.card_forms(CHIP) +
           pslib.pin_forms(WRONG_PIN, CARD['pan']))
# what the kernel held: the swiped tracks as the MSR delivered them, the
# wrong PIN's digits (the right ones are too short to search), the chip's
# APDU answers (track 2 equivalent and PAN as BCD, inside record data)
KERNEL_HELD = [CARD['track1'].strip('%?').encode(),
               CARD['track2'].strip(';?').encode(), WRONG_PIN.encode(),
               bytes.fromhex(CHIP['chip']['track2_equivalent']),
               bytes.fromhex(CHIP['pan'])]
E = None
TTL = 25        # s, payment requests of this test's server
SLOW = 4400     # the bank answers this amount after 4.5 s (paytermd: 3 s)
BAD_MAC = 4700  # the bank answers this amount with a wrong response MAC


def leak_check():
    time.sleep(0.3)
    d = E.daemon
    # control: the PKI directory, in both configurations
    found = scan_memory(d.p.pid, SECRETS, control=E.env.pki.encode())
    # the server never sees clear card data: not in its memory either
    if E.server.proc.poll() is None:
        found += scan_memory(E.server.proc.pid, SECRETS,
                             control=E.env.pki.encode())
    found += ['%s in daemon output' % canary(s, SECRETS) for s in SECRETS
              if s in open(d.logpath, 'rb').read()]
    # every file: key store, daemon log, server and bank databases (+WAL)
    # and logs, request files, the bus
    found += scan_files(['/tmp', '/run'], SECRETS)
    # and the kernel's own memory (slab, stacks, page allocations)
    hits, searched = kmem.scan_kernel(KERNEL_HELD)
    assert searched > 4 << 20, 'kernel scan read only %d bytes' % searched
    found += ['%s in kernel memory' % canary(s, KERNEL_HELD) for s in hits]
    print('leak check: %d kernel bytes searched' % searched)
    assert not found, 'sensitive data left:\n' + '\n'.join(found)


def approved_flow(card, amount, present=None):
    """Order → request → PRESENT(pay) (default: swipe + PIN) → approved."""
    o = E.order(amount)
    pay = E.pay(E.request_file(o))
    (present or (lambda p: E.swipe_and_pin(p, card)))(pay)
    rc, out = pay.finish()
    assert rc == 0 and result(out)[:2] == ('approved', '00'), out
    od = E.server.wait_order(o['order_id'], 'paid')
    assert od['response_code'] == '00' and od['auth_code'], od
    assert od['masked_pan'] == card['pan'][:6] + '******' + card['pan'][-4:], od
    h, parts = E.webhook(o['order_id'], 'order.paid')
    ev = json.loads(h['body'])
    assert ev['data']['state'] == 'paid' and ev['data']['amount'] == amount, ev
    assert abs(int(parts['t']) - time.time()) < 300, parts
    return o, out


EXPIRING = None


@T.case
def t_start():
    global E, EXPIRING
    # [server] pull = yes: paytermd polls T1's pull queue itself (t_pull_queue)
    E = PaymentEnv(server_over={'requests': {'ttl_s': TTL},
                                'bank': {'timeout_ms': 8000}},
                   daemon_conf='[server]\npull = yes\n',
                   bank_args=('--slow-amount', str(SLOW), '--slow-ms', '4500',
                              '--bad-resp-mac-amount', str(BAD_MAC)))
    assert 'Terminal: idle' in E.ctl('status').stdout
    # an order nobody pays: its request is expired by t_expired_request
    EXPIRING = E.order(999)
    EXPIRING['path'] = E.request_file(EXPIRING)


@T.case
def t_swipe_pin_approved():
    o, out = approved_flow(CARD, 1234)
    # step 3 by SMS too: the same signed request, to the payer's phone
    to, text, jws = E.sms_text(o)
    assert to == '+4915100000000' and '12.34 EUR' in text, (to, text)
    assert jws == open('%s/%s.jws' % (E.w, o['request_id'])).read(), text
    # the result reached the user step by step
    for want in ('Present card', 'Enter PIN', 'Result: approved'):
        assert want in out, out
    # approved only with the bank's response MAC, checked by the terminal
    assert 'response MAC verified' in E.daemon.text()
    leak_check()


@T.case
def t_wrong_pin_declined():
    o = E.order(2000)
    req = E.request_file(o)
    pay = E.pay(req)
    E.swipe_and_pin(pay, CARD, pin=WRONG_PIN)
    rc, out = pay.finish()
    assert rc == 6 and result(out) == ('declined', '55',
                                       'Declined: incorrect PIN'), out
    od = E.server.wait_order(o['order_id'], 'pending')
    assert od['attempts'] == 1 and od['response_code'] == '55', od
    E.webhook(o['order_id'], 'order.attempt_declined')
    # single use on the terminal: a submitted request is not taken again
    # (checked before it expires: TTL)
    rc, out = E.pay(req).finish()
    assert rc == 8 and 'AlreadyUsed' in out, out
    leak_check()


@T.case
def t_bank_down_91():
    E.env.stop_bank()
    o = E.order(4100)
    pay = E.pay(E.request_file(o))
    E.swipe_and_pin(pay, CARD)
    rc, out = pay.finish()
    assert rc == 6 and result(out) == ('declined', '91',
                                       'Declined: issuer unavailable'), out
    od = E.server.order(o['order_id'])
    assert od['state'] == 'pending' and od['attempts'] == 0, od
    E.restart_bank()
    leak_check()


@T.case
def t_server_down_midway():
    o = E.order(4200)
    pay = E.pay(E.request_file(o))
    E.swipe_and_pin(pay, CARD, enter=False)
    E.server.proc.terminate()           # gone between PIN and submission
    E.server.proc.wait(10)
    E.pad.key(KEY_ENTER)
    rc, out = pay.finish(60)
    assert rc == 1 and result(out) == ('failed', None,
                                       'Payment server unreachable'), out
    assert wait_until(lambda: 'Terminal: idle' in E.ctl('status').stdout, 5)
    leak_check()
    # the server comes back on the same ports: the next payment goes through
    E.server = E.env.start_server(E.server.cfg)
    od = E.server.order(o['order_id'])
    assert od['state'] == 'pending' and od['attempts'] == 0, od
    approved_flow(CARD, 4300)


@T.case
def t_slow_bank_same_key():
    """The bank answers after the terminal's HTTP timeout: paytermd sends
    the same body with the same Idempotency-Key (409 while in flight), then
    gets the stored answer: approved once, one bank 0200, one webhook."""
    o, out = approved_flow(CARD, SLOW)
    log = E.daemon.text()
    key = re.findall(r'submitted \(idempotency key (\w+)\)', log)[-1]
    tries = re.findall(r'submission %s phase (\d): curl (\d+), HTTP (\d+)'
                       % key, log)
    assert len(tries) >= 2 and tries[0][1] == '28', tries   # timed out first
    od = E.server.order(o['order_id'])
    assert od['attempts'] == 1, od
    bank = [x for x in open(E.env.p('bank.log'))
            if '"0200"' in x and '"amount":%d,' % SLOW in x]
    assert len(bank) == 1, bank
    time.sleep(1)
    assert len(E.hooks.wait(lambda h: o['order_id'].encode() in h['body'],
                            2, 0.1)) == 1


@T.case
def t_bad_response_mac():
    """The bank approves but its answer carries a wrong response MAC (bank
    knob --bad-resp-mac-amount): paytermd does not trust the approval — the
    transaction fails and the payment is reversed (0400 at the bank, order
    reversed, webhook order.reversed): never charged without the bank's
    word for it."""
    o = E.order(BAD_MAC)
    pay = E.pay(E.request_file(o))
    E.swipe_and_pin(pay, CARD)
    rc, out = pay.finish(60)
    assert rc == 1 and result(out) == (
        'failed', None, 'Bank answer not authenticated: payment reversed'), out
    assert 'response MAC is wrong' in E.daemon.text()
    od = E.server.wait_order(o['order_id'], 'reversed')
    assert od['response_code'] == '00', od     # the bank did approve it
    E.webhook(o['order_id'], 'order.reversed')
    bank = [x for x in open(E.env.p('bank.log'))
            if '"0400"' in x and '"amount":%d,' % BAD_MAC in x]
    assert bank, 'no reversal at the bank'
    leak_check()


def busctl(*args):
    return subprocess.run(['busctl', '--address=unix:path=%s/bus' % E.w]
                          + list(args), capture_output=True, text=True,
                          timeout=20)


def pending():
    """Terminal1.PendingRequests: [(id, merchant, order, amount, currency,
    description, expires_at)]."""
    r = busctl('--json=short', 'get-property', 'org.payterm.Terminal1',
               '/org/payterm/Terminal1', 'org.payterm.Terminal1',
               'PendingRequests')
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)['data']


@T.case
def t_pull_queue():
    """The merchant's order reaches paytermd by itself ([server] pull = yes,
    long poll of GET /v1/terminal/requests): RequestReceived signal and
    PendingRequests; StartPayment with the request id; approved; the
    request leaves the list once used."""
    sig = E.w + '/signals.json'
    mon = subprocess.Popen(
        ['busctl', '--address=unix:path=%s/bus' % E.w, '--json=short',
         'monitor', '--match',
         "type='signal',interface='org.payterm.Terminal1',"
         "member='RequestReceived'"],
        stdout=open(sig, 'w'), stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        o = E.order(4800)
        rid = o['request_id']
        assert wait_until(lambda: any(x[0] == rid for x in pending()), 15), \
            (pending(), E.daemon.text()[-3000:])
        ent = [x for x in pending() if x[0] == rid][0]
        assert ent[1:6] == [E.env.merchant['id'], o['order_id'], 4800, 'EUR',
                            'test order'], ent
        assert abs(ent[6] - o['expires_at']) <= 1, (ent, o)
        out = E.ctl('requests').stdout
        assert rid in out and '4800 EUR' in out and 'test order' in out, out
        assert wait_until(lambda: rid in open(sig).read(), 10), open(sig).read()
        got = [json.loads(x) for x in open(sig) if rid in x][0]
        assert got['member'] == 'RequestReceived', got
        assert got['payload']['data'][:5] == [rid, E.env.merchant['id'],
                                              o['order_id'], 4800, 'EUR'], got
    finally:
        mon.terminate()
        mon.wait(5)
    # an unknown id is refused
    rc, out = Pay(E.bus, 'req_nosuchrequest', literal=True).finish()
    assert rc == 8 and 'UnknownRequest' in out, out
    # started by its id, as an app showing the list would
    pay = Pay(E.bus, rid, literal=True)
    E.swipe_and_pin(pay, CARD)
    rc, out = pay.finish()
    assert rc == 0 and result(out)[:2] == ('approved', '00'), out
    od = E.server.wait_order(o['order_id'], 'paid')
    assert od['response_code'] == '00', od
    E.webhook(o['order_id'], 'order.paid')
    assert wait_until(lambda: not any(x[0] == rid for x in pending()), 5), \
        pending()
    assert rid not in E.ctl('requests').stdout
    log = E.daemon.text()
    assert 'pull queue: request %s from' % rid in log, log[-3000:]
    assert 'response MAC verified' in log
    leak_check()


def refused_by_tls(amount, **conf):
    """A payment with paytermd configured with CONF: fails, nothing charged."""
    E.restart_daemon(**conf)
    try:
        o = E.order(amount)
        pay = E.pay(E.request_file(o))
        E.swipe_and_pin(pay, CARD)
        rc, out = pay.finish(60)
    finally:
        E.restart_daemon()
    od = E.server.order(o['order_id'])
    assert od['state'] == 'pending' and od['attempts'] == 0, od
    return rc, out


TLS_FAILED = 'TLS handshake with the payment server failed'


@T.case
def t_tls_pinning():
    pki = E.env.pki
    # the daemon trusts only its pinned CA: a server cert from another fails
    rc, out = refused_by_tls(4500, ca=pki + '/rogue-ca.crt')
    assert rc == 1 and result(out) == ('failed', None, TLS_FAILED), out
    # the server takes only certificates of its CA: terminal T1's name
    # from a rogue CA is refused
    rc, out = refused_by_tls(4600, cert=pki + '/rogue.crt',
                             key=pki + '/rogue.key')
    assert rc == 1 and result(out) == ('failed', None, TLS_FAILED), out
    leak_check()


def insert_and_pin(pay):
    E.insert(pay, 'visa-ok')
    pay.wait('Card: 476173\\*+0010')
    E.type_pin(pay, CHIP['pin'])


@T.case
def t_chip_pin_approved():
    try:
        o, out = approved_flow(CHIP, 5100, insert_and_pin)
    finally:
        E.remove(0)
    assert 'chip' in out.lower(), out
    leak_check()


@T.case
def t_tap_approved():
    # at or under the contactless CVM limit (5000): no PIN
    try:
        o, out = approved_flow(CHIP, 1500, lambda p: E.tap(p, 'visa-ok'))
    finally:
        E.remove(1)
    assert 'Enter PIN' not in out, out
    leak_check()


@T.case
def t_expired_request():
    left = EXPIRING['expires_at'] + 1 - time.time()
    if left > 0:
        time.sleep(left)
    rc, out = E.pay(EXPIRING['path']).finish()
    assert rc == 8 and 'org.payterm.Error.Expired' in out, out
    E.server.wait_order(EXPIRING['order_id'], 'expired')
    E.webhook(EXPIRING['order_id'], 'order.expired')
    assert 'Terminal: idle' in E.ctl('status').stdout


@T.case
def t_end():
    leak_check()
    assert E.close(True)


if __name__ == '__main__':
    sys.exit(T.run(sys.argv))
