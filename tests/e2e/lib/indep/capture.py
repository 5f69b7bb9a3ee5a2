# SPDX-License-Identifier: GPL-2.0-or-later
"""A capturing TCP relay between payterm-server and payterm-bank: the
server is configured with the relay's port as its bank, the relay passes
every frame (2-byte big-endian length + message, docs/protocol.md
"Framing") unchanged to the real bank and back, and records each one as
it crossed: what the bank received and what it answered, byte for byte.
No payterm code is involved (neither the bank's nor the codec's), so the
capture cannot be shaped by the code under test.  Frames are kept in
memory (Capture.frames) and, with DIR, written to DIR/NNNN-<conn>-<dir>.bin
(dir: 'req' to the bank, 'resp' from it)."""
import os
import socket
import threading
import time


def _recv_exact(s, n):
    buf = b''
    while len(buf) < n:
        b = s.recv(n - len(buf))
        if not b:
            return buf
        buf += b
    return buf


class Capture:
    def __init__(self, upstream_port=None, directory=None):
        self.upstream = upstream_port
        self.dir = directory
        if directory:
            os.makedirs(directory, exist_ok=True)
        self.frames = []        # dicts: seq, conn, dir, t, data
        self.lock = threading.Lock()
        self.cv = threading.Condition(self.lock)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.nconn = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.nconn += 1
            try:
                u = socket.create_connection(('127.0.0.1', self.upstream), 5)
                u.settimeout(None)
            except OSError:
                c.close()       # bank down: the server sees a refused link
                continue
            for a, b, d in ((c, u, 'req'), (u, c, 'resp')):
                threading.Thread(target=self._pump,
                                 args=(a, b, d, self.nconn),
                                 daemon=True).start()

    def _record(self, conn, d, data):
        with self.cv:
            f = {'seq': len(self.frames) + 1, 'conn': conn, 'dir': d,
                 't': time.time(), 'data': data}
            self.frames.append(f)
            if self.dir:
                with open(os.path.join(self.dir, '%04d-%d-%s.bin'
                                       % (f['seq'], conn, d)), 'wb') as fh:
                    fh.write(data)
            self.cv.notify_all()

    def _pump(self, src, dst, d, conn):
        try:
            while True:
                hdr = _recv_exact(src, 2)
                if len(hdr) < 2:
                    if hdr:
                        self._record(conn, d + '-partial', hdr)
                        dst.sendall(hdr)
                    break
                body = _recv_exact(src, int.from_bytes(hdr, 'big'))
                self._record(conn, d, hdr + body)
                dst.sendall(hdr + body)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def wait(self, pred, count=1, timeout=20):
        end = time.time() + timeout
        with self.cv:
            while True:
                got = [f for f in self.frames if pred(f)]
                if len(got) >= count or time.time() >= end:
                    return got
                self.cv.wait(max(end - time.time(), 0.01))

    def close(self):
        self.closed = True
        self.sock.close()
