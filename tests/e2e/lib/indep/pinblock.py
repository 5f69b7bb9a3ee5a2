# SPDX-License-Identifier: GPL-2.0-or-later
"""ISO 9564-1 PIN blocks: formats 0, 1, 3 (8 bytes, TDES) and 4 (16 bytes,
AES).

Format 0: PIN field 0 | N | PIN | F fill, XOR the PAN field
          0000 | the 12 rightmost PAN digits excluding the check digit.
Format 1: 1 | N | PIN | fill (transaction field / random), no PAN.
Format 3: 3 | N | PIN | fill of random nibbles A..F, XOR the format 0
          PAN field.
Format 4: PIN field (16 bytes) 4 | N | PIN | A fill to 16 nibbles, then 8
          random bytes; PAN field M | PAN (12 + M digits, left-padded with
          0 to 12 digits when shorter, M = 0) | 0 fill to 32 nibbles, M =
          PAN length - 12; block = E(E(PIN field) XOR PAN field), so the
          decryption is D(D(block) XOR PAN field)."""
from . import prim
from .prim import CryptoError


def _pan_digits(pan):
    if not pan.isdigit() or not 8 <= len(pan) <= 19:
        raise CryptoError('PAN of %d characters' % len(pan))
    return pan


def pan_field_0(pan):
    pan = _pan_digits(pan)
    return bytes.fromhex('0000' + pan[:-1][-12:].rjust(12, '0'))


def pan_field_4(pan):
    pan = _pan_digits(pan)
    m = max(len(pan) - 12, 0)
    s = '%d' % m + pan.rjust(12, '0')
    return bytes.fromhex(s.ljust(32, '0'))


def _pin_of(nibbles, fmt):
    """PIN from the nibbles of a PIN field; checks control, length, digits
    and fill."""
    if nibbles[0] != '%X' % fmt:
        raise CryptoError('PIN block control nibble %s, want %d'
                          % (nibbles[0], fmt))
    n = int(nibbles[1], 16)
    if not 4 <= n <= 12:
        raise CryptoError('PIN length %d' % n)
    pin = nibbles[2:2 + n]
    if not pin.isdigit():
        raise CryptoError('PIN digit not decimal')
    fill = nibbles[2 + n:16]
    if fmt == 0 and fill != 'F' * len(fill):
        raise CryptoError('format 0 fill is not F')
    if fmt == 3 and any(c not in 'ABCDEF' for c in fill):
        raise CryptoError('format 3 fill is not A..F')
    if fmt == 4 and fill != 'A' * len(fill):
        raise CryptoError('format 4 fill is not A')
    return pin


def decode_clear(fmt, block, pan=None):
    """PIN of a clear (decrypted) PIN block: 8 bytes for 0/1/3, the
    decrypted PIN field (16 bytes) for format 4."""
    if fmt in (0, 3):
        if len(block) != 8:
            raise CryptoError('format %d block of %d bytes' % (fmt,
                                                               len(block)))
        field = prim.xor(block, pan_field_0(pan))
    elif fmt == 1:
        if len(block) != 8:
            raise CryptoError('format 1 block of %d bytes' % len(block))
        field = block
    elif fmt == 4:
        if len(block) != 16:
            raise CryptoError('format 4 field of %d bytes' % len(block))
        field = block
    else:
        raise CryptoError('PIN block format %r' % fmt)
    return _pin_of(field.hex().upper(), fmt)


def decrypt(fmt, key, block, pan=None):
    """PIN of an encrypted PIN block (TDES for 0/1/3, AES for 4)."""
    if fmt == 4:
        if len(block) != 16:
            raise CryptoError('format 4 block of %d bytes' % len(block))
        b = prim.ecb_decrypt('aes', key, block)
        field = prim.ecb_decrypt('aes', key, prim.xor(b, pan_field_4(pan)))
        return decode_clear(4, field)
    if len(block) != 8:
        raise CryptoError('format %d block of %d bytes' % (fmt, len(block)))
    return decode_clear(fmt, prim.ecb_decrypt('tdes', key, block), pan)


def pin_field(fmt, pin, fill):
    """Clear PIN field (format 0/1/3: 8 bytes, 4: 16 bytes) with FILL: hex
    nibbles after the PIN (format 4: the 8 random bytes as hex)."""
    head = '%X%X%s' % (fmt, len(pin), pin)
    if fmt == 0:
        return bytes.fromhex(head.ljust(16, 'F'))
    if fmt in (1, 3):
        return bytes.fromhex(head + fill[:16 - len(head)])
    if fmt == 4:
        return bytes.fromhex(head.ljust(16, 'A') + fill)
    raise ValueError(fmt)


def encrypt(fmt, key, pin, pan, fill):
    """Encrypted PIN block (for the self-tests and negative controls)."""
    f = pin_field(fmt, pin, fill)
    if fmt == 4:
        a = prim.ecb_encrypt('aes', key, f)
        return prim.ecb_encrypt('aes', key, prim.xor(a, pan_field_4(pan)))
    if fmt in (0, 3):
        f = prim.xor(f, pan_field_0(pan))
    return prim.ecb_encrypt('tdes', key, f)
