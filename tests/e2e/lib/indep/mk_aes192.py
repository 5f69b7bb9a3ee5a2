#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes tests/unit/crypto/vectors/aes192_dukpt_independent.json: AES-192
BDK DUKPT values derived by this independent decoder (indep.dukpt), in the
layout of x9_24_3_2017_aes.json.  NOT a published vector: the X9.24-3-2017
supplement has AES-128 and AES-256 BDKs only.  The initial key agrees with
two third-party sources (see "source" in the file); every value is also
cross-checked against payterm-keytool (tests/e2e/t-bank-independent).
Usage: mk_aes192.py [OUT]"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..'))
from indep import dukpt, pinblock  # noqa: E402
from indep.vectors import VDIR  # noqa: E402

BDK = 'FEDCBA9876543210F1F1F1F1F1F1F1F1FEDCBA9876543210'
IKID = '1234567890123456'
IK_THIRD_PARTY = '5B6DEE2B5B7FABFFA32591F35BF8F23DD9329AE85131E584'
PIN, PAN = '1234', '4111111111111111'
PIN_FIELD = '441234AAAAAAAAAA2F69ADDE2E9E7ACE'   # the supplement's fill
COUNTERS = [1, 2, 3, 4, 5, 6, 7, 8, 0x1FFFE, 0x20000, 0x20001,
            0xFFFE2000, 0xFFFE4000, 0xFFFE8000, 0xFFFF0000]
USAGES = [('pin_key', dukpt.USAGE_PIN), ('mac_gen_key', dukpt.USAGE_MAC_GEN),
          ('mac_ver_key', dukpt.USAGE_MAC_VER),
          ('data_enc_key', dukpt.USAGE_DATA_ENC),
          ('data_dec_key', dukpt.USAGE_DATA_DEC)]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        VDIR, 'aes192_dukpt_independent.json')
    ik = dukpt.aes_initial_key(bytes.fromhex(BDK), bytes.fromhex(IKID))
    assert ik.hex().upper() == IK_THIRD_PARTY, ik.hex()
    txns = []
    for ctr in COUNTERS:
        ksn = bytes.fromhex(IKID) + ctr.to_bytes(4, 'big')
        tk = dukpt.aes_txn_key(ik, ksn)
        t = {'ksn': ksn.hex().upper(), 'transaction_key': tk.hex().upper()}
        for kt in ('aes128', 'aes192'):
            for name, usage in USAGES:
                t['%s_%s' % (name, kt)] = dukpt.aes_working_key(
                    tk, ksn, usage, kt).hex().upper()
        for kt in ('aes128', 'aes192'):
            pk = bytes.fromhex(t['pin_key_' + kt])
            t['encrypted_pin_block_format4' + ('' if kt == 'aes128' else
                                               '_aes192')] = pinblock.encrypt(
                4, pk, PIN, PAN, PIN_FIELD[16:]).hex().upper()
        txns.append(t)
    doc = {
        'source': 'INDEPENDENT DERIVATION, NOT A PUBLISHED VECTOR. The '
        'ANSI X9.24-3-2017 supplement test vectors cover AES-128 and AES-256 '
        'BDKs only (no AES-192 set could be found). BDK: the AES-192 BDK of '
        'the ASC X9 reference Python source as quoted by third parties '
        '(the supplement AES-128 BDK || its first 8 bytes); initial key ID '
        'as in the supplement. The initial key 5B6DEE2B...5131E584 agrees '
        'with two unrelated third-party sources (a Rust DUKPT crate test '
        '"generated from the ASC X9 reference algorithm" and a POS SDK '
        'constant). Everything else was derived by the independent Python '
        'decoder tests/e2e/lib/indep (written from X9.24-3-2017, sharing no '
        'code with libpaytermcrypto; tests/e2e/lib/indep/mk_aes192.py '
        'regenerates this file) and is cross-checked value by value against '
        'libpaytermcrypto through payterm-keytool (dukpt-ik, dukpt-keys '
        '--key-type aes128|aes192, pinblock encrypt --format 4) by '
        'tests/e2e/t-bank-independent. Agreement of two independent '
        'implementations, not a standard\'s published value.',
        'note': 'working keys: aes128 and aes192 types (key usages 0x1000 '
        'PIN, 0x2000 MAC generation, 0x2001 MAC verification, 0x3000 data '
        'encryption, 0x3001 data decryption); format 4 PIN blocks with the '
        'supplement PIN field (fixed random part), under the AES-128 and '
        'the AES-192 PIN key.',
        'provenance': 'independent-derivation',
        'sets': [{'name': 'AES-192 BDK', 'bdk': BDK, 'bdk_type': 'AES-192',
                  'initial_key_id': IKID, 'initial_key': ik.hex().upper(),
                  'initial_key_third_party': IK_THIRD_PARTY,
                  'pin': PIN, 'pan': PAN, 'pin_field': PIN_FIELD,
                  'pan_field': pinblock.pan_field_4(PAN).hex().upper(),
                  'transactions': txns}],
    }
    with open(out, 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    print('wrote', out)


if __name__ == '__main__':
    main()
