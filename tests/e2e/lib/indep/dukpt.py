# SPDX-License-Identifier: GPL-2.0-or-later
"""DUKPT, host (receiving SCD) side.

AES DUKPT, ANSI X9.24-3-2017: the initial key from the BDK and the 8-byte
initial key ID, the intermediate derivation keys for each one bit of the
32-bit transaction counter (most significant first), and the working keys
of a transaction key by key usage.  Each key is derived with AES-ECB under
the derivation key over 16-byte derivation data

    01 | block counter | key usage (2) | algorithm (2) | length in bits (2)
       | 8 bytes: the initial key ID (initial key), else the last 4 bytes of
         the initial key ID || the counter so far (big endian)

one block per 128 bits of output, truncated to the key length.

TDES DUKPT, ANSI X9.24-1-2009: the IPEK (TDES of the KSN's left 8 bytes
with the counter cleared, under the BDK and under the BDK XOR C0C0C0C0
00000000 C0C0C0C0 00000000), the non-reversible key generation process for
each one bit of the 21-bit counter, and the variants of Annex A (PIN, MAC
request / response, data request / response, the data keys through the
one-way function of figure A-2)."""
from .prim import CryptoError, ecb_encrypt, des_encrypt, xor

# key usage indicators (X9.24-3-2017 table 3)
USAGE_KEK = 0x0002
USAGE_PIN = 0x1000
USAGE_MAC_GEN = 0x2000
USAGE_MAC_VER = 0x2001
USAGE_MAC_BOTH = 0x2002
USAGE_DATA_ENC = 0x3000
USAGE_DATA_DEC = 0x3001
USAGE_DATA_BOTH = 0x3002
USAGE_DERIVATION = 0x8000
USAGE_INITIAL_KEY = 0x8001

# algorithm indicators and key lengths (bits)
KEY_TYPES = {
    'tdes2': (0x0000, 128),
    'tdes3': (0x0001, 192),
    'aes128': (0x0002, 128),
    'aes192': (0x0003, 192),
    'aes256': (0x0004, 256),
}
BY_CODE = {v[0]: k for k, v in KEY_TYPES.items()}
AES_BY_LEN = {16: 'aes128', 24: 'aes192', 32: 'aes256'}


def _strength(kt):
    return {'tdes2': 0, 'tdes3': 0, 'aes128': 128, 'aes192': 192,
            'aes256': 256}[kt]


def aes_derivation_data(usage, key_type, data8, block=1):
    alg, bits = KEY_TYPES[key_type]
    if len(data8) != 8:
        raise ValueError('derivation data needs 8 bytes')
    return (bytes([0x01, block]) + usage.to_bytes(2, 'big') +
            alg.to_bytes(2, 'big') + bits.to_bytes(2, 'big') + data8)


def aes_derive(dkey, usage, key_type, data8):
    """One X9.24-3 key derivation under the AES derivation key DKEY."""
    if len(dkey) not in AES_BY_LEN:
        raise ValueError('AES derivation key of %d bytes' % len(dkey))
    n = KEY_TYPES[key_type][1] // 8
    out = b''
    block = 1
    while len(out) < n:
        out += ecb_encrypt('aes', dkey,
                           aes_derivation_data(usage, key_type, data8, block))
        block += 1
    return out[:n]


def aes_initial_key(bdk, ikid):
    """Initial key (IK) of initial key ID IKID (8 bytes) under BDK."""
    if len(ikid) != 8:
        raise ValueError('initial key ID of %d bytes' % len(ikid))
    return aes_derive(bdk, USAGE_INITIAL_KEY, AES_BY_LEN[len(bdk)], ikid)


def aes_split_ksn(ksn):
    if len(ksn) != 12:
        raise CryptoError('AES KSN of %d bytes' % len(ksn))
    return ksn[:8], int.from_bytes(ksn[8:], 'big')


def aes_txn_key(ik, ksn):
    """Transaction (derivation) key of KSN from the initial key IK."""
    ikid, counter = aes_split_ksn(ksn)
    if counter == 0:
        raise CryptoError('AES KSN counter 0')
    kt = AES_BY_LEN[len(ik)]
    key = ik
    so_far = 0
    for bit in range(31, -1, -1):
        if counter & (1 << bit):
            so_far |= 1 << bit
            key = aes_derive(key, USAGE_DERIVATION, kt,
                             ikid[4:] + so_far.to_bytes(4, 'big'))
    return key


def aes_working_key(txn_key, ksn, usage, key_type):
    """Working key of USAGE and KEY_TYPE (e.g. 'aes128') from the
    transaction key of KSN.  An AES working key may not be stronger than
    the derivation key (X9.24-3-2017 6.1.3); TDEA keys are always allowed."""
    if _strength(key_type) > 8 * len(txn_key):
        raise CryptoError('%s working key from an AES-%d derivation key'
                          % (key_type, 8 * len(txn_key)))
    ikid, counter = aes_split_ksn(ksn)
    return aes_derive(txn_key, usage, key_type,
                      ikid[4:] + counter.to_bytes(4, 'big'))


# ------------------------------------------------------------------ TDES
C0_MASK = bytes.fromhex('C0C0C0C000000000C0C0C0C000000000')
VARIANT_PIN = bytes.fromhex('00000000000000FF00000000000000FF')
VARIANT_MAC_REQ = bytes.fromhex('000000000000FF00000000000000FF00')
VARIANT_MAC_RESP = bytes.fromhex('00000000FF00000000000000FF000000')
VARIANT_DATA_REQ = bytes.fromhex('0000000000FF00000000000000FF0000')
VARIANT_DATA_RESP = bytes.fromhex('000000FF00000000000000FF00000000')
TDES_COUNTER_MASK = (1 << 21) - 1


def _tdes_split(ksn):
    if len(ksn) != 10:
        raise CryptoError('TDES KSN of %d bytes' % len(ksn))
    v = int.from_bytes(ksn, 'big')
    return v & ~TDES_COUNTER_MASK, v & TDES_COUNTER_MASK


def tdes_ipek(bdk, ksn):
    """IPEK (initial PIN encryption key) of the KSN's device."""
    if len(bdk) != 16:
        raise ValueError('TDES BDK of %d bytes' % len(bdk))
    base, _ = _tdes_split(ksn)
    left8 = base.to_bytes(10, 'big')[:8]
    return (ecb_encrypt('tdes', bdk, left8) +
            ecb_encrypt('tdes', xor(bdk, C0_MASK), left8))


def _nrkgp(key, reg):
    """Non-reversible key generation process (X9.24-1-2009 A.2)."""
    def half(k):
        return xor(des_encrypt(k[:8], xor(reg, k[8:])), k[8:])
    right = half(key)
    left = half(xor(key, C0_MASK))
    return left + right


def tdes_txn_key(ipek, ksn):
    """Transaction key (the future key of the KSN's counter)."""
    base, counter = _tdes_split(ksn)
    if counter == 0:
        raise CryptoError('TDES KSN counter 0')
    reg = base & ((1 << 64) - 1)        # rightmost 64 bits of the KSN
    key = ipek
    for bit in range(20, -1, -1):
        if counter & (1 << bit):
            reg |= 1 << bit
            key = _nrkgp(key, reg.to_bytes(8, 'big'))
    return key


def tdes_variant(txn_key, which):
    """'pin', 'mac_req', 'mac_resp', 'data_req', 'data_resp' (data keys
    with the one-way function: each half TDES-encrypted under the variant
    key)."""
    v = {'pin': VARIANT_PIN, 'mac_req': VARIANT_MAC_REQ,
         'mac_resp': VARIANT_MAC_RESP, 'data_req': VARIANT_DATA_REQ,
         'data_resp': VARIANT_DATA_RESP}[which]
    k = xor(txn_key, v)
    if which.startswith('data'):
        k = ecb_encrypt('tdes', k, k[:8]) + ecb_encrypt('tdes', k, k[8:])
    return k


def counter_weight(counter):
    return bin(counter).count('1')
