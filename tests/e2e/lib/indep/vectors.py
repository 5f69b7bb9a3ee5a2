#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The independent decoder against the published vectors of
tests/unit/crypto/vectors/ (X9.24-3-2017 supplement, X9.24-1-2009 Annex
A.4, ISO 9564-1, RFC 4493 / SP 800-38B) and the AES-192 DUKPT set
(aes192_dukpt_independent.json: an independent derivation, see its
"source").  Prints one line per vector file; exit status 1 on any
mismatch.  Usage: vectors.py [VECTOR_DIR]"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..'))
from indep import dukpt, pinblock, prim  # noqa: E402

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), '..', '..',
                                     '..', '..'))
VDIR = os.path.join(ROOT, 'tests', 'unit', 'crypto', 'vectors')
H = bytes.fromhex


class Checker:
    def __init__(self):
        self.n = 0
        self.bad = []

    def eq(self, got, want, what):
        self.n += 1
        if isinstance(got, bytes):
            got = got.hex().upper()
        if got != want.upper() if isinstance(want, str) else got != want:
            self.bad.append('%s: got %s, want %s' % (what, got, want))


AES_WK = {'pin_key': dukpt.USAGE_PIN, 'mac_gen_key': dukpt.USAGE_MAC_GEN,
          'mac_ver_key': dukpt.USAGE_MAC_VER,
          'data_enc_key': dukpt.USAGE_DATA_ENC,
          'data_dec_key': dukpt.USAGE_DATA_DEC,
          # dukpt_aes.json's spelling
          'pin_encryption_key': dukpt.USAGE_PIN,
          'mac_generation_key': dukpt.USAGE_MAC_GEN,
          'data_encryption_key': dukpt.USAGE_DATA_ENC}


def aes_set(c, s, name):
    bdk = H(s['bdk'])
    ik = dukpt.aes_initial_key(bdk, H(s['initial_key_id']))
    c.eq(ik, s['initial_key'], '%s initial key' % name)
    pan_field = s.get('pan_field')
    if pan_field:
        c.eq(pinblock.pan_field_4(s['pan']), pan_field, name + ' PAN field')
    if s.get('pin_field'):
        c.eq(pinblock.pin_field(4, s['pin'], s['pin_field'][16:]),
             s['pin_field'], name + ' PIN field')
    for t in s['transactions']:
        ksn = H(t['ksn'])
        tk = dukpt.aes_txn_key(ik, ksn)
        what = '%s KSN %s' % (name, t['ksn'])
        c.eq(tk, t['transaction_key'], what + ' transaction key')
        # the device side reaches the same key from the BDK only through
        # the initial key: check the BDK path as well
        for k, v in t.items():
            base, _, kt = k.rpartition('_')
            if base in AES_WK and kt in dukpt.KEY_TYPES:
                wk = dukpt.aes_working_key(tk, ksn, AES_WK[base], kt)
                c.eq(wk, v, '%s %s' % (what, k))
        if 'encrypted_pin_block_format4' in t:
            pk = dukpt.aes_working_key(tk, ksn, dukpt.USAGE_PIN, 'aes128')
            fill = s.get('pin_field', '441234AAAAAAAAAA2F69ADDE2E9E7ACE')[16:]
            pin = s.get('pin', '1234')
            pan = s.get('pan', '4111111111111111')
            c.eq(pinblock.encrypt(4, pk, pin, pan, fill),
                 t['encrypted_pin_block_format4'], what + ' PIN block')
            c.eq(pinblock.decrypt(4, pk, H(t['encrypted_pin_block_format4']),
                                  pan), pin, what + ' PIN decoded')
        if 'encrypted_pin_block_format4_aes192' in t:
            pk = dukpt.aes_working_key(tk, ksn, dukpt.USAGE_PIN, 'aes192')
            blk = t['encrypted_pin_block_format4_aes192']
            c.eq(pinblock.encrypt(4, pk, s['pin'], s['pan'],
                                  s['pin_field'][16:]), blk,
                 what + ' PIN block (AES-192 key)')
            c.eq(pinblock.decrypt(4, pk, H(blk), s['pan']), s['pin'],
                 what + ' PIN decoded (AES-192 key)')


def x9_24_3(c, d):
    for s in d['sets']:
        aes_set(c, s, s.get('name') or s.get('bdk_type'))


def dukpt_aes(c, d):
    for s in d['sets']:
        aes_set(c, s, s['bdk_type'])


def tdes_2009(c, d):
    bdk = H(d['bdk'])
    ipek = dukpt.tdes_ipek(bdk, H(d['initial_ksn']))
    c.eq(ipek, d['ipek'], 'IPEK')
    mac_data = d['mac_data_ascii'].encode()
    clear = H(d['encrypted_request_plaintext'])
    for t in d['transactions']:
        ksn = H(t['ksn'])
        what = 'KSN ' + t['ksn']
        tk = dukpt.tdes_txn_key(ipek, ksn)
        c.eq(tk, t['transaction_key'], what + ' key')
        pk = dukpt.tdes_variant(tk, 'pin')
        if 'encrypted_pin_block' in t:
            blk = H(t['encrypted_pin_block'])
            c.eq(prim.ecb_decrypt('tdes', pk, blk), d['clear_pin_block'],
                 what + ' clear PIN block')
            c.eq(pinblock.decrypt(0, pk, blk, d['pan']), d['pin'],
                 what + ' PIN')
        if 'request_mac' in t:
            m = prim.retail_mac(dukpt.tdes_variant(tk, 'mac_req'), mac_data,
                                padding=1)
            c.eq(m[:4], t['request_mac'], what + ' request MAC')
        if 'response_mac' in t:
            m = prim.retail_mac(dukpt.tdes_variant(tk, 'mac_resp'), mac_data,
                                padding=1)
            c.eq(m[:4], t['response_mac'], what + ' response MAC')
        if 'encrypted_request' in t:
            dk = dukpt.tdes_variant(tk, 'data_req')
            c.eq(prim.cbc_encrypt('tdes', dk, clear), t['encrypted_request'],
                 what + ' encrypted request')


def tdes_shared(c, d):
    bdk = H(d['bdk'])
    ipek = dukpt.tdes_ipek(bdk, H(d['initial_ksn']))
    c.eq(ipek, d['ipek'], 'IPEK')
    for t in d['transactions']:
        ksn = H(t['ksn'])
        tk = dukpt.tdes_txn_key(ipek, ksn)
        c.eq(tk, t['future_key'], 'KSN %s key' % t['ksn'])
        pk = dukpt.tdes_variant(tk, 'pin')
        blk = H(t['encrypted_pin_block'])
        c.eq(prim.ecb_decrypt('tdes', pk, blk), d['clear_pin_block_format0'],
             'KSN %s clear block' % t['ksn'])
        c.eq(pinblock.decrypt(0, pk, blk, d['pan']), d['pin'],
             'KSN %s PIN' % t['ksn'])


def pinblocks(c, d):
    for v in d['format0']:
        f = pinblock.pin_field(0, v['pin'], '')
        blk = prim.xor(f, pinblock.pan_field_0(v['pan']))
        c.eq(blk, v['clear_block'], 'format 0 clear block')
        c.eq(pinblock.decode_clear(0, blk, v['pan']), v['pin'],
             'format 0 decode')
    for v in d['format4']:
        c.eq(pinblock.pan_field_4(v['pan']), v['pan_field'], 'format 4 PAN')
        c.eq(pinblock.pin_field(4, v['pin'], v['pin_field'][16:]),
             v['pin_field'], 'format 4 PIN field')
        c.eq(pinblock.encrypt(4, H(v['key']), v['pin'], v['pan'],
                              v['pin_field'][16:]), v['encrypted_block'],
             'format 4 block')
        c.eq(pinblock.decrypt(4, H(v['key']), H(v['encrypted_block']),
                              v['pan']), v['pin'], 'format 4 decrypt')


def macs(c, d):
    for v in d['cmac']:
        msg = H(d['messages'][v['msg']])
        c.eq(prim.cmac(v['alg'], H(v['key']), msg), v['mac'],
             '%s CMAC key %s… msg %s' % (v['alg'], v['key'][:8], v['msg']))


def aes192(c, d):
    """aes192_dukpt_independent.json: same layout as the X9.24-3 file."""
    for s in d['sets']:
        aes_set(c, s, s['name'])


FILES = [('x9_24_3_2017_aes.json', x9_24_3), ('dukpt_aes.json', dukpt_aes),
         ('x9_24_1_2009_tdes.json', tdes_2009),
         ('dukpt_tdes.json', tdes_shared), ('pinblock.json', pinblocks),
         ('mac.json', macs), ('aes192_dukpt_independent.json', aes192)]


def run(vdir=VDIR, out=print):
    total, bad = 0, []
    for name, fn in FILES:
        path = os.path.join(vdir, name)
        if not os.path.exists(path):
            bad.append('%s: missing' % name)
            out('FAIL - %s: missing' % name)
            continue
        c = Checker()
        try:
            fn(c, json.load(open(path)))
        except Exception as e:      # a crash is a failure too
            c.bad.append('%s: %s: %s' % (name, type(e).__name__, e))
        total += c.n
        bad += c.bad
        out('%s - %s: %d values%s' % ('ok  ' if not c.bad else 'FAIL', name,
                                      c.n, '' if not c.bad else
                                      ', %d wrong' % len(c.bad)))
        for b in c.bad[:10]:
            out('       ' + b)
    return total, bad


if __name__ == '__main__':
    total, bad = run(sys.argv[1] if len(sys.argv) > 1 else VDIR)
    print('vectors: %d values checked, %d wrong' % (total, len(bad)))
    sys.exit(1 if bad else 0)
