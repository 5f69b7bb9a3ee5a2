#!/usr/bin/python3
"""VM test: a hostile payment server (docs/protocol.md "Outcome rules",
docs/security.md "Daemon").  paytermd talks to tests/fakes/evil_server.py,
an HTTPS proxy holding payterm-server's certificate in front of the real
payterm-server and payterm-bank, which tampers with what paytermd is told:
a decline flipped to an approval (three ways), an approval's amount
changed, an earlier approval replayed (a valid response MAC, of another
transaction), an approval without its MAC, an approval made up without
asking the bank, the answer dropped, garbage instead of JSON, bytes that
are not HTTP.  The terminal must report each as declined or failed, never
approved, and where the bank did approve, the payment must be reversed:
checked at the bank (its transaction record is 'reversed', the balance is
restored) and at the server (payment and order 'reversed').
Run in the guest after tests/vm/load-modules payterm payterm_virt."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payment_env import PaymentEnv, pslib  # noqa: E402
from payterm_uapi import TestRunner  # noqa: E402

T = TestRunner()
CARD = pslib.card('visa-magstripe')
BLOCKED = pslib.card('visa-blocked')      # the bank answers 05
E = None
FIRST = None        # an approval of an earlier payment (for replay)


def wait_until(cond, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def pay(card, amount, modes=('--modes', 'swipe')):
    o = E.order(amount)
    p = E.pay(E.request_file(o), *modes)
    E.swipe_and_pin(p, card)
    rc, out = p.finish(90)
    return o, rc, out


def result(out):
    return out.split('Result:')[-1].strip() if 'Result:' in out else ''


def settle(o, timeout=40):
    """Wait until the order and its payments are final and no in-flight
    record is left; returns (order, payments, bank txns)."""
    def done():
        od = E.server.order(o['order_id'])
        ps = E.server_payments(o['order_id'])
        return (od['state'] not in ('authorizing', 'reversing') and
                all(p['state'] not in ('authorizing', 'reversal_pending')
                    for p in ps) and not E.inflight())
    wait_until(done, timeout)
    return (E.server.order(o['order_id']), E.server_payments(o['order_id']),
            E.bank_txns(o['order_id']))


def not_approved(o, rc, out, bank_approved):
    """Terminal: never approved.  Bank: BANK_APPROVED says whether the bank
    approved it; then it must be reversed there and at the server."""
    assert rc != 0 and not result(out).startswith('approved'), out
    od, ps, bt = settle(o)
    assert not E.inflight(), E.inflight()
    assert od['state'] != 'paid', (od, ps, bt)
    if bank_approved:
        assert bt and bt[-1]['rc'] == '00', bt
        assert all(t['state'] != 'approved' for t in bt), \
            ('approved at the bank, not reversed', bt)
        assert bt[-1]['state'] == 'reversed', bt
        assert ps[-1]['state'] == 'reversed', ps
        assert od['state'] == 'reversed', od
    else:
        assert all(t['state'] != 'approved' for t in bt), bt
    return od, ps, bt


@T.case
def t_start():
    global E
    E = PaymentEnv(proxy=True, server_over={'bank': {'timeout_ms': 8000}})
    assert 'Terminal: idle' in E.ctl('status').stdout


@T.case
def t_honest_approval():
    """Through the proxy, untouched: approved (the proxy keeps the answer:
    an approval with the bank's valid response MAC, for t_replay)."""
    global FIRST
    E.proxy.mode = 'pass'
    o, rc, out = pay(CARD, 1100)
    assert rc == 0 and result(out).startswith('approved'), out
    assert E.proxy.saved, E.proxy.log[-3:]
    FIRST = o
    od, ps, bt = settle(o)
    assert od['state'] == 'paid' and bt[-1]['state'] == 'approved', (od, bt)
    assert 'response MAC verified' in E.daemon.text()


def tampered(mode, card, amount, bank_approved):
    E.proxy.mode = mode
    E.proxy.tamper = None
    try:
        o, rc, out = pay(card, amount)
    finally:
        E.proxy.mode = 'pass'
    tamp = [x for x in E.proxy.log if x['mode'] == mode]
    assert tamp, 'the proxy tampered with nothing: %r' % E.proxy.log[-4:]
    return not_approved(o, rc, out, bank_approved)


@T.case
def t_flip_decline():
    """05 (blocked card) becomes 00: state, approved and response code, the
    bank's MAC (over 05) kept."""
    od, ps, bt = tampered('flip', BLOCKED, 1201, False)
    assert bt and bt[-1]['rc'] == '05', bt


@T.case
def t_flip_code_only():
    """Only the response code flipped to 00 (with an auth code), the state
    left 'declined', the MAC removed: the terminal must not read 00 as an
    approval without the bank's MAC."""
    od, ps, bt = tampered('flip-rc', BLOCKED, 1202, False)
    assert bt and bt[-1]['rc'] == '05', bt


@T.case
def t_flip_no_mac():
    """A full flip to an approval, without a MAC."""
    od, ps, bt = tampered('flip-nomac', BLOCKED, 1203, False)
    assert bt and bt[-1]['rc'] == '05', bt


@T.case
def t_amount_changed():
    """The bank approved 1300 and MACed it; the server says 13001: the
    terminal does not take the server's amount, and an answer that
    misstates it is not an approval: reversed."""
    tampered('amount', CARD, 1300, True)


@T.case
def t_replay_old_approval():
    """An earlier payment's approval (a valid response MAC of another KSN)
    as the answer of a new one the bank also approved: not approved, and
    the new payment — not the old one — is reversed."""
    assert FIRST, 't_honest_approval did not run'
    tampered('replay', CARD, 1400, True)
    old = E.server.order(FIRST['order_id'])
    assert old['state'] == 'paid', ('the old payment was touched', old)
    bt = E.bank_txns(FIRST['order_id'])
    assert bt[-1]['state'] == 'approved', bt


@T.case
def t_unmac():
    """An approval whose MAC was removed."""
    tampered('unmac', CARD, 1500, True)


@T.case
def t_forged():
    """An approval made up by the server, the bank never asked: not
    approved, nothing to reverse (the server has no such payment)."""
    od, ps, bt = tampered('forge', CARD, 1600, False)
    assert not ps and not bt and od['attempts'] == 0, (od, ps, bt)


@T.case
def t_dropped():
    """Every answer to the submission dropped (the bank approved)."""
    tampered('drop', CARD, 1700, True)


@T.case
def t_garbage():
    """200 with a body that is not JSON (the bank approved)."""
    tampered('garbage', CARD, 1800, True)


@T.case
def t_garbage_raw():
    """Bytes that are not HTTP (the bank approved)."""
    tampered('garbage-raw', CARD, 1900, True)


@T.case
def t_balance():
    """Only the honest approval is left debited at the bank."""
    init = [c for c in pslib.cards()['cards'] if c['id'] == 'visa-magstripe']
    bal = E.card_balance('visa-magstripe')
    assert bal == init[0]['balance'] - 1100, (bal, init[0]['balance'])
    assert 'Terminal: idle' in E.ctl('status').stdout


@T.case
def t_end():
    assert E.close(True)


if __name__ == '__main__':
    sys.exit(T.run(sys.argv))
