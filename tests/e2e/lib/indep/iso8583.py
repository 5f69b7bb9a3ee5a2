# SPDX-License-Identifier: GPL-2.0-or-later
"""ISO 8583:1987 frames of payterm's profile (docs/protocol.md, "ISO 8583
profile"), parsed strictly from the document's tables:

    2-byte big-endian length | MTI (4 ASCII digits) | primary bitmap (8
    bytes) | [secondary bitmap] | fields in ascending order

n fields: ASCII digits of the fixed length; an/ans/anp: fixed ASCII; b:
raw bytes; LLLVAR: 3 ASCII length digits then the data (binary data as
hex characters, the length counts characters).  Any field outside the
table, a malformed value, a secondary bitmap without a field 65..128, or
trailing bytes is an error (FormatError)."""
from .prim import CryptoError


class FormatError(CryptoError):
    pass


# field: (kind, length or max length, LLLVAR?, hex content?)
FIELDS = {
    3: ('n', 6, False, False),
    4: ('n', 12, False, False),
    7: ('n', 10, False, False),
    11: ('n', 6, False, False),
    12: ('n', 6, False, False),
    13: ('n', 4, False, False),
    22: ('n', 3, False, False),
    37: ('anp', 12, False, False),
    38: ('anp', 6, False, False),
    39: ('an', 2, False, False),
    41: ('ans', 8, False, False),
    42: ('ans', 15, False, False),
    48: ('ans', 64, True, False),
    49: ('n', 3, False, False),
    52: ('b', 8, False, False),
    53: ('b', 48, False, False),
    55: ('ans', 510, True, True),
    61: ('ans', 32, True, True),
    62: ('ans', 512, True, True),
    63: ('ans', 64, True, False),
    64: ('b', 8, False, False),
    70: ('n', 3, False, False),
    90: ('n', 42, False, False),
}
HEX = set(b'0123456789ABCDEFabcdef')

# 48: SHA-256 of the payment request JWS (binds the card data to it)
REQ_MAC_FIELDS = (4, 22, 48, 49, 52, 53, 55, 61, 62)
RESP_MAC_FIELDS = (4, 38, 39, 48, 49, 53)
REQ_HASH_CHARS = set(b'0123456789abcdef')


def request_hash_ok(v):
    """Field 48 in the profile's one spelling: 64 lower-case hex digits."""
    return len(v) == 64 and set(v) <= REQ_HASH_CHARS


class Message:
    """A parsed message: mti (str), fields {n: bytes as on the wire, LLLVAR
    data without its length digits}, raw (the message without the length
    prefix), wire {n: the field's exact bytes including LLL digits}."""

    def __init__(self, mti, fields, wire, raw):
        self.mti = mti
        self.fields = fields
        self.wire = wire
        self.raw = raw

    def s(self, n):
        """Field N as text (n / an / LLLVAR fields)."""
        return self.fields[n].decode('ascii')

    def b(self, n):
        """Field N as bytes: b fields raw, hex LLLVAR fields decoded."""
        v = self.fields[n]
        if FIELDS[n][3]:
            return bytes.fromhex(v.decode('ascii'))
        return v

    def __contains__(self, n):
        return n in self.fields

    def mac_data(self, field_set):
        """The profile's MAC data: for each field of FIELD_SET present, its
        number as 3 ASCII digits then the field exactly as on the wire."""
        return b''.join(b'%03d' % n + self.wire[n] for n in field_set
                        if n in self.fields)


def unframe(frame):
    """Strip and check the 2-byte length prefix."""
    if len(frame) < 2:
        raise FormatError('frame shorter than its length prefix')
    n = int.from_bytes(frame[:2], 'big')
    if not 1 <= n <= 8192 or n != len(frame) - 2:
        raise FormatError('length prefix %d for %d bytes' % (n, len(frame)
                                                             - 2))
    return frame[2:]


def parse(msg):
    """Parse one message (without its length prefix)."""
    if len(msg) < 12:
        raise FormatError('message of %d bytes' % len(msg))
    mti = msg[:4]
    if not mti.isdigit():
        raise FormatError('MTI %r' % mti)
    bitmap = int.from_bytes(msg[4:12], 'big')
    pos = 12
    nbits = 64
    if bitmap >> 63:
        if len(msg) < 20:
            raise FormatError('truncated secondary bitmap')
        bitmap = (bitmap << 64) | int.from_bytes(msg[12:20], 'big')
        pos = 20
        nbits = 128
        if not bitmap & ((1 << 64) - 1):
            raise FormatError('secondary bitmap without field 65..128')
    present = [i for i in range(2, nbits + 1)
               if bitmap >> (nbits - i) & 1]
    fields, wire = {}, {}
    for f in present:
        if f not in FIELDS:
            raise FormatError('field %d is not in the profile' % f)
        kind, ln, var, hexdata = FIELDS[f]
        start = pos
        if var:
            d = msg[pos:pos + 3]
            if len(d) != 3 or not d.isdigit():
                raise FormatError('field %d: bad LLL %r' % (f, d))
            n = int(d)
            if n > ln:
                raise FormatError('field %d: length %d > %d' % (f, n, ln))
            pos += 3
        else:
            n = ln
        v = msg[pos:pos + n]
        if len(v) != n:
            raise FormatError('field %d runs past the end' % f)
        pos += n
        if kind == 'n' and not v.isdigit():
            raise FormatError('field %d: not digits: %r' % (f, v))
        if kind in ('an', 'anp', 'ans') and any(c < 0x20 or c > 0x7e
                                                for c in v):
            raise FormatError('field %d: not printable' % f)
        if hexdata and (n % 2 or not set(v) <= HEX):
            raise FormatError('field %d: not hex' % f)
        fields[f] = v
        wire[f] = msg[start:pos]
    if pos != len(msg):
        raise FormatError('%d trailing bytes' % (len(msg) - pos))
    return Message(mti.decode(), fields, wire, msg)


def parse_frame(frame):
    return parse(unframe(frame))


def build(mti, fields):
    """A message from {n: value bytes} (LLLVAR values without the length
    digits) — for the negative controls, which re-pack altered fields."""
    bitmap = 0
    body = b''
    for f in sorted(fields):
        kind, ln, var, _ = FIELDS[f]
        v = fields[f]
        bitmap |= 1 << (64 - f)
        body += (b'%03d' % len(v) if var else b'') + v
    return mti.encode() + bitmap.to_bytes(8, 'big') + body


def frame(msg):
    return len(msg).to_bytes(2, 'big') + msg
