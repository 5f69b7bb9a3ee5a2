#!/usr/bin/python3
"""VM test: kiosk mode, the shipped polkit rules (issue 18).

As t-polkit (test_polkit.py, whose helpers this reuses): the installed
paytermd as its own user on Debian's system bus, a real polkitd with the
repository's action.  No logind runs: nobody has a session, as for an app
started by a systemd unit.  dave (API group) is also in group
payterm-kiosk, alice (API group) is not.  Without any rules file both are
refused (NotAuthorized: the action's defaults want an active session).
With daemon/systemd/50-payterm-kiosk.rules itself copied to
/etc/polkit-1/rules.d (polkitd restarted), dave's payment starts, alice is
still refused, and dave gets no other polkit action (pkcheck); the file
removed again, dave is refused.

PAYTERM_TEST_POLKIT_KIOSK_RULES: another rules file (relative to the
checkout), e.g. one granting nothing, to see this fail.
Run after tests/vm/load-modules payterm payterm_virt."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guest_sys as gs  # noqa: E402
import test_devaccess as da  # noqa: E402
import test_polkit as tp  # noqa: E402 (pay(), log(), PRODUCTION)
from payterm_uapi import TestRunner, wait_until  # noqa: E402

T = TestRunner()
S = da.S
KIOSK_GROUP = 'payterm-kiosk'       # the group 50-payterm-kiosk.rules names
MEMBER, OTHER = 'dave', 'alice'     # both in the API group "payterm"
INSTALLED = '/etc/polkit-1/rules.d/50-payterm-kiosk.rules'
# actions of other packages in the guest (the host's, kept by Polkitd):
# the kiosk rule must not reach them
FOREIGN = ('org.freedesktop.systemd1.manage-units',
           'org.freedesktop.login1.reboot')


def start_polkitd():
    gs.add_group(KIOSK_GROUP, 2996, [MEMBER])
    S['polkitd'] = gs.Polkitd(da.W, {})     # no rules file at all


def restart_polkitd():
    """polkitd reads rules.d at start: no wait for its file monitor."""
    S['polkitd'].stop()
    S['polkitd'].start()


def denied(user):
    ok, out = tp.pay(user)
    assert not ok and 'NotAuthorized' in out, user + ':\n' + out
    return out


def pkcheck(user, action):
    """pkcheck's exit status for ACTION and a process of USER (0 yes, 1 no,
    2 only after authentication)."""
    p = subprocess.Popen(gs.as_user(user, 'sleep', '60'))
    try:
        # setpriv has exec'd sleep as USER once the uid has changed
        assert wait_until(lambda: 'Uid:\t%d\t' % gs.USERS[user][0] in
                          open('/proc/%d/status' % p.pid).read(), 5)
        time.sleep(0.1)
        r = subprocess.run(['pkcheck', '--action-id', action, '--process',
                            str(p.pid)], capture_output=True, text=True,
                           env=gs.bus_env())
        return r.returncode, r.stdout + r.stderr
    finally:
        p.kill()
        p.wait()


@T.case
def t_setup():
    da.setup(daemon=tp.PRODUCTION, before_daemon=start_polkitd)
    assert subprocess.run(['busctl', 'status', 'org.freedesktop.login1'],
                          capture_output=True,
                          env=gs.bus_env()).returncode != 0, \
        'logind on the bus: the test users could have sessions'


@T.case
def t_no_rules_member_denied():
    denied(MEMBER)


@T.case
def t_no_rules_other_denied():
    denied(OTHER)


@T.case
def t_install_rules():
    """The repository's file, byte for byte (not one written here)."""
    shutil.copyfile(gs.KIOSK_RULES, INSTALLED)
    restart_polkitd()
    assert open(INSTALLED).read() == open(gs.KIOSK_RULES).read()


@T.case
def t_rules_member_pays():
    ok, out = tp.pay(MEMBER)
    assert ok, MEMBER + ' refused:\n' + out + '\n' + tp.log()


@T.case
def t_rules_other_denied():
    denied(OTHER)


@T.case
def t_rules_grant_nothing_else():
    """pkcheck as root: org.payterm.pay is yes for the member (so pkcheck
    itself works here), every other action keeps its defaults."""
    rc, out = pkcheck(MEMBER, 'org.payterm.pay')
    assert rc == 0, out
    rc, out = pkcheck(OTHER, 'org.payterm.pay')
    assert rc == 1, out
    for action in FOREIGN:
        rc, out = pkcheck(MEMBER, action)
        assert rc in (1, 2), '%s: %d %s' % (action, rc, out)


@T.case
def t_rules_removed_denied():
    os.unlink(INSTALLED)
    restart_polkitd()
    denied(MEMBER)


if __name__ == '__main__':
    sys.exit(T.run(sys.argv))
