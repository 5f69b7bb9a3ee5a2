# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest-side helpers to run paytermd in the VM: a private system bus, a key
store with a TR-31-loaded initial DUKPT key, the daemon itself, paytermctl
as the D-Bus client, and the leak scans (daemon memory through /proc/PID/mem,
files).  Used by test_paytermd.py and payment_env.py (tests, demo, bench)."""
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time

from payterm_uapi import wait_until

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', '..', 'e2e', 'lib'))
from pslib import card_forms, pin_forms  # noqa: E402,F401 (the canaries)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '../../..'))
B = os.path.join(ROOT, os.environ.get('B', 'build'))
CTL = os.path.join(B, 'paytermctl')
# The test build (-DPAYTERMD_TEST_BUILD): the VM has no polkitd, and only
# this build honours PAYTERMD_NO_POLKIT; the installed paytermd always asks
# polkit (tests/vm/t-polkit runs that one).  PAYTERM_PAYTERMD_BIN picks
# another binary (relative to the checkout or absolute).
DAEMON = os.path.join(B, 'paytermd-test')
if os.environ.get('PAYTERM_PAYTERMD_BIN'):
    DAEMON = os.path.join(ROOT, os.environ['PAYTERM_PAYTERMD_BIN'])
KEYTOOL = os.path.join(B, 'payterm-keytool')

BUS_CONF = '''<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>%s</listen>
  <pidfile>%s</pidfile>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow receive_sender="*"/>
    <allow send_destination="*"/>
    <allow own="*"/>
  </policy>
</busconfig>
'''


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def bus_env(w):
    return dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS='unix:path=%s/bus' % w)


def start_bus(w):
    """A private system bus at W/bus (allow-all policy, pid in W/bus.pid);
    returns the environment that selects it."""
    with open(w + '/bus.conf', 'w') as f:
        f.write(BUS_CONF % ('unix:path=%s/bus' % w, w + '/bus.pid'))
    subprocess.run(['dbus-daemon', '--config-file=' + w + '/bus.conf',
                    '--fork'], check=True)
    return bus_env(w)


def make_keystore(w, bdk, ikid, kbpk='00112233445566778899AABBCCDDEEFF'):
    """Key store W/ks under KEK W/kek holding the AES DUKPT initial key of
    (BDK, IKID), delivered as a TR-31 version D block wrapped under KBPK."""
    with open(w + '/kek', 'w') as f:
        f.write(os.urandom(32).hex() + '\n')
    os.chmod(w + '/kek', 0o600)
    ik = sh(KEYTOOL, 'dukpt-ik', '--bdk', bdk, '--ikid', ikid).stdout
    ik = re.search(r'initial_key: (\w+)', ik).group(1)
    blk = sh(KEYTOOL, 'tr31', 'wrap', '--kbpk', kbpk, '--key', ik,
             '--version', 'D', '--usage', 'B1', '--algorithm', 'A',
             '--mode', 'X', '--key-version', '00',
             '--exportability', 'N').stdout
    blk = re.search(r'block: (\S+)', blk).group(1)
    sh(KEYTOOL, 'store', 'init', '--store', w + '/ks', '--kek-file', w + '/kek')
    sh(KEYTOOL, 'store', 'load', '--store', w + '/ks', '--kek-file',
       w + '/kek', '--kbpk', kbpk, '--block', blk, '--ikid', ikid)
    return blk


def write_config(w, url, ca, cert, key, request_key, tid, merchant,
                 extra=''):
    """W/paytermd.conf; EXTRA is appended (more sections)."""
    conf = '''[server]
url = {url}
ca = {ca}
cert = {cert}
key = {key}
request_key = {rk}
timeout = 3
status_attempts = 1
[terminal]
id = {tid}
merchant = {m}
[keys]
store = {w}/ks
kek = {w}/kek
[pin]
timeout = 30
[card]
timeout = 30
[daemon]
state_dir = {w}/state
result_linger = 5
'''.format(w=w, url=url, ca=ca, cert=cert, key=key, rk=request_key,
           tid=tid, m=merchant) + extra
    os.makedirs(w + '/state', exist_ok=True)
    with open(w + '/paytermd.conf', 'w') as f:
        f.write(conf)


def offline_terminal(w):
    """Key store, request-signing key and configuration of a terminal whose
    server is unreachable (https://127.0.0.1:1; empty TLS files): for tests
    of the daemon itself.  Returns the request-signing private key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    make_keystore(w, 'FEDCBA9876543210F1F1F1F1F1F1F1F1', '1234567890123456')
    key = ec.generate_private_key(ec.SECP256R1())
    with open(w + '/sign.pub', 'wb') as f:
        f.write(key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo))
    for n in ('ca.pem', 'client.pem', 'client.key'):
        open(w + '/' + n, 'w').close()
    write_config(w, 'https://127.0.0.1:1', w + '/ca.pem', w + '/client.pem',
                 w + '/client.key', w + '/sign.pub', 'TERM0001',
                 'MERCHANT0001')
    return key


def ctl(env, *args, timeout=20):
    return subprocess.run([CTL] + list(args), capture_output=True, text=True,
                          timeout=timeout, env=env)


class Daemon:
    """paytermd -c W/paytermd.conf -v, output in W/paytermd.log.  NOTIFY:
    be its service manager (NOTIFY_SOCKET) and set ready_s, the time from
    the start to READY=1.  STDERR: a file descriptor for its output
    instead (test_journal.py: a journald stream, a terminal); text() is
    then the caller's to collect."""

    def __init__(self, w, env, notify=False, stderr=None):
        self.w = w
        self.env = env
        self.logpath = w + '/paytermd.log'
        self.log = open(self.logpath, 'ab')
        env = dict(env, PAYTERMD_NO_POLKIT='1')
        sock = None
        if notify:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            path = w + '/notify.sock'
            if os.path.exists(path):
                os.unlink(path)
            sock.bind(path)
            sock.settimeout(10)
            env['NOTIFY_SOCKET'] = path
        t0 = time.monotonic()
        self.p = subprocess.Popen([DAEMON, '-c', w + '/paytermd.conf', '-v'],
                                  stdout=self.log if stderr is None else stderr,
                                  stderr=subprocess.STDOUT if stderr is None
                                  else stderr, env=env)
        self.ready_s = None
        while sock:
            if b'READY=1' in sock.recv(4096).split(b'\n'):
                self.ready_s = time.monotonic() - t0
                sock.close()
                os.unlink(env['NOTIFY_SOCKET'])
                sock = None
        assert wait_until(lambda: ctl(env, 'status').returncode == 0, 10), \
            'paytermd did not come up:\n' + self.text()

    def text(self):
        self.log.flush()
        return open(self.logpath, errors='replace').read()

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        assert self.p.wait(10) == 0, self.text()


class Pay:
    """paytermctl pay in the background; its lines in a queue.  REQ: a file
    (LITERAL: the request itself, or a pending request id).  ECHO: a
    function called with each line as it comes (the demo prints them)."""

    def __init__(self, env, req, *opts, echo=None, literal=False, wrap=()):
        """WRAP: a command prefix (e.g. setpriv ... to run as another user)."""
        arg = req if literal or req.startswith('@') else '@' + req
        self.p = subprocess.Popen(list(wrap) + [CTL, 'pay'] + list(opts) + [arg],
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, env=env)
        self.q = queue.Queue()
        self.lines = []
        self.echo = echo
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            line = line.rstrip('\n')
            if self.echo:
                self.echo(line)
            self.q.put(line)
        self.q.put(None)

    def wait(self, pattern, timeout=15):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.q.get(timeout=max(left, 0.01))
            except queue.Empty:
                line = None
                left = 0
            if line is not None:
                self.lines.append(line)
                if re.search(pattern, line):
                    return line
            if line is None or left <= 0:
                raise AssertionError('no %r in output:\n%s' % (
                    pattern, '\n'.join(self.lines)))

    def finish(self, timeout=30):
        rc = self.p.wait(timeout)
        while True:
            line = self.q.get(timeout=5)
            if line is None:
                break
            self.lines.append(line)
        return rc, '\n'.join(self.lines)


RESULT_RE = re.compile(r'Result: (approved|declined|cancelled|failed)'
                       r'(?: (\d\d))?: (.*)')


def result(out):
    """paytermctl pay's outcome: (state, response code or None, message)
    from its one 'Result:' line (paytermctl/dbus.c prints exactly one)."""
    lines = [x for x in out.splitlines() if x.startswith('Result:')]
    assert len(lines) == 1, 'not one Result line:\n' + out
    m = RESULT_RE.fullmatch(lines[0])
    assert m, 'malformed Result line %r' % lines[0]
    return m.group(1), m.group(2), m.group(3)


# ---------------------------------------------------------------- leaks

def canary(s, secrets):
    """A found secret named by its place in SECRETS, never by its bytes
    (even a few bytes of a PIN field would show the PIN)."""
    return 'canary #%d of %d (%d bytes)' % (list(secrets).index(s), len(secrets),
                                          len(s))


def scan_memory(pid, secrets, control=b'MERCHANT0001', readable=False):
    """Secrets in the writable mappings of PID (READABLE: every readable
    one but the read-only pages of files — the binary and libraries, the
    same bytes on disk for everyone: libcrypto's tables hold one test
    PAN's BCD by chance); CONTROL (a string from the configuration) must
    be found, else the scan itself is broken."""
    found = []
    seen = False
    with open('/proc/%d/maps' % pid) as maps, \
            open('/proc/%d/mem' % pid, 'rb', 0) as mem:
        for line in maps:
            f = line.split()
            lo, hi = (int(x, 16) for x in f[0].split('-'))
            if len(f) > 5 and f[5] in ('[vvar]', '[vsyscall]'):
                continue
            file_ro = len(f) > 5 and f[5].startswith('/') and \
                not f[5].startswith('/dev/') and f[4] != '0'
            if 'w' not in f[1] and (not readable or 'r' not in f[1] or file_ro):
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            seen |= control in data
            for s in secrets:
                if s in data:
                    found.append('%s in %s' % (canary(s, secrets), line.strip()))
    assert seen, 'memory scan read nothing useful'
    return found


# The checkout itself (test sources name the test cards): when it lives
# below /tmp or /run, tests/vm/run binds it into the guest's tmpfs.
_CHECKOUT = os.path.realpath(os.path.join(os.path.dirname(
    os.path.abspath(__file__)), '..', '..', '..'))


def scan_files(roots, secrets, skip=lambda path: False):
    """Secrets in any file under ROOTS but those SKIP(path) is true for,
    and outside the (read-only) checkout."""
    found = []
    for root in roots:
        for dp, dns, fns in os.walk(root):
            dns[:] = [d for d in dns
                      if os.path.realpath(os.path.join(dp, d)) != _CHECKOUT]
            for fn in fns:
                p = os.path.join(dp, fn)
                if skip(p) or not os.path.isfile(p):
                    continue
                try:
                    data = open(p, 'rb').read()
                except OSError:
                    continue
                for s in secrets:
                    if s in data:
                        found.append('%s in %s' % (canary(s, secrets), p))
    return found
