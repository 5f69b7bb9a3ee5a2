#!/usr/bin/python3
"""VM test: polkit decides, and fails closed (issue 12, item 7).

The installed paytermd (build/paytermd, not the test build) as its own
user on Debian's system bus with the repository's policy, and a real
polkitd (as user polkitd) with the repository's action
(org.payterm.policy in the guest's /usr/share/polkit-1/actions) and test
rules in /etc/polkit-1/rules.d (both tmpfs copies): alice is allowed by a
rule, bob denied by a rule, dave (API group, no rule) denied by the
action's defaults (not in an active session).  PAYTERMD_NO_POLKIT=1 is in
the daemon's environment throughout and must change nothing.  Then
polkitd is stopped: alice is refused; paytermd restarted while polkitd is
away (absent at start): still refused; polkitd back: alice allowed again.

PAYTERM_PAYTERMD_BIN: another daemon (an older one, to see this fail).
Run after tests/vm/load-modules payterm payterm_virt."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guest_sys as gs  # noqa: E402
import paytermd_lib as pl  # noqa: E402
import test_devaccess as da  # noqa: E402
from payterm_uapi import TestRunner, wait_until  # noqa: E402

T = TestRunner()
W = da.W
S = da.S
PRODUCTION = os.path.join(gs.B, 'paytermd')
if os.environ.get('PAYTERM_PAYTERMD_BIN'):
    PRODUCTION = os.path.join(gs.ROOT, os.environ['PAYTERM_PAYTERMD_BIN'])

RULES = {'50-payterm-test.rules': '''
polkit.addRule(function(action, subject) {
    if (action.id == "org.payterm.pay" && subject.user == "alice")
        return polkit.Result.YES;
});
polkit.addRule(function(action, subject) {
    if (action.id == "org.payterm.pay" && subject.user == "bob")
        return polkit.Result.NO;
});
'''}


def start_polkitd():
    S['polkitd'] = gs.Polkitd(W, RULES)


def pay(user):
    """StartPayment as USER: (True, '') when the payment started (it is
    cancelled at once), (False, output) when it was refused."""
    p = pl.Pay(gs.bus_env(), da.request(), wrap=gs.as_user(user))
    try:
        p.wait('Present card|Error|rror', timeout=40)
    except AssertionError:
        pass
    if any('Present card' in x for x in p.lines):
        r = pl.ctl(gs.bus_env(), 'cancel')
        assert r.returncode == 0, r.stderr
        rc, out = p.finish()
        assert rc == 7, out
        return True, out
    rc, out = p.finish(timeout=40)
    assert rc == 8, out             # refused by StartPayment
    return False, out


def log():
    return open(W + '/paytermd.log', errors='replace').read()


@T.case
def t_setup():
    da.setup(daemon=PRODUCTION, env={'PAYTERMD_NO_POLKIT': '1'},
             before_daemon=start_polkitd)
    assert 'PAYTERMD_NO_POLKIT ignored' in log(), log()


@T.case
def t_rule_allows():
    ok, out = pay('alice')
    assert ok, 'alice refused:\n' + out + '\n' + log()


@T.case
def t_rule_denies():
    ok, out = pay('bob')
    assert not ok and 'NotAuthorized' in out, out


@T.case
def t_default_denies():
    """No rule: the action's defaults (allow_any no; dave is in no
    session)."""
    ok, out = pay('dave')
    assert not ok and 'NotAuthorized' in out, out


@T.case
def t_polkitd_stopped():
    S['polkitd'].stop()
    assert wait_until(lambda: subprocess.run(
        ['busctl', 'status', 'org.freedesktop.PolicyKit1'],
        capture_output=True, env=gs.bus_env()).returncode != 0, 10)
    ok, out = pay('alice')
    assert not ok and 'NotAuthorized' in out, out


@T.case
def t_polkitd_absent_at_start():
    da.stop_daemon()
    da.start_daemon()
    ok, out = pay('alice')
    assert not ok and 'NotAuthorized' in out, out
    ok, out = pay('bob')
    assert not ok, out


@T.case
def t_polkitd_back():
    S['polkitd'].start()
    ok, out = pay('alice')
    assert ok, 'alice refused:\n' + out + '\n' + log()
    ok, out = pay('bob')
    assert not ok, out


if __name__ == '__main__':
    sys.exit(T.run(sys.argv))
