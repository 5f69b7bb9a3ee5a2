# SPDX-License-Identifier: GPL-2.0-or-later
"""Block-cipher primitives on top of `cryptography`: AES / TDES / DES in
ECB and CBC, AES-CMAC (NIST SP 800-38B), ISO/IEC 9797-1 MAC algorithm 3
(ANSI X9.19 "retail MAC"), ISO/IEC 9797-1 padding methods 1 and 2."""
import warnings

from cryptography.hazmat.primitives import cmac as _cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    try:    # cryptography >= 43 moved TripleDES to the "decrepit" module
        from cryptography.hazmat.decrepit.ciphers.algorithms import \
            TripleDES as _TDES
    except ImportError:
        _TDES = algorithms.TripleDES


class CryptoError(ValueError):
    """A decoding or verification failure (wrong key, tampered data...)."""


def xor(a, b):
    if len(a) != len(b):
        raise ValueError('xor of %d and %d bytes' % (len(a), len(b)))
    return bytes(x ^ y for x, y in zip(a, b))


def _tdes_key(key):
    if len(key) == 8:           # single DES = TDES with K1 = K2 = K3
        return key * 3
    if len(key) == 16:          # 2-key TDES: K1 K2 K1
        return key + key[:8]
    if len(key) == 24:
        return key
    raise ValueError('TDES key of %d bytes' % len(key))


def _algo(alg, key):
    if alg == 'aes':
        if len(key) not in (16, 24, 32):
            raise ValueError('AES key of %d bytes' % len(key))
        return algorithms.AES(key)
    if alg in ('tdes', 'des'):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return _TDES(_tdes_key(key))
    raise ValueError(alg)


def block_size(alg):
    return 16 if alg == 'aes' else 8


def _run(alg, key, mode, data, encrypt):
    if len(data) % block_size(alg):
        raise CryptoError('%s data of %d bytes is not whole blocks'
                          % (alg, len(data)))
    c = Cipher(_algo(alg, key), mode)
    op = c.encryptor() if encrypt else c.decryptor()
    return op.update(data) + op.finalize()


def ecb_encrypt(alg, key, data):
    return _run(alg, key, modes.ECB(), data, True)


def ecb_decrypt(alg, key, data):
    return _run(alg, key, modes.ECB(), data, False)


def cbc_encrypt(alg, key, data, iv=None):
    return _run(alg, key, modes.CBC(iv or bytes(block_size(alg))), data, True)


def cbc_decrypt(alg, key, data, iv=None):
    return _run(alg, key, modes.CBC(iv or bytes(block_size(alg))), data,
                False)


def des_encrypt(key8, block):
    return ecb_encrypt('des', key8, block)


def des_decrypt(key8, block):
    return ecb_decrypt('des', key8, block)


def pad_m1(data, bs):
    """ISO/IEC 9797-1 padding method 1: zeros to a whole block (none if
    already whole; one block of zeros for empty data)."""
    n = (-len(data)) % bs
    if not data:
        n = bs
    return data + bytes(n)


def pad_m2(data, bs):
    """ISO/IEC 9797-1 padding method 2: 0x80 then zeros (always added)."""
    data = data + b'\x80'
    return data + bytes((-len(data)) % bs)


def unpad_m2(data, bs):
    if not data or len(data) % bs:
        raise CryptoError('padded data of %d bytes' % len(data))
    i = len(data) - 1
    while i >= 0 and data[i] == 0:
        i -= 1
    if i < 0 or data[i] != 0x80 or len(data) - i > bs:
        raise CryptoError('bad ISO 9797-1 method 2 padding')
    return data[:i]


def cmac(alg, key, data):
    """CMAC (NIST SP 800-38B), full block."""
    c = _cmac.CMAC(_algo(alg, key))
    c.update(data)
    return c.finalize()


def retail_mac(key16, data, padding=2):
    """ISO/IEC 9797-1 MAC algorithm 3 with DES: CBC-MAC under K (left
    half) over the padded data, then the last output decrypted under K'
    (right half) and encrypted under K again.  PADDING 1 or 2."""
    if len(key16) != 16:
        raise ValueError('retail MAC key of %d bytes' % len(key16))
    k, k2 = key16[:8], key16[8:]
    data = pad_m2(data, 8) if padding == 2 else pad_m1(data, 8)
    h = bytes(8)
    for i in range(0, len(data), 8):
        h = des_encrypt(k, xor(h, data[i:i + 8]))
    return des_encrypt(k, des_decrypt(k2, h))


def odd_parity(key):
    out = bytearray()
    for b in key:
        b &= 0xfe
        out.append(b | (bin(b).count('1') % 2 == 0))
    return bytes(out)
