#!/usr/bin/python3
"""VM test: D-Bus tells the owner only (issue 12, item 5).

Set up as tests/vm/py/test_devaccess.py (users, Debian's system bus with
the repository's policy, udevd, paytermd as its own user).  alice (API
group) pays; while her payment runs and after it:

* bob, another member of the API group, listens to everything he can:
  dbus-monitor (BecomeMonitor is refused, so it falls back to eavesdrop
  match rules), one more with match rules on the service's sender, path
  namespace and interfaces; busctl monitor and a direct BecomeMonitor call
  must fail.  He must receive nothing about alice's transaction (no
  Transaction1 signal, no message on its path, no PAN fragment, no PIN
  count, no "Enter PIN") -- but does receive the terminal's own signals
  (positive control for his subscription);
* bob cannot read the transaction: Get, GetAll -> AccessDenied, Cancel ->
  AccessDenied, GetManagedObjects and the object tree do not list it;
* carol (no group) receives no signal of the service at all;
* alice receives her signals (paytermctl shows the masked PAN and the PIN
  stars) and can read her transaction; root's monitor (BecomeMonitor)
  sees the transaction's signals (positive control that they exist).

PAYTERM_PAYTERMD_BIN / PAYTERM_TEST_DBUS_POLICY: another daemon or policy
(an older version's, to see this test fail).  Run after
tests/vm/load-modules payterm payterm_virt."""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guest_sys as gs  # noqa: E402
import paytermd_lib as pl  # noqa: E402
import test_devaccess as da  # noqa: E402
from payterm_uapi import KEY_ENTER, TestRunner, wait_until  # noqa: E402

T = TestRunner()
W = da.W
S = da.S
SVC = 'org.payterm.Terminal1'
IFACE = 'org.payterm.Transaction1'
LEAKS = ['org.payterm.Transaction1', 'path=/org/payterm/Transaction/',
         '411111', '******', 'PinDigits', 'MaskedPan', 'Enter PIN',
         'order-da', 'req_da_', 'member=Finished']


def busctl_as(user, *args):
    cmd = ['busctl', '--system'] + list(args)
    if user != 'root':
        cmd = gs.as_user(user, *cmd)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                          env=gs.bus_env())


class Monitor:
    """dbus-monitor as USER, output in W/mon-NAME.log."""

    def __init__(self, name, user, *rules):
        self.path = '%s/mon-%s.log' % (W, name)
        self.f = open(self.path, 'w')
        cmd = ['dbus-monitor', '--system'] + list(rules)
        if user != 'root':
            cmd = gs.as_user(user, *cmd)
        self.p = subprocess.Popen(cmd, stdout=self.f, stderr=subprocess.STDOUT,
                                  env=gs.bus_env())

    def text(self):
        self.f.flush()
        return open(self.path, errors='replace').read()

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        return self.text()


@T.case
def t_setup():
    da.t_setup()
    r = busctl_as('root', 'status', SVC)
    S['uniq'] = re.search(r'^UniqueName=(\S+)', r.stdout, re.M).group(1)
    S['mon'] = {
        'root': Monitor('root', 'root'),
        'bob': Monitor('bob', 'bob'),
        'bob-rules': Monitor('bob-rules', 'bob',
                             "sender='%s'" % SVC, "sender='%s'" % S['uniq'],
                             "path_namespace='/org/payterm'",
                             "interface='org.freedesktop.DBus.Properties'",
                             "interface='%s'" % IFACE, "type='signal'"),
        'carol': Monitor('carol', 'carol'),
    }
    time.sleep(3)       # the monitors have subscribed


@T.case
def t_no_become_monitor():
    """BecomeMonitor is refused to bob (busctl monitor and a direct call)."""
    r = busctl_as('bob', 'monitor', SVC)
    assert r.returncode != 0, 'busctl monitor as bob worked:\n' + r.stdout
    r = subprocess.run(gs.as_user(
        'bob', 'dbus-send', '--system', '--print-reply',
        '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus',
        'org.freedesktop.DBus.Monitoring.BecomeMonitor', 'array:string:',
        'uint32:0'), capture_output=True, text=True, env=gs.bus_env(),
        timeout=20)
    assert r.returncode != 0 and 'AccessDenied' in r.stderr, (r.stdout, r.stderr)


@T.case
def t_owner_only():
    pay = pl.Pay(gs.bus_env(), da.request(), wrap=gs.as_user('alice'))
    path = pay.wait('^Transaction: ').split()[1]
    pay.wait('Present card')
    S['msr'].swipe(da.CARD['track1'], da.CARD['track2'])
    pay.wait('Card: 411111\\*+1111')       # alice gets her signals
    pay.wait('Enter PIN')
    for i, ch in enumerate(da.PIN[:2]):
        S['pad'].key(int(ch))
        pay.wait('PIN: ' + re.escape('*' * (i + 1)) + '$')
    # bob, in the same group, cannot read or cancel it
    for args in (('get-property', SVC, path, IFACE, 'MaskedPan'),
                 ('get-property', SVC, path, IFACE, 'State'),
                 ('call', SVC, path, 'org.freedesktop.DBus.Properties',
                  'GetAll', 's', IFACE),
                 ('call', SVC, path, IFACE, 'Cancel')):
        r = busctl_as('bob', *args)
        assert r.returncode != 0 and 'ccess denied' in r.stderr + r.stdout, \
            'bob: busctl %s: rc %d %s %s' % (' '.join(args), r.returncode,
                                              r.stdout, r.stderr)
    r = busctl_as('bob', 'call', SVC, '/org/payterm',
                  'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects')
    assert r.returncode == 0, r.stderr
    # (the terminal's ActiveTransaction names the path; the object is not
    # listed, nothing of it is shown)
    assert '"%s" ' % path not in r.stdout.replace(
        '"ActiveTransaction" o "%s"' % path, ''), r.stdout
    assert IFACE not in r.stdout and '411111' not in r.stdout, r.stdout
    assert '/org/payterm/Reader/' in r.stdout, r.stdout     # the rest works
    r = busctl_as('bob', 'introspect', SVC, path)
    assert r.returncode != 0 or IFACE not in r.stdout, r.stdout
    # alice can
    r = busctl_as('alice', 'get-property', SVC, path, IFACE, 'MaskedPan')
    assert r.returncode == 0 and '411111******1111' in r.stdout, r
    r = busctl_as('alice', 'call', SVC, '/org/payterm',
                  'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects')
    assert path in r.stdout, r.stdout
    for ch in da.PIN[2:]:
        S['pad'].key(int(ch))
    S['pad'].key(KEY_ENTER)
    rc, out = pay.finish()
    assert rc == 1 and 'unreachable' in out, out
    S['path'] = path


@T.case
def t_nothing_reaches_others():
    time.sleep(1)
    mons = S['mon']
    out = {k: m.stop() for k, m in mons.items()}
    for k in ('bob', 'bob-rules'):
        leaked = [w for w in LEAKS if w in out[k]]
        assert not leaked, '%s received %s:\n%s' % (k, leaked, out[k][-4000:])
    # positive controls: bob's subscriptions work (the terminal's own
    # broadcasts), root's monitor saw the transaction's signals
    assert 'ActiveTransaction' in out['bob'], out['bob'][-3000:]
    assert 'ActiveTransaction' in out['bob-rules'], out['bob-rules'][-3000:]
    assert 'MaskedPan' in out['root'] and '411111' in out['root'], \
        out['root'][-3000:]
    assert 'PinDigits' in out['root'] and 'member=Finished' in out['root']
    # carol is not in the API group: not a single signal of the service
    assert 'sender=%s ' % S['uniq'] not in out['carol'], out['carol'][-3000:]
    assert 'sender=%s ' % S['uniq'] in out['root']


if __name__ == '__main__':
    sys.exit(T.run(sys.argv))
