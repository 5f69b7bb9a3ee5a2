#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Cross-check of the AES-192 DUKPT set (aes192_dukpt_independent.json,
derived by the independent decoder) against libpaytermcrypto through
payterm-keytool: dukpt-ik, dukpt-keys --key-type aes128 / aes192 for every
KSN (transaction key and the five working keys), pinblock encrypt
--format 4 under both PIN keys.  Usage: keytool_check.py KEYTOOL [FILE]"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..'))
from indep.vectors import VDIR  # noqa: E402


def kt(tool, *args):
    r = subprocess.run([tool, '--json'] + list(args), capture_output=True,
                       text=True, timeout=30)
    if r.returncode:
        raise RuntimeError('%s: %s' % (' '.join(args[:2]), r.stderr.strip()))
    return json.loads(r.stdout)


def main():
    tool = sys.argv[1]
    path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        VDIR, 'aes192_dukpt_independent.json')
    d = json.load(open(path))
    n, bad = 0, []

    def eq(got, want, what):
        nonlocal n
        n += 1
        if (got or '').upper() != want.upper():
            bad.append('%s: payterm-keytool %s, file %s' % (what, got, want))

    for s in d['sets']:
        ik = kt(tool, 'dukpt-ik', '--bdk', s['bdk'], '--ikid',
                s['initial_key_id'])
        eq(ik.get('initial_key'), s['initial_key'], 'initial key')
        fill = s['pin_field'][16:]
        for t in s['transactions']:
            for wk in ('aes128', 'aes192'):
                k = kt(tool, 'dukpt-keys', '--bdk', s['bdk'], '--ksn',
                       t['ksn'], '--key-type', wk)
                eq(k.get('transaction_key'), t['transaction_key'],
                   '%s transaction key' % t['ksn'])
                for name in ('pin_key', 'mac_gen_key', 'mac_ver_key',
                             'data_enc_key', 'data_dec_key'):
                    eq(k.get(name), t['%s_%s' % (name, wk)],
                       '%s %s_%s' % (t['ksn'], name, wk))
                blk = kt(tool, 'pinblock', 'encrypt', '--format', '4',
                         '--pin', s['pin'], '--pan', s['pan'], '--key',
                         k['pin_key'], '--fill', fill)
                eq(blk.get('pin_block'), t['encrypted_pin_block_format4' + (
                    '' if wk == 'aes128' else '_aes192')],
                   '%s format 4 block (%s PIN key)' % (t['ksn'], wk))
    for b in bad[:10]:
        print('       ' + b)
    print('%s - AES-192 set vs payterm-keytool: %d values, %d differ'
          % ('ok  ' if not bad else 'FAIL', n, len(bad)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
