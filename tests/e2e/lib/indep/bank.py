# SPDX-License-Identifier: GPL-2.0-or-later
"""Bank-side decoding of a 0200 and its 0210, as docs/protocol.md ("ISO
8583 profile") describes them, with the BDKs of a payterm-bank
configuration (tests/data/bank.json "bdks").

decode_request() returns a dict: the parsed message, field 53 (scheme,
working key type, PIN block format, KSN), the working keys, the request
MAC check, the clear card data of field 62 (tag 57 split into PAN,
expiry, service code), the clear PIN, field 55 as tags.  Every failure
raises a subclass of CryptoError naming what failed, so negative controls
can tell a MAC failure from a PIN block failure."""
from . import dukpt, iso8583, pinblock, prim, tlv
from .prim import CryptoError


class MacError(CryptoError):
    pass


class KeyError_(CryptoError):
    pass


class CardDataError(CryptoError):
    pass


class PinError(CryptoError):
    pass


class IccError(CryptoError):
    pass


MANDATORY_0200 = (3, 4, 7, 11, 12, 13, 22, 41, 42, 48, 49, 53, 62, 64)
ECHOED_0210 = (3, 4, 7, 11, 12, 13, 22, 41, 42, 48, 49, 53)
ALLOWED_0200 = set(MANDATORY_0200) | {52, 55, 61, 63}
ALLOWED_0210 = set(ECHOED_0210) | {37, 38, 39, 55, 63, 64}
CARD_DATA_TAGS = {'57', '5F34', '5A', '5F24'}
ICC_FORBIDDEN = {'57', '5A', '5F20', '5F24', '5F34', '56', '9F1F', '9F20',
                 '9F6B'}
ICC_REQUIRED = {'9F26': 8, '9F27': 1, '9F36': 2, '82': 2}
ENTRY = {'901': 'swipe', '051': 'chip', '071': 'tap'}
WKT = {0x02: 'aes128', 0x03: 'aes192', 0x04: 'aes256'}


class Bdks:
    """AES BDKs by BDK id (4 bytes), TDES BDKs by key set id (5 bytes)."""

    def __init__(self, bdks):
        self.aes, self.tdes = {}, {}
        for b in bdks:
            if b['scheme'] == 'aes':
                self.aes[b['id'].upper()] = bytes.fromhex(b['key'])
            elif b['scheme'] == 'tdes':
                self.tdes[b['ksi'].upper()] = bytes.fromhex(b['key'])
            else:
                raise ValueError(b['scheme'])


def luhn_ok(pan):
    s = 0
    for i, ch in enumerate(reversed(pan)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        s += d
    return s % 10 == 0


def parse_f53(f53):
    if len(f53) != 48:
        raise iso8583.FormatError('field 53 of %d bytes' % len(f53))
    km, wkt, pbf, res = f53[0], f53[1], f53[2], f53[3]
    if res or any(f53[16:]):
        raise iso8583.FormatError('field 53: reserved bytes not zero')
    out = {'pin_format': None if pbf == 0xff else pbf}
    if km == 0x01:
        if wkt not in WKT:
            raise iso8583.FormatError('field 53: AES key type %02X' % wkt)
        out.update(scheme='aes', key_type=WKT[wkt], ksn=f53[4:16])
        if pbf not in (0x04, 0xff):
            raise iso8583.FormatError('field 53: PIN format %02X with AES'
                                      % pbf)
    elif km == 0x02:
        if wkt != 0 or f53[14:16] != b'\0\0':
            raise iso8583.FormatError('field 53: TDES key type / KSN pad')
        out.update(scheme='tdes', key_type='tdes2', ksn=f53[4:14])
        if pbf not in (0x00, 0x03, 0xff):
            raise iso8583.FormatError('field 53: PIN format %02X with TDES'
                                      % pbf)
    else:
        raise iso8583.FormatError('field 53: key management %02X' % km)
    return out


def derive_keys(bdks, f53):
    """The transaction's working keys: pin, mac_req, mac_resp, data."""
    ksn = f53['ksn']
    if f53['scheme'] == 'aes':
        bdk = bdks.aes.get(ksn[:4].hex().upper())
        if bdk is None:
            raise KeyError_('unknown AES BDK id %s' % ksn[:4].hex().upper())
        _, ctr = dukpt.aes_split_ksn(ksn)
        if ctr == 0 or dukpt.counter_weight(ctr) > 16:
            raise KeyError_('AES KSN counter %08X not usable' % ctr)
        ik = dukpt.aes_initial_key(bdk, ksn[:8])
        tk = dukpt.aes_txn_key(ik, ksn)
        kt = f53['key_type']

        def wk(u):
            return dukpt.aes_working_key(tk, ksn, u, kt)
        return {'alg': 'aes', 'ik': ik, 'txn': tk,
                'pin': wk(dukpt.USAGE_PIN), 'mac_req': wk(dukpt.USAGE_MAC_GEN),
                'mac_resp': wk(dukpt.USAGE_MAC_VER),
                'data': wk(dukpt.USAGE_DATA_ENC)}
    bdk = bdks.tdes.get(ksn[:5].hex().upper())
    if bdk is None:
        raise KeyError_('unknown TDES key set id %s' % ksn[:5].hex().upper())
    ctr = int.from_bytes(ksn, 'big') & dukpt.TDES_COUNTER_MASK
    if ctr == 0 or dukpt.counter_weight(ctr) > 10:
        raise KeyError_('TDES KSN counter %06X not usable' % ctr)
    ipek = dukpt.tdes_ipek(bdk, ksn)
    tk = dukpt.tdes_txn_key(ipek, ksn)
    return {'alg': 'tdes', 'ik': ipek, 'txn': tk,
            'pin': dukpt.tdes_variant(tk, 'pin'),
            'mac_req': dukpt.tdes_variant(tk, 'mac_req'),
            'mac_resp': dukpt.tdes_variant(tk, 'mac_resp'),
            'data': dukpt.tdes_variant(tk, 'data_req')}


def compute_mac(alg, key, data):
    if alg == 'aes':
        return prim.cmac('aes', key, data)[:8]
    return prim.retail_mac(key, data, padding=2)


def split_track2(t2):
    """Tag 57: PAN D YYMM service code discretionary [F]."""
    s = t2.hex().upper()
    if s.endswith('F'):
        s = s[:-1]
    if 'D' not in s:
        raise CardDataError('tag 57 without separator D')
    pan, rest = s.split('D', 1)
    if not pan.isdigit() or not 12 <= len(pan) <= 19 or len(rest) < 7 or \
            not rest.isdigit():
        raise CardDataError('tag 57 malformed')
    return {'track2': s, 'pan': pan, 'expiry': rest[:4],
            'service_code': rest[4:7], 'discretionary': rest[7:]}


def decode_card_data(keys, f62):
    bs = prim.block_size(keys['alg'])
    try:
        clear = prim.unpad_m2(prim.cbc_decrypt(keys['alg'], keys['data'],
                                               f62), bs)
        items = tlv.parse(clear)
    except CryptoError as e:
        raise CardDataError('field 62: %s' % e)
    tags = [t for t, _ in items]
    if set(tags) - CARD_DATA_TAGS or len(tags) != len(set(tags)):
        raise CardDataError('field 62: tags %s' % tags)
    d = dict(items)
    if '57' not in d:
        raise CardDataError('field 62: no tag 57')
    card = split_track2(d['57'])
    card['tags'] = tags
    if '5A' in d:
        pan5a = d['5A'].hex().upper().rstrip('F')
        if pan5a != card['pan']:
            raise CardDataError('tag 5A does not match tag 57')
    if '5F24' in d:
        if d['5F24'].hex()[:4] != card['expiry']:
            raise CardDataError('tag 5F24 does not match tag 57')
        card['expiry_date'] = d['5F24'].hex()
    if '5F34' in d:
        if len(d['5F34']) != 1:
            raise CardDataError('tag 5F34 length')
        card['psn'] = d['5F34'].hex()
    card['luhn'] = luhn_ok(card['pan'])
    return card


def decode_icc(f55, cdol1=None):
    try:
        items = tlv.parse(f55)
    except CryptoError as e:
        raise IccError('field 55: %s' % e)
    d = tlv.as_dict(items)
    bad = ICC_FORBIDDEN & set(d)
    if bad:
        raise IccError('field 55 carries card data tags %s' % sorted(bad))
    for t, n in ICC_REQUIRED.items():
        if t not in d or len(d[t]) != n:
            raise IccError('field 55: tag %s missing or not %d bytes'
                           % (t, n))
    if d['9F27'] != b'\x80':
        raise IccError('field 55: CID %s is not an ARQC' % d['9F27'].hex())
    if cdol1 is not None:
        for t, n in tlv.parse_dol(cdol1):
            if t not in d or len(d[t]) != n:
                raise IccError('field 55: CDOL1 tag %s missing or not %d '
                               'bytes' % (t, n))
    return {'order': [t for t, _ in items], 'tags': d}


def decode_request(frame, bdks, verify_mac=True):
    """Decode and verify a captured 0200 frame (with its length prefix)."""
    m = iso8583.parse_frame(frame)
    if m.mti != '0200':
        raise iso8583.FormatError('MTI %s is not 0200' % m.mti)
    missing = [f for f in MANDATORY_0200 if f not in m]
    if missing:
        raise iso8583.FormatError('0200 without fields %s' % missing)
    extra = sorted(set(m.fields) - ALLOWED_0200)
    if extra:
        raise iso8583.FormatError('0200 with fields %s' % extra)
    entry = ENTRY.get(m.s(22))
    if entry is None:
        raise iso8583.FormatError('POS entry mode %s' % m.s(22))
    if not iso8583.request_hash_ok(m.fields[48]):
        raise iso8583.FormatError('field 48 %r is not 64 lower-case hex'
                                  % m.fields[48])
    f53 = parse_f53(m.b(53))
    keys = derive_keys(bdks, f53)
    mac_data = m.mac_data(iso8583.REQ_MAC_FIELDS)
    mac = compute_mac(keys['alg'], keys['mac_req'], mac_data)
    out = {'msg': m, 'entry': entry, 'f53': f53, 'keys': keys,
           'mac_data': mac_data, 'mac_ok': mac == m.b(64),
           'request_hash': m.s(48)}
    if verify_mac and not out['mac_ok']:
        raise MacError('request MAC %s, computed %s' % (m.b(64).hex(),
                                                        mac.hex()))
    card = decode_card_data(keys, m.b(62))
    out['card'] = card
    fmt = f53['pin_format']
    if fmt is None:
        if 52 in m or 61 in m:
            raise PinError('PIN block present, field 53 says none')
        out['pin'] = None
    else:
        want, other = (61, 52) if fmt == 4 else (52, 61)
        if want not in m or other in m:
            raise PinError('format %d PIN block must be in field %d only'
                           % (fmt, want))
        blk = m.b(want)
        try:
            out['pin'] = pinblock.decrypt(fmt, keys['pin'], blk, card['pan'])
        except CryptoError as e:
            raise PinError('PIN block (field %d): %s' % (want, e))
    if entry in ('chip', 'tap'):
        if 55 not in m:
            raise IccError('%s without field 55' % entry)
    if 55 in m:
        out['icc'] = decode_icc(m.b(55))
    return out


def decode_response(frame, req, verify_mac=True):
    """Decode a captured 0210 answering the decoded request REQ; checks the
    echoed fields and, when present, the response MAC."""
    m = iso8583.parse_frame(frame)
    q = req['msg']
    if m.mti != '0210':
        raise iso8583.FormatError('MTI %s is not 0210' % m.mti)
    extra = sorted(set(m.fields) - ALLOWED_0210)
    if extra:
        raise iso8583.FormatError('0210 with fields %s' % extra)
    for f in ECHOED_0210 + (63,):
        if f in q and m.fields.get(f) != q.fields[f]:
            raise iso8583.FormatError('0210 field %d not echoed' % f)
    if 39 not in m:
        raise iso8583.FormatError('0210 without field 39')
    out = {'msg': m, 'rc': m.s(39), 'auth': m.s(38) if 38 in m else None,
           'mac': None}
    if 64 in m:
        mac = compute_mac(req['keys']['alg'], req['keys']['mac_resp'],
                          m.mac_data(iso8583.RESP_MAC_FIELDS))
        out['mac'] = mac == m.b(64)
        if verify_mac and not out['mac']:
            raise MacError('response MAC %s, computed %s'
                           % (m.b(64).hex(), mac.hex()))
    if 55 in m:
        try:
            out['icc'] = tlv.as_dict(tlv.parse(m.b(55)))
        except CryptoError as e:
            raise IccError('0210 field 55: %s' % e)
    return out


# ---------------------------------------------------------------- EMV
def icc_master_key(imk, pan, psn):
    """EMV 4.3 Book 2 A1.4.1 option A."""
    y = (pan + psn)[-16:].rjust(16, '0')
    y = bytes.fromhex(y)
    zl = prim.ecb_encrypt('tdes', imk, y)
    zr = prim.ecb_encrypt('tdes', imk, prim.xor(y, b'\xff' * 8))
    return prim.odd_parity(zl + zr)


def session_key(mk, atc):
    return (prim.ecb_encrypt('tdes', mk, atc + b'\xf0' + bytes(5)) +
            prim.ecb_encrypt('tdes', mk, atc + b'\x0f' + bytes(5)))


def check_arqc(icc, cdol1, imk, pan, psn):
    """Recompute the ARQC of field 55 (common session key, CDOL1 data ||
    AIP || ATC, ISO 9797-1 alg 3, method 2); returns the session key."""
    d = icc['tags']
    data = b''.join(d[t] for t, _ in tlv.parse_dol(cdol1))
    data += d['82'] + d['9F36']
    sk = session_key(icc_master_key(imk, pan, psn), d['9F36'])
    arqc = prim.retail_mac(sk, data, padding=2)
    if arqc != d['9F26']:
        raise IccError('ARQC %s, computed %s' % (d['9F26'].hex(),
                                                 arqc.hex()))
    return sk


def check_arpc(sk, arqc, issuer_auth_data, rc):
    """Tag 91 = ARPC (8) || ARC (2); ARPC = TDES(SK, ARQC XOR ARC||00*6)."""
    if len(issuer_auth_data) != 10:
        raise IccError('tag 91 of %d bytes' % len(issuer_auth_data))
    arc = issuer_auth_data[8:]
    if arc != rc.encode():
        raise IccError('ARC %s for response code %s' % (arc.hex(), rc))
    arpc = prim.ecb_encrypt('tdes', sk, prim.xor(arqc, arc + bytes(6)))
    if arpc != issuer_auth_data[:8]:
        raise IccError('ARPC %s, computed %s' % (issuer_auth_data[:8].hex(),
                                                 arpc.hex()))
