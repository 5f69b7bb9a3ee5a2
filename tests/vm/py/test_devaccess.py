#!/usr/bin/python3
"""VM test: who may open the readers (issue 12, item 1).

The reader nodes /dev/paytermN must be openable by paytermd's own user only
(root:paytermd 0660, the group paytermd without other members), not by the
API group payterm, whose members talk to the daemon over D-Bus.  Everything
is as installed: the users and groups of daemon/systemd/paytermd.sysusers.conf
(+ test users in the API group), the daemon's groups from the unit's
User=/Group=/SupplementaryGroups=, udev/60-payterm.rules in the guest's
/etc/udev/rules.d applied by a real systemd-udevd, the repository's D-Bus
policy on a system bus configured like Debian's.  Then: as alice (API
group) and carol (no group) every open of every /dev/paytermN fails with
EACCES; as the daemon's user it works; and alice pays over D-Bus (card and
PIN read by the daemon from the readers she cannot open; the server is
absent, so the payment ends "unreachable" after submission).

PAYTERM_TEST_UDEV_RULES / PAYTERM_TEST_SYSUSERS / PAYTERM_TEST_UNIT /
PAYTERM_PAYTERMD_BIN: other files (e.g. an older version's, to see this
test fail).  Run after tests/vm/load-modules payterm payterm_virt."""
import errno
import grp
import os
import pwd
import re
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guest_sys as gs  # noqa: E402
import paytermd_lib as pl  # noqa: E402
from payterm_uapi import (CAP_MSR, CAP_PINPAD, KEY_ENTER, TestRunner,  # noqa: E402
                          Virt, wait_until)

T = TestRunner()
W = '/tmp/da'
ROOT = gs.ROOT


def path_env(var, default):
    v = os.environ.get(var)
    return os.path.join(ROOT, v) if v else os.path.join(ROOT, default)


SYSUSERS = path_env('PAYTERM_TEST_SYSUSERS', 'daemon/systemd/paytermd.sysusers.conf')
UNIT = path_env('PAYTERM_TEST_UNIT', 'daemon/systemd/paytermd.service.in')
CARD = {'pan': '4111111111111111',
        'track1': '%B4111111111111111^TEST/CARD^3106101000000000000000?',
        'track2': ';4111111111111111=31061010000000000000?'}
PIN = '4321'
S = {}


def sysusers_and_test_users():
    """Users and groups of the sysusers file, then the test users."""
    pw = open('/etc/passwd').read().rstrip('\n').split('\n')
    gr = open('/etc/group').read().rstrip('\n').split('\n')
    have_g = {line.split(':')[0] for line in gr}
    have_u = {line.split(':')[0] for line in pw}
    groups, members, users = {}, {}, {}
    gid = 2990
    for line in open(SYSUSERS):
        f = line.split()
        if not f or f[0].startswith('#'):
            continue
        if f[0] == 'u':
            users[f[1]] = gid
            groups.setdefault(f[1], gid)
            gid += 1
        elif f[0] == 'g':
            groups.setdefault(f[1], gid)
            gid += 1
        elif f[0] == 'm':
            members.setdefault(f[2], []).append(f[1])
    for g in groups:
        assert g not in have_g, 'group %s exists on this machine' % g
    for u in users:
        assert u not in have_u, 'user %s exists on this machine' % u
    assert gs.API_GROUP in groups and gs.DAEMON_USER in users, SYSUSERS
    for u, (uid, api) in gs.USERS.items():
        if api:
            members.setdefault(gs.API_GROUP, []).append(u)
    for g, n in groups.items():
        gr.append('%s:x:%d:%s' % (g, n, ','.join(members.get(g, []))))
    for u, n in users.items():
        pw.append('%s:x:%d:%d:system user:/nonexistent:/usr/sbin/nologin'
                  % (u, n, groups[u]))
    for u, (uid, _) in gs.USERS.items():
        gr.append('%s:x:%d:' % (u, uid))
        pw.append('%s:x:%d:%d:test user:/nonexistent:/bin/sh' % (u, uid, uid))
    gs.bind_copy('/etc/group', '\n'.join(gr) + '\n')
    gs.bind_copy('/etc/passwd', '\n'.join(pw) + '\n')


def unit_groups():
    """The daemon's credentials from the unit: (user, group, [supp])."""
    u = g = None
    supp = []
    for line in open(UNIT):
        m = re.match(r'(User|Group|SupplementaryGroups)=(.*)', line.strip())
        if not m:
            continue
        if m.group(1) == 'User':
            u = m.group(2)
        elif m.group(1) == 'Group':
            g = m.group(2)
        else:
            supp = m.group(2).split() if m.group(2).strip() else []
    return u, g or u, supp


def daemon_cmd():
    user, group, supp = unit_groups()
    gids = [grp.getgrnam(x).gr_gid for x in supp]
    gids += [x.gr_gid for x in grp.getgrall() if user in x.gr_mem]
    return ['setpriv', '--reuid=' + user, '--regid=' + group,
            '--groups=' + ','.join(str(x) for x in sorted(set(gids)))
            if gids else '--clear-groups', '--inh-caps=-all',
            '--bounding-set=-all', '--']


def try_open(user, path, flags):
    """errno of open(PATH, FLAGS) as USER (0: it opened)."""
    code = ('import os,sys\n'
            'try:\n os.close(os.open(sys.argv[1], int(sys.argv[2]))); print(0)\n'
            'except OSError as e:\n print(e.errno)\n')
    r = subprocess.run(gs.as_user(user, '/usr/bin/python3', '-c', code, path,
                                  str(flags)), capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 0, r.stderr
    return int(r.stdout.strip())


@T.case
def t_setup():
    setup()


def setup(daemon=None, env=None, before_daemon=None):
    """Users, system bus, udevd, readers, paytermd (DAEMON, default the test
    build with PAYTERMD_NO_POLKIT=1; ENV its environment on top of the bus's);
    BEFORE_DAEMON() runs just before the daemon starts."""
    os.makedirs(W, mode=0o700, exist_ok=True)
    sysusers_and_test_users()
    S['bus'] = gs.SystemBus(W)
    S['udevd'] = gs.Udevd(W)
    subprocess.run(['udevadm', 'trigger', '--action=add',
                    '--subsystem-match=payterm', '--subsystem-match=misc'],
                   check=True)
    S['udevd'].settle()
    # the daemon: as in test_paytermd.py, but as its own user
    S['key'] = pl.offline_terminal(W)
    gs.daemon_home(W)
    S['msr'] = Virt(CAP_MSR, name='da-msr')
    S['pad'] = Virt(CAP_PINPAD, name='da-pinpad')
    S['udevd'].settle()
    if before_daemon:
        before_daemon()
    S['daemon_args'] = (daemon or pl.DAEMON,
                        gs.bus_env({'PAYTERMD_NO_POLKIT': '1'} if env is None
                                   else env))
    start_daemon()


def start_daemon():
    """paytermd as its own user (daemon_cmd()), output in W/paytermd.log."""
    daemon, env = S['daemon_args']
    log = open(W + '/paytermd.log', 'ab')
    S['daemon'] = subprocess.Popen(daemon_cmd() + [daemon, '-c',
                                   W + '/paytermd.conf', '-v'],
                                   stdout=log, stderr=subprocess.STDOUT,
                                   env=env)
    assert wait_until(lambda: pl.ctl(gs.bus_env(), 'status').returncode == 0,
                      15), open(W + '/paytermd.log').read()
    assert wait_until(lambda: pl.ctl(gs.bus_env(), 'readers').stdout.count(
        '/dev/payterm') >= 2, 10), pl.ctl(gs.bus_env(), 'readers').stdout


def nodes():
    return sorted('/dev/' + n for n in os.listdir('/dev')
                  if re.fullmatch(r'payterm\d+', n))


@T.case
def t_node_owner_and_mode():
    """root:paytermd 0660 for every reader, the group paytermd without
    other members, the daemon not in the API group."""
    pd = grp.getgrnam('paytermd')
    assert pd.gr_mem == [], 'group paytermd has members: %r' % pd.gr_mem
    assert [p.pw_name for p in pwd.getpwall() if p.pw_gid == pd.gr_gid] == \
        ['paytermd'], 'group paytermd is the primary group of others'
    ns = nodes()
    assert len(ns) >= 2, ns
    for n in ns:
        st = os.stat(n)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == \
            (0, pd.gr_gid, 0o660), '%s: %d:%d %o' % (
                n, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
    st = os.stat('/dev/payterm-virt')
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0, \
        'payterm-virt %o' % st.st_mode
    status = open('/proc/%d/status' % S['daemon'].pid).read()
    gids = re.search(r'^Groups:\s*(.*)$', status, re.M).group(1).split()
    api = grp.getgrnam(gs.API_GROUP).gr_gid
    assert str(api) not in gids, 'paytermd runs in the API group: ' + status


@T.case
def t_api_group_cannot_open():
    """alice (API group) and carol (no group): EACCES for every reader,
    read-only, write-only and read-write; the daemon's user can open."""
    assert gs.API_GROUP in [g.gr_name for g in grp.getgrall()
                            if 'alice' in g.gr_mem]
    for n in nodes():
        for user in ('alice', 'carol'):
            for fl in (os.O_RDONLY, os.O_WRONLY, os.O_RDWR):
                e = try_open(user, n, fl | os.O_NONBLOCK)
                assert e == errno.EACCES, '%s opened %s (flags %d): errno %d' % (
                    user, n, fl, e)
    # positive control: the daemon's user (its own group)
    r = subprocess.run(daemon_cmd() + ['/usr/bin/python3', '-c',
                       'import os; os.close(os.open("%s", os.O_RDONLY))'
                       % nodes()[0]], capture_output=True, text=True)
    assert r.returncode == 0, 'paytermd cannot open its reader: ' + r.stderr


def stop_daemon():
    S['daemon'].send_signal(2)
    assert S['daemon'].wait(10) == 0, open(W + '/paytermd.log').read()


SEQ = [0]


def request():
    """A signed payment request, readable by every test user."""
    import base64
    import json
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import \
        decode_dss_signature

    def b64(x):
        return base64.urlsafe_b64encode(x).rstrip(b'=').decode()
    now = int(time.time())
    h = b64(json.dumps({'alg': 'ES256'}).encode())
    p = b64(json.dumps({
        'request_id': 'req_da_%d_%d' % (now, SEQ[0]),
        'merchant_id': 'MERCHANT0001',
        'order_id': 'order-da', 'amount': 1234, 'currency': 'EUR',
        'currency_numeric': '978', 'terminal_id': 'TERM0001',
        'iat': now - 10, 'exp': now + 600}).encode())
    r, s = decode_dss_signature(S['key'].sign((h + '.' + p).encode(),
                                              ec.ECDSA(hashes.SHA256())))
    SEQ[0] += 1
    path = '/tmp/da-req-%d.jws' % SEQ[0]
    with open(path, 'w') as f:
        f.write(h + '.' + p + '.' + b64(r.to_bytes(32, 'big') +
                                        s.to_bytes(32, 'big')))
    os.chmod(path, 0o644)
    return path


@T.case
def t_api_group_pays_over_dbus():
    """alice, who cannot open a reader, pays through the daemon."""
    pay = pl.Pay(gs.bus_env(), request(), wrap=gs.as_user('alice'))
    pay.wait('Present card')
    S['msr'].swipe(CARD['track1'], CARD['track2'])
    pay.wait('Card: 411111\\*+1111')
    pay.wait('Enter PIN')
    for i, ch in enumerate(PIN):
        S['pad'].key(int(ch))
        pay.wait('PIN: ' + re.escape('*' * (i + 1)) + '$')
    S['pad'].key(KEY_ENTER)
    rc, out = pay.finish()
    log = open(W + '/paytermd.log', errors='replace').read()
    assert rc == 1 and 'unreachable' in out, out + '\n' + log
    assert 'submitted' in log, log


if __name__ == '__main__':
    sys.exit(T.run(sys.argv))
