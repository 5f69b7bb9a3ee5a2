#!/usr/bin/python3
"""VM test (issue 18): the introspection XML that ships matches the live
paytermd, and a client generated from it with gdbus-codegen completes a
payment.  Run in the guest after tests/vm/load-modules payterm payterm_virt
(tests/vm/t-dbus-bindings, which first installs the userspace into a
DESTDIR with `make install-userspace` and passes it as
PAYTERM_BINDINGS_DESTDIR).

  - the files in DESTDIR/usr/share/dbus-1/interfaces/ are those of
    daemon/dbus/ and those the client's proxies were generated from
    (tests/vm/bindings/bindings.mk keeps a copy of its gdbus-codegen input
    in build/gen/tests/vm/bindings/xml/), byte for byte: the XML that ships
    is the XML of the client;
  - the whole payment stack of tests/vm/t-payment (payment_env: payterm-bank,
    payterm-server, paytermd on a private system bus, virtual MSR and PIN
    pad): an order on the server, its signed request from the pull queue;
  - build/tests/vm/pt-bindings-client (only generated proxies: Terminal1
    and Reader1 properties, StartPayment, then Transaction1's notify::
    signals and ::finished) starts the payment; while it waits for the card
    every object's introspection is compared with the installed XML
    (test_dbus_introspect's comparison, imported);
  - the test swipes the test card and types its PIN on the virtual pad;
  - the client ends approved with 00, and its Outcome line equals what
    paytermctl status --json shows for the same transaction and what the
    server recorded for the order."""
import filecmp
import glob
import os
import queue
import re
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payment_env import PaymentEnv, pslib  # noqa: E402
from payterm_uapi import KEY_ENTER, TestRunner  # noqa: E402
from paytermd_lib import B, ROOT, Pay  # noqa: E402
import test_dbus_introspect as tdi  # noqa: E402

T = TestRunner()
CLIENT = os.path.join(B, 'tests/vm/pt-bindings-client')
DESTDIR = os.environ.get('PAYTERM_BINDINGS_DESTDIR', '')
IFACE_DIR = DESTDIR + '/usr/share/dbus-1/interfaces'
GEN_XML = os.path.join(B, 'gen/tests/vm/bindings/xml')
CARD = pslib.card('visa-magstripe')
AMOUNT = 2345
S = {}


class Client(Pay):
    """pt-bindings-client REQUEST in the background; Pay's wait()/finish()
    on its lines."""

    def __init__(self, env, req):
        # a GLib warning (a signal name the XML lacks...) aborts it
        self.p = subprocess.Popen([CLIENT, req, '60'], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True,
                                  env=dict(env, G_DEBUG='fatal-warnings'))
        self.q = queue.Queue()
        self.lines = []
        self.echo = None
        threading.Thread(target=self._read, daemon=True).start()


OUTCOME_KEYS = ('path', 'state', 'result_code', 'auth_code', 'masked_pan',
                'entry_mode', 'amount', 'currency', 'order_id', 'message')


def outcome(out):
    """The client's one Outcome line as a dict (message last: it has
    spaces)."""
    lines = [x for x in out.splitlines() if x.startswith('Outcome: ')]
    assert len(lines) == 1, 'not one Outcome line:\n' + out
    m = re.fullmatch('Outcome: ' + ' '.join('%s=(.*)' % k if k == 'message'
                                            else '%s=(\\S*)' % k
                                            for k in OUTCOME_KEYS), lines[0])
    assert m, 'malformed Outcome line %r' % lines[0]
    return dict(zip(OUTCOME_KEYS, m.groups()))


@T.case
def t_installed_xml():
    """make install-userspace put exactly daemon/dbus/*.xml, the files the
    client was generated from, into /usr/share/dbus-1/interfaces/."""
    assert DESTDIR, 'PAYTERM_BINDINGS_DESTDIR not set (tests/vm/t-dbus-bindings)'
    inst = sorted(os.path.basename(f) for f in glob.glob(IFACE_DIR + '/*.xml'))
    for d in (ROOT + '/daemon/dbus', GEN_XML):
        other = sorted(os.path.basename(f) for f in glob.glob(d + '/*.xml'))
        assert inst and inst == other, (IFACE_DIR, inst, d, other)
        for f in inst:
            assert filecmp.cmp(IFACE_DIR + '/' + f, d + '/' + f,
                               shallow=False), \
                '%s/%s: differs from the installed copy' % (d, f)
    assert os.access(CLIENT, os.X_OK), CLIENT + ' not built (make)'
    print('     %s: %s' % (IFACE_DIR, ', '.join(inst)))


@T.case
def t_start():
    """The payment stack; an order and its signed request; the generated
    client starts the payment and reports the terminal and its readers."""
    global E
    E = PaymentEnv()
    S['order'] = E.order(AMOUNT)
    S['client'] = c = Client(E.bus, E.request_file(S['order']))
    term = c.wait('^Terminal: ')
    assert 'State=idle' in term and 'TerminalId=T1' in term, term
    readers = re.search(r'Readers=(\S*)', term).group(1).split(',')
    assert len(readers) >= 3, term
    for _ in readers:
        line = c.wait('^Reader: ')
        assert 'Capabilities=' in line, line
    S['path'] = c.wait('^Transaction: ').split()[1]
    assert S['path'].startswith('/org/payterm/Transaction/'), S['path']
    c.wait('Present card')
    print('     %s' % term)


@T.case
def t_compare():
    """While the payment waits for the card: every non-standard interface
    of every object equals its installed file (test_dbus_introspect's
    model and diff, on this test's bus and DESTDIR)."""
    tdi.W = E.w                 # its busctl() talks to W/bus
    tdi.XML_DIR = IFACE_DIR     # its shipped() reads XML_DIR/*.xml
    ship = tdi.shipped()
    tree = tdi.live_tree()
    assert 'org.payterm.Transaction1' in tree.get(S['path'], {}), sorted(tree)
    live = {i for ifaces in tree.values() for i in ifaces
            if not tdi.standard(i)}
    assert live == set(ship), (sorted(live), sorted(ship))
    bad = []
    n = 0
    for path, ifaces in sorted(tree.items()):
        for name, elem in sorted(ifaces.items()):
            if tdi.standard(name):
                continue
            d = tdi.diff(ship[name][1], elem, 'installed ' + name,
                         'live %s %s' % (path, name))
            if d:
                bad.append(d)
            n += 1
    assert n >= 3, 'compared only %d interfaces' % n
    assert not bad, 'installed XML differs from paytermd:\n' + '\n'.join(bad)
    print('     %d interfaces on %d objects equal the installed XML' % (
        n, len(tree)))


@T.case
def t_pay():
    """Swipe + PIN on the virtual readers; the client follows the
    transaction to approved 00 and exits 0."""
    c = S['client']
    E.msr.swipe(CARD['track1'], CARD['track2'])
    c.wait('Enter PIN')
    for i, ch in enumerate(CARD['pin']):
        E.pad.key(int(ch))
        c.wait('^PIN: ' + '\\*' * (i + 1) + '$')
    E.pad.key(KEY_ENTER)
    rc, out = c.finish(timeout=60)
    print('\n'.join('     | ' + x for x in out.splitlines()))
    assert rc == 0, 'client exit %d:\n%s' % (rc, out)
    masked = CARD['pan'][:6] + '******' + CARD['pan'][-4:]
    assert 'Card: ' + masked in out.splitlines(), out
    assert re.search('^Finished: approved 00 ', out, re.M), out
    o = outcome(out)
    assert o['path'] == S['path'] and o['state'] == 'approved' and \
        o['result_code'] == '00' and o['auth_code'], o
    assert o['masked_pan'] == masked and o['entry_mode'] == 'swipe', o
    assert o['amount'] == str(AMOUNT) and o['currency'] == 'EUR', o
    assert o['order_id'] == S['order']['order_id'], o
    S['outcome'] = o


@T.case
def t_same_as_paytermctl():
    """paytermctl status --json on the same transaction (still there for
    result_linger) shows what the client printed; the server recorded the
    same result for the order."""
    import json
    o = S['outcome']
    r = E.ctl('status', '--json', o['path'])
    assert r.returncode == 0, r.stdout + r.stderr
    t = json.loads(r.stdout)['transaction']
    mine = dict(o, amount=int(o['amount']))
    theirs = {k: t[k] for k in OUTCOME_KEYS}
    assert mine == theirs, 'client %r\npaytermctl %r' % (mine, theirs)
    od = E.server.wait_order(o['order_id'], 'paid')
    assert od['response_code'] == o['result_code'] and \
        od['auth_code'] == o['auth_code'], (od, o)
    print('     paytermctl status: %s %s %s' % (t['state'], t['result_code'],
                                                t['message']))


@T.case
def t_stop():
    assert E.close(), 'payment environment clean-up failed'


E = None

if __name__ == '__main__':
    sys.exit(T.run(sys.argv))
