# SPDX-License-Identifier: GPL-2.0-or-later
"""BER-TLV as EMV 4.3 Book 3 Annex B uses it: tags of one or more bytes
(first byte with b5-b1 = 11111: more bytes follow while b8 is set), lengths
in short form (< 0x80) or long form 81 / 82 / 83, constructed tags (b6 of
the first byte) parsed recursively when asked to."""
from .prim import CryptoError


def parse(data, recurse=False, padding=False):
    """[(tag hex, value bytes)] in order; raises CryptoError on anything
    malformed (truncated tag, length or value, bad length form).  PADDING:
    skip 00 / FF bytes between objects (EMV records); the profile's fields
    55 and 62 have none, so by default such a byte is a tag (and fails)."""
    out = []
    i = 0
    n = len(data)
    while i < n:
        if padding and data[i] in (0x00, 0xff):
            i += 1
            continue
        t0 = i
        i += 1
        if data[t0] & 0x1f == 0x1f:
            while True:
                if i >= n:
                    raise CryptoError('truncated tag at %d' % t0)
                i += 1
                if not data[i - 1] & 0x80:
                    break
        tag = data[t0:i].hex().upper()
        if i >= n:
            raise CryptoError('tag %s without length' % tag)
        ln = data[i]
        i += 1
        if ln & 0x80:
            k = ln & 0x7f
            if not 1 <= k <= 3 or i + k > n:
                raise CryptoError('bad length form for tag %s' % tag)
            ln = int.from_bytes(data[i:i + k], 'big')
            i += k
        if i + ln > n:
            raise CryptoError('value of tag %s runs past the end' % tag)
        v = data[i:i + ln]
        i += ln
        out.append((tag, v))
        if recurse and data[t0] & 0x20:
            out.extend(parse(v, True, padding))
    return out


def as_dict(items):
    d = {}
    for t, v in items:
        if t in d:
            raise CryptoError('tag %s twice' % t)
        d[t] = v
    return d


def parse_dol(dol):
    """A data object list (e.g. CDOL1): [(tag hex, length)]."""
    out = []
    i = 0
    while i < len(dol):
        t0 = i
        i += 1
        if dol[t0] & 0x1f == 0x1f:
            while dol[i] & 0x80:
                i += 1
            i += 1
        out.append((dol[t0:i].hex().upper(), dol[i]))
        i += 1
    return out
