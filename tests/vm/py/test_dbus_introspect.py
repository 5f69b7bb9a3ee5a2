#!/usr/bin/python3
"""VM test: the shipped D-Bus introspection XML (daemon/dbus/*.xml, one file
per interface, for gdbus-codegen and other build-time bindings) against the
running paytermd.  Run in the guest after tests/vm/load-modules payterm
payterm_virt (tests/vm/t-dbus-introspect).

The real paytermd runs on a real dbus-daemon (a private system bus, as in
test_paytermd.py) with a virtual card reader and PIN pad, so a Reader1
object exists, and a payment is started so that a Transaction1 object
exists.  Every object of the service is then introspected (walking the
tree from /) and each interface outside org.freedesktop.DBus.* is compared
with its file: methods (in and out arguments in order, with types and
names), signals (arguments), properties (type, access, EmitsChangedSignal)
and annotations.  A mismatch fails with a unified diff, shipped vs live.
The comparison is shown to be able to fail: altered copies of the shipped
XML (in memory) must be reported as different."""
import base64
import copy
import difflib
import glob
import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payterm_uapi import (CAP_MSR, CAP_PINPAD, TestRunner, Virt,  # noqa: E402
                          wait_until)

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import \
    decode_dss_signature  # noqa: E402

from paytermd_lib import (ROOT, Daemon, Pay, bus_env, ctl,  # noqa: E402
                          offline_terminal, start_bus)

T = TestRunner()
W = '/tmp/dbi'
ENV = bus_env(W)
# PAYTERM_DBUS_XML_DIR: compare another set of files (a path in the checkout)
XML_DIR = os.path.join(ROOT, os.environ.get('PAYTERM_DBUS_XML_DIR',
                                            'daemon/dbus'))
SERVICE = 'org.payterm.Terminal1'
DOCTYPE = ('<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object '
           'Introspection 1.0//EN"\n "http://www.freedesktop.org/standards/'
           'dbus/1.0/introspect.dtd">')
ECS = 'org.freedesktop.DBus.Property.EmitsChangedSignal'


def standard(iface):
    return iface.startswith('org.freedesktop.DBus.')


# ---------------------------------------------------------------- model

def annotations(elem):
    """Annotations of ELEM as 'name=value', sorted; sd-bus's own
    org.freedesktop.systemd1.* hints are not part of the interface."""
    return sorted('%s=%s' % (a.get('name'), a.get('value'))
                  for a in elem.findall('annotation')
                  if a.get('name') != ECS and
                  not a.get('name', '').startswith('org.freedesktop.systemd1.'))


def emits(elem, default='true'):
    for a in elem.findall('annotation'):
        if a.get('name') == ECS:
            return a.get('value')
    return default


def args(elem, direction=None):
    """'type name' of the <arg>s of ELEM, in order; DIRECTION: only those
    (a method's arg without direction is 'in', as the specification says)."""
    return ['%s %s' % (a.get('type'), a.get('name') or '-')
            for a in elem.findall('arg')
            if direction is None or (a.get('direction') or 'in') == direction]


def model(iface):
    """The canonical lines of an <interface> element, sorted by member:
    what a binding generated from it depends on."""
    lines = []
    for a in annotations(iface):
        lines.append('interface annotation %s' % a)
    iface_emits = emits(iface)
    for m in iface.findall('method'):
        lines.append('method %s in(%s) out(%s)%s' % (
            m.get('name'), ', '.join(args(m, 'in')), ', '.join(args(m, 'out')),
            ''.join(' [%s]' % a for a in annotations(m))))
    for s in iface.findall('signal'):
        lines.append('signal %s(%s)%s' % (
            s.get('name'), ', '.join(args(s)),
            ''.join(' [%s]' % a for a in annotations(s))))
    for p in iface.findall('property'):
        lines.append('property %s %s %s EmitsChangedSignal=%s%s' % (
            p.get('name'), p.get('type'), p.get('access'),
            emits(p, iface_emits),
            ''.join(' [%s]' % a for a in annotations(p))))
    return sorted(lines)


def counts(iface):
    return '%d methods, %d signals, %d properties' % tuple(
        len(iface.findall(k)) for k in ('method', 'signal', 'property'))


def diff(shipped, live, shipped_name, live_name):
    """'' when SHIPPED and LIVE (<interface> elements) are the same."""
    return '\n'.join(difflib.unified_diff(
        model(shipped), model(live), fromfile=shipped_name,
        tofile=live_name, lineterm='', n=0))


def shipped_files():
    files = sorted(glob.glob(XML_DIR + '/*.xml'))
    assert files, 'no XML in ' + XML_DIR
    return files


def shipped():
    """{interface name: (file, <interface> element)}."""
    out = {}
    for f in shipped_files():
        node = ET.parse(f).getroot()
        ifaces = node.findall('interface')
        assert node.tag == 'node' and len(ifaces) == 1, \
            '%s: want one <node> with one <interface>' % f
        out[ifaces[0].get('name')] = (os.path.relpath(f, ROOT), ifaces[0])
    return out


# ---------------------------------------------------------------- bus

def busctl(*a):
    r = subprocess.run(['busctl', '--address=unix:path=%s/bus' % W,
                        '--json=short'] + list(a),
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, 'busctl %s: %s' % (' '.join(a), r.stderr)
    return json.loads(r.stdout)['data']


def introspect(path):
    return busctl('call', SERVICE, path, 'org.freedesktop.DBus.Introspectable',
                  'Introspect')[0]


def live_tree():
    """{path: {interface: <interface> element}} for every object of the
    service, found by walking the <node> children from /."""
    out = {}
    todo = ['/']
    while todo:
        path = todo.pop()
        root = ET.fromstring(introspect(path))
        out[path] = {i.get('name'): i for i in root.findall('interface')}
        for child in root.findall('node'):
            name = child.get('name')
            todo.append(path.rstrip('/') + '/' + name)
    return out


def get_prop(path, iface, prop):
    return busctl('get-property', SERVICE, path, iface, prop)


# ---------------------------------------------------------------- setup

def b64(x):
    return base64.urlsafe_b64encode(x).rstrip(b'=').decode()


def request(key):
    now = int(time.time())
    h = b64(json.dumps({'alg': 'ES256', 'typ': 'payterm-request+jws',
                        'kid': 'payterm-1'}).encode())
    p = b64(json.dumps({
        'iss': 'payterm-server', 'request_id': 'req_vm_introspect',
        'merchant_id': 'MERCHANT0001', 'order_id': 'order-introspect',
        'amount': 1234, 'currency': 'EUR', 'currency_numeric': '978',
        'description': 'introspection', 'terminal_id': 'TERM0001',
        'iat': now - 10, 'exp': now + 600}).encode())
    r, s = decode_dss_signature(key.sign((h + '.' + p).encode(),
                                         ec.ECDSA(hashes.SHA256())))
    path = W + '/req.jws'
    with open(path, 'w') as f:
        f.write(h + '.' + p + '.' + b64(r.to_bytes(32, 'big') +
                                         s.to_bytes(32, 'big')))
    return path


S = {}      # daemon, readers, payment, live tree


@T.case
def t_shipped_files():
    """Each file: the standard DOCTYPE, one <node> with one <interface>
    named as the file, a doc comment before the interface and each member,
    named and typed args, method args with a direction."""
    for f in shipped_files():
        text = open(f).read()
        assert text.startswith(DOCTYPE + '\n'), \
            '%s: does not start with the standard DOCTYPE' % f
        if shutil.which('xmllint'):
            r = subprocess.run(['xmllint', '--noout', '--nonet', f],
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
        tb = ET.TreeBuilder(insert_comments=True)
        node = ET.parse(f, ET.XMLParser(target=tb)).getroot()
        ifaces = node.findall('interface')
        assert len(ifaces) == 1 and len(node) == 2, \
            '%s: want a doc comment and one <interface> in <node>' % f
        iface = ifaces[0]
        assert os.path.basename(f) == iface.get('name') + '.xml', f
        assert node[0].tag is ET.Comment, '%s: no doc comment' % f
        prev = None
        for e in iface:
            if e.tag in ('method', 'signal', 'property'):
                assert prev is not None and prev.tag is ET.Comment, \
                    '%s: %s %s has no doc comment' % (f, e.tag, e.get('name'))
                for a in e.findall('arg'):
                    assert a.get('name') and a.get('type'), \
                        '%s: %s: arg without name or type' % (f, e.get('name'))
                    assert (a.get('direction') in ('in', 'out')) == \
                        (e.tag == 'method'), \
                        '%s: %s: arg direction' % (f, e.get('name'))
                if e.tag == 'property':
                    assert e.get('access') in ('read', 'write', 'readwrite')
            prev = e
        print('     %s: %s' % (iface.get('name'), counts(iface)))


@T.case
def t_start():
    """paytermd on a private system bus, a virtual card reader and PIN
    pad, and a payment waiting for the card."""
    os.makedirs(W + '/state', exist_ok=True)
    os.chmod(W, 0o700)
    start_bus(W)
    key = offline_terminal(W)
    S['daemon'] = Daemon(W, ENV)
    S['msr'] = Virt(CAP_MSR, name='vm-msr')
    S['pad'] = Virt(CAP_PINPAD, name='vm-pinpad')
    assert wait_until(lambda: len(get_prop('/org/payterm/Terminal1',
                                           SERVICE, 'Readers')) >= 2, 5)
    S['pay'] = Pay(ENV, request(key))
    S['pay'].wait('Present card')
    txn = get_prop('/org/payterm/Terminal1', SERVICE, 'ActiveTransaction')
    assert txn.startswith('/org/payterm/Transaction/'), txn
    S['txn'] = txn
    S['tree'] = live_tree()


@T.case
def t_objects():
    """The live objects: Terminal1 at its path, Transaction1 at the
    active transaction, Reader1 on every reader; the set of non-standard
    interfaces on the bus is exactly the set of shipped files."""
    tree = S['tree']
    assert SERVICE in tree.get('/org/payterm/Terminal1', {}), sorted(tree)
    assert 'org.payterm.Transaction1' in tree.get(S['txn'], {}), \
        (S['txn'], sorted(tree))
    readers = get_prop('/org/payterm/Terminal1', SERVICE, 'Readers')
    for r in readers:
        assert 'org.payterm.Reader1' in tree.get(r, {}), (r, sorted(tree))
    live = {i for ifaces in tree.values() for i in ifaces if not standard(i)}
    ship = set(shipped())
    assert live == ship, ('interfaces on the bus without a file: %s; files '
                          'for no live interface: %s' % (
                              sorted(live - ship), sorted(ship - live)))
    for path in sorted(tree):
        mine = sorted(i for i in tree[path] if not standard(i))
        if mine:
            print('     %s: %s' % (path, ', '.join(mine)))


@T.case
def t_compare():
    """Every non-standard interface of every object equals its file."""
    ship = shipped()
    bad = []
    n = 0
    for path, ifaces in sorted(S['tree'].items()):
        for name, live in sorted(ifaces.items()):
            if standard(name):
                continue
            f, iface = ship[name]
            d = diff(iface, live, f, 'live %s %s' % (path, name))
            if d:
                bad.append(d)
                ET.indent(live)
                print('     the live %s on %s:\n%s' % (
                    name, path, ET.tostring(live, encoding='unicode')))
            n += 1
            print('     %s on %s: %s' % (name, path, counts(live)))
    assert n >= 3, 'compared only %d interfaces' % n
    assert not bad, 'shipped XML differs from paytermd:\n' + '\n'.join(bad)


def mutated(iface_name, change):
    """Diff of a copy of the shipped INTERFACE_NAME altered by CHANGE (a
    function on the copied <interface>) against the live object."""
    f, iface = shipped()[iface_name]
    alt = copy.deepcopy(iface)
    change(alt)
    path = {SERVICE: '/org/payterm/Terminal1',
            'org.payterm.Transaction1': S['txn']}.get(iface_name)
    if path is None:
        path = get_prop('/org/payterm/Terminal1', SERVICE, 'Readers')[0]
    return diff(alt, S['tree'][path][iface_name], f + ' (altered)',
                'live %s' % path)


def find(iface, tag, name):
    e = [x for x in iface.findall(tag) if x.get('name') == name]
    assert len(e) == 1, (tag, name)
    return e[0]


def set_arg(tag, member, arg, **attrs):
    def change(iface):
        for a in find(iface, tag, member).findall('arg'):
            if a.get('name') == arg:
                a.attrib.update(attrs)
    return change


def swap_args(tag, member):
    def change(iface):
        m = find(iface, tag, member)
        a = m.findall('arg')
        i, j = list(m).index(a[0]), list(m).index(a[1])
        m[i], m[j] = m[j], m[i]
    return change


def set_prop(name, **attrs):
    return lambda iface: find(iface, 'property', name).attrib.update(attrs)


def drop(tag, name):
    return lambda iface: iface.remove(find(iface, tag, name))


def add_method(name):
    return lambda iface: ET.SubElement(iface, 'method', name=name)


def drop_annotation(prop):
    def change(iface):
        p = find(iface, 'property', prop)
        for a in p.findall('annotation'):
            p.remove(a)
    return change


@T.case
def t_self_check():
    """The comparison can fail: altered copies of the shipped XML are
    reported, each with a diff naming the altered member."""
    alterations = [
        (SERVICE, 'StartPayment options a{sv} -> a{ss}',
         set_arg('method', 'StartPayment', 'options', type='a{ss}'),
         'StartPayment'),
        (SERVICE, 'StartPayment out o -> s',
         set_arg('method', 'StartPayment', 'transaction', type='s'),
         'StartPayment'),
        (SERVICE, 'StartPayment in args swapped',
         swap_args('method', 'StartPayment'), 'StartPayment'),
        (SERVICE, 'RequestReceived amount t -> u',
         set_arg('signal', 'RequestReceived', 'amount', type='u'),
         'RequestReceived'),
        (SERVICE, 'PendingRequests dropped', drop('property', 'PendingRequests'),
         'PendingRequests'),
        (SERVICE, 'extra method', add_method('Refund'), 'Refund'),
        ('org.payterm.Transaction1', 'State readwrite',
         set_prop('State', access='readwrite'), 'State'),
        ('org.payterm.Transaction1', 'Amount not const',
         drop_annotation('Amount'), 'Amount'),
        ('org.payterm.Transaction1', 'Finished message renamed',
         set_arg('signal', 'Finished', 'message', name='text'), 'Finished'),
        ('org.payterm.Transaction1', 'Cancel dropped', drop('method', 'Cancel'),
         'Cancel'),
        ('org.payterm.Reader1', 'Vendor q -> u',
         set_prop('Vendor', type='u'), 'Vendor'),
    ]
    missed = []
    for iface, what, change, member in alterations:
        d = mutated(iface, change)
        if not d or member not in d:
            missed.append('%s: %s: %s' % (iface, what, d or 'no difference'))
        elif what.startswith('StartPayment options'):
            print('\n'.join('     | ' + x for x in d.split('\n')))
    assert not missed, 'alterations not reported:\n' + '\n'.join(missed)
    print('     %d alterations reported' % len(alterations))


@T.case
def t_gdbus_codegen():
    """gdbus-codegen (libglib2.0-dev-bin) generates C code and docs from
    the files, when it is installed."""
    if not shutil.which('gdbus-codegen'):
        print('     gdbus-codegen not installed: not checked')
        return
    out = W + '/gen'
    os.makedirs(out, exist_ok=True)
    r = subprocess.run(['gdbus-codegen', '--interface-prefix', 'org.payterm.',
                        '--c-namespace', 'Pt', '--output-directory', out,
                        '--generate-c-code', 'payterm-dbus',
                        '--generate-docbook', 'doc'] + shipped_files(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    h = open(out + '/payterm-dbus.h').read()
    for sym in ('pt_terminal1_call_start_payment', 'pt_transaction1_call_cancel',
                'pt_reader1_get_capabilities'):
        assert sym in h, sym


@T.case
def t_stop():
    r = ctl(ENV, 'cancel')
    assert r.returncode == 0, r.stderr
    rc, out = S['pay'].finish()
    assert rc == 7 and 'Result: cancelled' in out, out
    S['daemon'].stop()


if __name__ == '__main__':
    sys.exit(T.run(sys.argv))
