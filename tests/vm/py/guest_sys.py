# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest-side system setup for the VM tests that check who may do what
(t-devaccess, t-dbus-privacy, t-polkit): unix users and groups, a system
bus configured like Debian's (/usr/share/dbus-1/system.conf, with the
repository's D-Bus policy), systemd-udevd with the repository's udev rules,
polkitd with the repository's action and test rules, and paytermd running
as its own user.

The guest's root is the host's, read-only (tests/vm/run): files of /etc and
/usr are replaced by bind mounts of copies kept on the guest's tmpfs
(/run/ptsys); nothing is written to the host.  Run as root in the guest."""
import grp
import os
import pwd
import shutil
import signal
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '../../..'))
B = os.path.join(ROOT, os.environ.get('B', 'build'))
RUN = '/run/ptsys'
SYSTEM_BUS = '/run/dbus/system_bus_socket'
# the repository's files; PAYTERM_TEST_DBUS_POLICY / _UDEV_RULES /
# _POLKIT_ACTION / _POLKIT_KIOSK_RULES name others (relative to the checkout), e.g. an older
# version's, to see a test fail before a fix
def _repo_file(var, default):
    return os.path.join(ROOT, os.environ.get(var) or default)


POLICY = _repo_file('PAYTERM_TEST_DBUS_POLICY',
                    'daemon/systemd/org.payterm.Terminal1.conf')
RULES = _repo_file('PAYTERM_TEST_UDEV_RULES', 'udev/60-payterm.rules')
ACTION = _repo_file('PAYTERM_TEST_POLKIT_ACTION',
                    'daemon/systemd/org.payterm.policy')
KIOSK_RULES = _repo_file('PAYTERM_TEST_POLKIT_KIOSK_RULES',
                         'daemon/systemd/50-payterm-kiosk.rules')

# API group, the daemon's user and group, test users
API_GROUP = 'payterm'
DAEMON_USER = 'paytermd'
USERS = {               # name: (uid, in the API group)
    'alice': (2901, True),
    'bob': (2902, True),
    'carol': (2903, False),
    'dave': (2904, True),
}


def wait_for(pred, timeout=10, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def bind_copy(path, text):
    """Replace file PATH (read-only host file) with TEXT, by a bind mount
    of a copy on the guest's tmpfs."""
    os.makedirs(RUN, exist_ok=True)
    copy = os.path.join(RUN, path.strip('/').replace('/', '_'))
    with open(copy, 'w') as f:
        f.write(text)
    os.chmod(copy, os.stat(path).st_mode & 0o7777 if os.path.exists(path)
             else 0o644)
    subprocess.run(['mount', '--bind', copy, path], check=True)


def tmpfs_dir(path, files=(), mode=0o755, keep=True):
    """A writable tmpfs over directory PATH holding a copy of what was
    there (KEEP) plus FILES (name -> text or a source path)."""
    old = {}
    if keep and os.path.isdir(path):
        for n in os.listdir(path):
            p = os.path.join(path, n)
            if os.path.isfile(p):
                old[n] = open(p, 'rb').read()
    st = os.stat(path) if os.path.isdir(path) else None
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'mode=%o' % mode,
                    'pt-' + os.path.basename(path), path], check=True)
    if st:
        os.chown(path, st.st_uid, st.st_gid)
    for n, data in old.items():
        with open(os.path.join(path, n), 'wb') as f:
            f.write(data)
    for n, src in dict(files).items():
        dst = os.path.join(path, n)
        if os.path.isfile(src):
            shutil.copyfile(src, dst)
        else:
            with open(dst, 'w') as f:
                f.write(src)
        os.chmod(dst, 0o644)


def add_users():
    """The API group, the daemon's user and group (nobody else in it) and
    the test users; existing entries of the host are kept."""
    pw = open('/etc/passwd').read()
    gr = open('/etc/group').read()
    names = {line.split(':')[0] for line in gr.splitlines() if line}
    users = {line.split(':')[0] for line in pw.splitlines() if line}
    add_g, add_u = [], []
    if 'paytermd' not in names:
        add_g.append('paytermd:x:2990:')
    if API_GROUP not in names:
        add_g.append('%s:x:2995:%s' % (API_GROUP, ','.join(
            u for u, (_, api) in USERS.items() if api)))
    else:
        raise SystemExit('group %s exists on this machine: cannot set up '
                         'the test users' % API_GROUP)
    if DAEMON_USER not in users:
        add_u.append('paytermd:x:2990:2990:payterm payment service:'
                     '/nonexistent:/usr/sbin/nologin')
    for u, (uid, _) in USERS.items():
        add_g.append('%s:x:%d:' % (u, uid))
        add_u.append('%s:x:%d:%d:test user:/nonexistent:/bin/sh' % (u, uid, uid))
    bind_copy('/etc/group', gr.rstrip('\n') + '\n' + '\n'.join(add_g) + '\n')
    bind_copy('/etc/passwd', pw.rstrip('\n') + '\n' + '\n'.join(add_u) + '\n')
    # nss caches nothing here (no nscd): the new entries are seen at once
    assert grp.getgrnam(API_GROUP).gr_mem == [u for u in USERS if USERS[u][1]]
    assert 'paytermd' not in grp.getgrnam(API_GROUP).gr_mem
    assert grp.getgrnam('paytermd').gr_mem == []
    return pwd.getpwnam(DAEMON_USER)


def add_group(name, gid, members):
    """Group NAME (GID) with MEMBERS, appended to the guest's /etc/group
    (after add_users: a tmpfs copy by then; before, the read-only host
    file refuses the write), as groupadd + usermod -aG would."""
    with open('/etc/group', 'a') as f:
        f.write('%s:x:%d:%s\n' % (name, gid, ','.join(members)))
    assert grp.getgrnam(name).gr_mem == list(members)


def as_user(user, *cmd):
    """CMD as USER with USER's groups (from the group file)."""
    return ['setpriv', '--reuid=' + user, '--regid=' + user, '--init-groups',
            '--inh-caps=-all', '--bounding-set=-all', '--'] + list(cmd)


def bus_env(extra=None):
    e = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS='unix:path=' + SYSTEM_BUS)
    e.pop('PAYTERMD_BUS_ADDRESS', None)
    e.update(extra or {})
    return e


def system_bus_config(policies=(POLICY,)):
    """Debian's system bus configuration (system.conf and every system.d
    file), without the parts that need a booted system (its own user,
    fork, pid file, syslog, activation), plus POLICIES."""
    import re
    c = open('/usr/share/dbus-1/system.conf').read()
    c = re.sub(r'<!--.*?-->', '', c, flags=re.S)
    for tag in ('user', 'pidfile', 'servicehelper', 'listen'):
        c = re.sub(r'<%s>.*?</%s>' % (tag, tag), '', c, flags=re.S)
    for tag in ('fork', 'syslog', 'standard_system_servicedirs'):
        c = c.replace('<%s/>' % tag, '')
    c = c.replace('<includedir>system.d</includedir>',
                  '<includedir>/usr/share/dbus-1/system.d</includedir>')
    inc = ''.join('  <include>%s</include>\n' % p for p in policies)
    c = c.replace('</busconfig>', '  <listen>unix:path=%s</listen>\n%s'
                  '</busconfig>' % (SYSTEM_BUS, inc))
    return c


class SystemBus:
    """dbus-daemon --system-like at /run/dbus/system_bus_socket."""

    def __init__(self, w, policies=(POLICY,)):
        os.makedirs('/run/dbus', exist_ok=True)
        self.conf = os.path.join(w, 'system-bus.conf')
        with open(self.conf, 'w') as f:
            f.write(system_bus_config(policies))
        self.log = open(os.path.join(w, 'dbus.log'), 'ab')
        self.p = subprocess.Popen(['dbus-daemon', '--nofork',
                                   '--config-file=' + self.conf],
                                  stdout=self.log, stderr=subprocess.STDOUT)
        assert wait_for(lambda: os.path.exists(SYSTEM_BUS)), 'no system bus'

    def stop(self):
        self.p.terminate()
        self.p.wait(10)


class Udevd:
    """systemd-udevd with the repository's rules installed in the guest's
    /etc/udev/rules.d (a tmpfs), as `make install` would (UDEVDIR)."""

    def __init__(self, w):
        tmpfs_dir('/etc/udev/rules.d', {'60-payterm.rules': RULES},
                  keep=False)
        os.makedirs('/run/udev', exist_ok=True)
        self.log = open(os.path.join(w, 'udevd.log'), 'ab')
        udevd = '/lib/systemd/systemd-udevd'
        self.p = subprocess.Popen([udevd], stdout=self.log,
                                  stderr=subprocess.STDOUT)
        assert wait_for(lambda: os.path.exists('/run/udev/control')), \
            'udevd did not start'
        subprocess.run(['udevadm', 'control', '--ping'], check=True,
                       timeout=30)

    def settle(self):
        subprocess.run(['udevadm', 'settle', '--timeout=30'], check=True)

    def stop(self):
        self.p.terminate()
        self.p.wait(10)


class Polkitd:
    """polkitd (it runs as user polkitd) with the repository's action in
    /usr/share/polkit-1/actions and RULES (name -> JavaScript) in
    /etc/polkit-1/rules.d, both tmpfs copies."""

    BIN = '/usr/lib/polkit-1/polkitd'

    def __init__(self, w, rules):
        if not hasattr(Polkitd, '_dirs'):
            tmpfs_dir('/usr/share/polkit-1/actions',
                      {'org.payterm.policy': ACTION})
            tmpfs_dir('/etc/polkit-1/rules.d', rules, mode=0o755, keep=False)
            Polkitd._dirs = True
        self.w = w
        self.start()

    def start(self):
        self.log = open(os.path.join(self.w, 'polkitd.log'), 'ab')
        # started as root, polkitd switches to its user polkitd itself
        self.p = subprocess.Popen([self.BIN], stdout=self.log,
                                  stderr=subprocess.STDOUT, env=bus_env())

        def owned():
            r = subprocess.run(['busctl', 'status',
                                'org.freedesktop.PolicyKit1'],
                               capture_output=True, env=bus_env())
            return r.returncode == 0
        assert wait_for(owned, 30, 0.2), 'polkitd did not take its name:\n' + \
            open(os.path.join(self.w, 'polkitd.log'), errors='replace').read()

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(10)


def daemon_home(w, user=DAEMON_USER):
    """Make W and what paytermd needs in it (key store, KEK, state) the
    daemon user's: the key store refuses files it does not own."""
    pw = pwd.getpwnam(user)
    for dp, dns, fns in os.walk(w):
        for n in [dp] + [os.path.join(dp, f) for f in fns]:
            os.lchown(n, pw.pw_uid, pw.pw_gid)
    os.chmod(w, 0o711)      # others may traverse to their request files
