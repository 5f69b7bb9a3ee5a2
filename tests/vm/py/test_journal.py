#!/usr/bin/python3
"""VM test of paytermd's logging (issue 18, docs/security.md "Logging").
A fake journald binds /run/systemd/journal/socket; paytermd runs with its
stderr on a stream socket that $JOURNAL_STREAM names, and a swipe + PIN
payment (server down: "failed") must come as native entries: PRIORITY=,
MESSAGE=, SYSLOG_IDENTIFIER=paytermd on each, the documented MESSAGE_IDs
with PAYTERM_TRANSACTION/PAYTERM_REQUEST on the payment events, no card
data anywhere, and the card process's "<N>card process:" lines on the
stream only.  Then a terminal (no "<N>") and a plain file ("<N>" kept)."""
import array
import base64
import json
import os
import pty
import re
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payterm_uapi import *  # noqa: E402,F403
from paytermd_lib import (ROOT, Daemon, Pay, bus_env, canary,  # noqa: E402
                          card_forms, ctl as _ctl, offline_terminal,
                          pin_forms, result, start_bus)
import test_paytermd  # noqa: E402

T = TestRunner()
W = '/tmp/pdj'
ENV = bus_env(W)
test_paytermd.W = W        # request() writes its files there
test_paytermd.ENV = ENV    # readers(), swipe_and_pin() ask this bus
MAG = test_paytermd.MAG
PIN = test_paytermd.PIN
SECRETS = card_forms(MAG, pin=False) + pin_forms(PIN, MAG['pan'])
SOCK = '/run/systemd/journal/socket'

# docs/security.md's table (and daemon/paytermd/log.c)
IDS = {
    'created': '27868b172fae439d8e84dd4846993fe7',
    'state': '80b008fefd8a45a4a6c77fcc729b3191',
    'final': '2655549da75a4960bafe5073ccbcca5f',
    'card': '216f6f3eca7c49beb7ba29be02b74721',
    'submitted': '0af525beb751427dbcc456883b65ca78',
    'approved': '604794bdd09c427b8cea893325b64e71',
    'declined': 'dfebad396d294192925c64d578cb3322',
    'failed': '5787f319701e48138b21a903d0a3335f',
    'unknown': '15609e51f1e64c57acbcbc0c43da5610',
    'reversal': '053cba51162042a7a8849d0c52d152eb',
    'reversed': '35af8cd5dc4645839eb7a44dd26770f8',
    'resumed': '651e37d777054a5096c9752baf1bdeee',
}
KEY = None


def ctl(*args):
    return _ctl(ENV, *args)


def parse(data):
    """One native-protocol datagram: KEY=value lines, or KEY\\n, a 64-bit
    little-endian length, the value and \\n (systemd's JOURNAL_NATIVE)."""
    fields = []
    i = 0
    while i < len(data):
        nl = data.index(b'\n', i)
        line = data[i:nl]
        if b'=' in line:
            k, v = line.split(b'=', 1)
            i = nl + 1
        else:
            k = line
            n, = struct.unpack_from('<Q', data, nl + 1)
            v = data[nl + 9:nl + 9 + n]
            assert data[nl + 9 + n:nl + 10 + n] == b'\n', data
            i = nl + 10 + n
        fields.append((k.decode(), v))
    return fields


class Journald:
    """The fake: every datagram (or memfd passed with SCM_RIGHTS) parsed."""

    def __init__(self):
        os.makedirs(os.path.dirname(SOCK), exist_ok=True)
        if os.path.exists(SOCK):
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                probe.connect(SOCK)
                raise AssertionError(SOCK + ' is in use in the guest')
            except ConnectionRefusedError:
                os.unlink(SOCK)
            finally:
                probe.close()
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.s.bind(SOCK)
        self.raw = []
        self.entries = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        fds = array.array('i')
        while True:
            try:
                data, anc, _, _ = self.s.recvmsg(1 << 17, socket.CMSG_LEN(
                    4 * fds.itemsize))
            except OSError:     # closed
                return
            for lvl, typ, cd in anc:
                if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    for fd in array.array('i', cd[:len(cd) - len(cd) % 4]):
                        os.lseek(fd, 0, os.SEEK_SET)
                        chunk = b''
                        while True:
                            b = os.read(fd, 1 << 16)
                            if not b:
                                break
                            chunk += b
                        os.close(fd)
                        data += chunk
            self.raw.append(data)
            self.entries.append(parse(data))

    def close(self):
        self.s.close()
        os.unlink(SOCK)


def drain(fd, into):
    def run():
        while True:
            try:
                b = os.read(fd, 4096)
            except OSError:     # EIO: the pty's last writer is gone
                return
            if not b:
                return
            into.append(b)
    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th


def pay_swipe(d_text):
    """A swipe + PIN payment to the closed server port: 'failed'.  Returns
    (transaction path, request id)."""
    req = test_paytermd.request(KEY)
    rid = json.loads(base64.urlsafe_b64decode(
        open(req).read().split('.')[1] + '==='))['request_id']
    pay = Pay(ENV, req)
    path = pay.wait('^Transaction: ').split(': ', 1)[1]
    test_paytermd.swipe_and_pin(pay)
    rc, out = pay.finish()
    assert rc == 1 and result(out) == ('failed', None,
                                       'Payment server unreachable'), \
        out + '\n' + d_text()
    return path, rid


def pay_cancel():
    pay = Pay(ENV, test_paytermd.request(KEY))
    pay.wait('Present card')
    ctl('cancel')
    assert pay.finish()[0] == 7


def no_secrets(what, data):
    found = ['%s in %s' % (canary(s, SECRETS), what) for s in SECRETS
             if s in data]
    assert not found, '\n'.join(found)


@T.case
def t_journal():
    global KEY
    os.makedirs(W + '/state', exist_ok=True)
    os.chmod(W, 0o700)
    start_bus(W)
    KEY = offline_terminal(W)
    j = Journald()
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    st = os.fstat(b.fileno())
    stream = []
    env = dict(ENV, JOURNAL_STREAM='%d:%d' % (st.st_dev, st.st_ino))
    reader = drain(a.fileno(), stream)     # first: -v fills a buffer fast
    d = Daemon(W, env, stderr=b.fileno())
    b.close()
    test_paytermd.readers()     # the virtual readers, seen by the daemon

    def text():
        return (b''.join(stream).decode(errors='replace') + '\n--- journal:\n' +
                '\n'.join(repr(e) for e in j.entries))
    d.text = text
    path, rid = pay_swipe(text)
    d.stop()
    reader.join(5)
    time.sleep(0.3)
    a.close()
    j.close()
    out = b''.join(stream)

    assert j.entries, text()
    for e in j.entries:
        f = dict(e)
        keys = [k for k, _ in e]
        assert len(keys) == len(set(keys)), e
        assert f.get('SYSLOG_IDENTIFIER') == b'paytermd', e
        assert re.fullmatch(rb'[0-7]', f.get('PRIORITY', b'')), e
        assert f.get('MESSAGE'), e
        assert not f['MESSAGE'].startswith(b'<'), e
        assert b'card process:' not in f['MESSAGE'], e
        if 'MESSAGE_ID' in f:
            assert f['MESSAGE_ID'].decode() in IDS.values(), e
        if 'PAYTERM_MASKED_PAN' in f:
            assert re.fullmatch(rb'411111\*+1111', f['PAYTERM_MASKED_PAN']), e
    tid = path.rsplit('/', 1)[1]
    ours = [dict(e) for e in j.entries
            if dict(e).get('PAYTERM_TRANSACTION') == path.encode()]
    seen = {}
    for f in ours:
        seen.setdefault(f.get('MESSAGE_ID', b'').decode(), []).append(f)
    for kind in ('created', 'state', 'card', 'submitted', 'failed', 'final'):
        got = seen.get(IDS[kind])
        assert got, 'no %s event for %s:\n%s' % (kind, path, text())
        for f in got:
            assert f.get('PAYTERM_REQUEST') == rid.encode(), f
    assert any(f.get('PAYTERM_STATE') == b'failed'
               for f in seen[IDS['final']]), seen[IDS['final']]
    assert any(f.get('PAYTERM_MASKED_PAN') for f in seen[IDS['card']])
    assert any(('transaction %s: submitted' % tid).encode() in f['MESSAGE']
               for f in seen[IDS['submitted']])
    # the card process: on the stream with "<N>" prefixes, never a socket
    lines = [x for x in out.decode(errors='replace').splitlines() if x]
    assert any(re.match(r'<\d>card process: ', x) for x in lines), text()
    assert any(re.match(r'<6>card process: transaction %s: card 411111\*+1111 '
                        r'read by' % tid, x) for x in lines), text()
    front = [x for x in lines if not re.match(r'<\d>card process: ', x)]
    assert not front, 'front lines on the stream, not the journal:\n' + \
        '\n'.join(front)
    for i, raw in enumerate(j.raw):
        no_secrets('journal entry %d' % i, raw)
    no_secrets('the stream', out)


@T.case
def t_tty():
    m, s = pty.openpty()
    got = []
    # a stale JOURNAL_STREAM (stderr is no longer that stream): not used
    th = drain(m, got)
    d = Daemon(W, dict(ENV, JOURNAL_STREAM='1:1'), stderr=s)
    os.close(s)
    d.text = lambda: b''.join(got).decode(errors='replace')
    pay_cancel()
    d.stop()
    th.join(5)
    os.close(m)
    out = b''.join(got).decode(errors='replace')
    lines = [x.rstrip('\r') for x in out.splitlines() if x.strip()]
    assert lines, out
    bad = [x for x in lines if not x.startswith('paytermd: ')]
    assert not bad, 'not plain text on a terminal:\n' + '\n'.join(bad)
    assert any(x.startswith('paytermd: card process: ') for x in lines), out
    assert any(re.search(r'transaction \d+: .* -> cancelled', x)
               for x in lines), out
    no_secrets('the terminal', b''.join(got))


@T.case
def t_file():
    log = W + '/paytermd.log'
    if os.path.exists(log):
        os.unlink(log)
    d = Daemon(W, ENV)
    pay_cancel()
    d.stop()
    lines = [x for x in open(log, errors='replace').read().splitlines() if x]
    bad = [x for x in lines if not re.match(r'<[0-7]>', x)]
    assert lines and not bad, 'lines without <N>:\n' + '\n'.join(bad)
    assert any(re.match(r'<6>transaction \d+: .* -> cancelled', x)
               for x in lines), lines
    assert any(re.match(r'<\d>card process: ', x) for x in lines), lines


if __name__ == '__main__':
    sys.exit(T.run(sys.argv))
