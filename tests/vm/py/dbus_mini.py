# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal D-Bus client (unix socket, AUTH EXTERNAL, method calls with
string arguments), for timing single calls without a process start:
busctl's start-up under TCG is 10x the call itself.  Enough for
Properties.Get and argument-less methods; not a general binding."""
import os
import socket
import struct


def _pad(b, n):
    return b + b'\0' * (-len(b) % n)


def _str(s, sig=False):
    b = s.encode()
    return (struct.pack('<B', len(b)) if sig else struct.pack('<I', len(b))) + b + b'\0'


class Bus:
    def __init__(self, address):
        path = address.split('unix:path=', 1)[1].split(',')[0]
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.sendall(b'\0AUTH EXTERNAL ' + str(os.getuid()).encode().hex().encode() + b'\r\n')
        assert self._line().startswith(b'OK'), 'D-Bus auth refused'
        self.s.sendall(b'BEGIN\r\n')
        self.serial = 0
        self.buf = b''
        self.call('org.freedesktop.DBus', '/org/freedesktop/DBus',
                  'org.freedesktop.DBus', 'Hello')

    def _line(self):
        b = b''
        while not b.endswith(b'\r\n'):
            b += self.s.recv(1)
        return b

    def _recv(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            assert d, 'bus closed'
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def call(self, dest, path, iface, member, *args):
        """Returns (ok, body bytes) of the reply to this call."""
        self.serial += 1
        sig = 's' * len(args)
        body = b''
        for a in args:
            body = _pad(body, 4) + _str(a)
        fields = []
        for code, t, v in ((1, 'o', path), (2, 's', iface), (3, 's', member),
                           (6, 's', dest)) + (((8, 'g', sig),) if sig else ()):
            f = struct.pack('<B', code) + _str(t, True) + (
                _str(v, True) if t == 'g' else _str(v))
            fields.append(f)
        arr = b''
        for f in fields:
            arr = _pad(arr, 8) + f
        hdr = struct.pack('<cBBBII', b'l', 1, 0, 1, len(body), self.serial)
        msg = _pad(hdr + struct.pack('<I', len(arr)) + arr, 8) + body
        self.s.sendall(msg)
        while True:
            h = self._recv(16)
            mtype = h[1]
            blen, _, alen = struct.unpack('<III', h[4:16])
            rest = self._recv(len(_pad(b'x' * (16 + alen), 8)) - 16 + blen)
            fields = rest[:alen]
            reply_to = None
            i = 0
            while i < len(fields):          # find REPLY_SERIAL (5)
                i = (i + 7) & ~7
                if i >= len(fields):
                    break
                code = fields[i]
                slen = fields[i + 1]
                t = fields[i + 2:i + 2 + slen].decode()
                i += 3 + slen
                if t in ('s', 'o'):
                    i = (i + 3) & ~3
                    n = struct.unpack('<I', fields[i:i + 4])[0]
                    i += 4 + n + 1
                elif t == 'g':
                    n = fields[i]
                    i += 1 + n + 1
                elif t == 'u':
                    i = (i + 3) & ~3
                    if code == 5:
                        reply_to = struct.unpack('<I', fields[i:i + 4])[0]
                    i += 4
                else:
                    raise ValueError('header field type ' + t)
            if mtype in (2, 3) and reply_to == self.serial:
                return mtype == 2, rest[-blen:] if blen else b''

    def close(self):
        self.s.close()
