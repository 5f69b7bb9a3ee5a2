"""EMV payment test card, as a T=0 card at TPDU level (ISO/IEC 7816-3/-4,
EMV Book 1/3): PSE and PPSE, applications with priorities, FCI with PDOL,
GET PROCESSING OPTIONS (format 1 and 2), records with track 2 equivalent
data, PAN, expiry and CDOL1, GENERATE AC with an ARQC computed from the
card's key.  Case-4 commands are answered with 61xx (GET RESPONSE), case-2
commands with a wrong Le with 6Cxx.

Used by tests/fakes/vscard_fake.py (the VSCARD peer of QEMU's
ccid-card-passthru) and by the VM tests to compute the expected ARQC.
Python 3 standard library only; DES comes from `openssl enc`.
Test cards only: never put a real card's data or key here.
"""
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SHARED_CARDS = os.path.join(REPO, 'tests', 'data', 'cards.json')

PSE = b'1PAY.SYS.DDF01'
PPSE = b'2PAY.SYS.DDF01'

PDOL = bytes.fromhex('9F0206' '9F1A02' '9505' '5F2A02' '9A03' '9C01' '9F3704')
CDOL1 = bytes.fromhex('9F0206' '9F0306' '9F1A02' '9505' '5F2A02' '9A03'
                      '9C01' '9F3704')
CDOL2 = bytes.fromhex('8A02' '9F0206' '9505' '9F3704')


# ---------------------------------------------------------------- crypto

def _openssl_enc(args, data):
    r = subprocess.run(['openssl', 'enc'] + args + ['-nopad', '-nosalt'],
                       input=data, capture_output=True, check=True)
    return r.stdout


def tdes_ecb(key, data):
    """Two- or three-key TDES (EDE), ECB."""
    if len(key) == 16:
        key = key + key[:8]
    return _openssl_enc(['-des-ede3', '-K', key.hex()], data)


def des_ecb(key8, data):
    return tdes_ecb(key8 * 3, data)


def des_cbc_last(key8, data):
    """Last block of single-DES CBC over data (zero IV)."""
    out = _openssl_enc(['-des-ede3-cbc', '-K', (key8 * 3).hex(),
                        '-iv', '00' * 8], data)
    return out[-8:]


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def pad_m2(data):
    """ISO/IEC 9797-1 padding method 2."""
    data = data + b'\x80'
    return data + b'\0' * (-len(data) % 8)


def retail_mac(key16, data):
    """ISO/IEC 9797-1 MAC algorithm 3 with DES (padding method 2)."""
    d = pad_m2(data)
    k1, k2 = key16[:8], key16[8:16]
    h = des_cbc_last(k1, d[:-8]) if len(d) > 8 else b'\0' * 8
    return tdes_ecb(k1 + k2, xor(h, d[-8:]))


def derive_icc_mk(imk, pan, psn):
    """EMV Book 2 A1.4.1 option A: ICC master key from the issuer master
    key, the PAN and the PAN sequence number."""
    digits = (pan + psn)[-16:].rjust(16, '0')
    y = bytes.fromhex(digits)
    zl = tdes_ecb(imk, y)
    zr = tdes_ecb(imk, xor(y, b'\xff' * 8))
    return zl + zr


def session_key(mk, atc):
    """EMV Book 2 A1.3.1 common session key derivation (tree-less)."""
    a = atc.to_bytes(2, 'big')
    return (tdes_ecb(mk, a + b'\xf0' + b'\0' * 5) +
            tdes_ecb(mk, a + b'\x0f' + b'\0' * 5))


def card_mk(card):
    """The card's AC master key: chip.icc_mk_ac, else option A of the
    issuer's IMK_AC."""
    if card.get('icc_mk_ac'):
        return bytes.fromhex(card['icc_mk_ac'])
    return derive_icc_mk(bytes.fromhex(card['imk_ac']), card['pan'],
                         card['psn'])


def compute_ac(card, cdol1_data, aip, atc):
    """The ARQC of docs/protocol.md ("ARQC algorithm"): ISO 9797-1 MAC
    algorithm 3 under the common session key of this ATC, over
    CDOL1 data || AIP || ATC, padding method 2."""
    sk = session_key(card_mk(card), atc)
    return retail_mac(sk, cdol1_data + aip + atc.to_bytes(2, 'big'))


# ---------------------------------------------------------------- BER-TLV

def tlv(tag, value):
    t = bytes.fromhex(tag) if isinstance(tag, str) else tag
    n = len(value)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = bytes([0x81, n])
    else:
        ln = bytes([0x82, n >> 8, n & 0xff])
    return t + ln + value


def parse_tlv(data):
    """Flat and constructed BER-TLV into a dict of tag hex -> value
    (constructed values are parsed recursively too)."""
    out = {}
    i = 0
    while i < len(data):
        if data[i] in (0x00, 0xff):
            i += 1
            continue
        t0 = i
        first = data[i]
        i += 1
        if first & 0x1f == 0x1f:
            while data[i] & 0x80:
                i += 1
            i += 1
        tag = data[t0:i].hex().upper()
        n = data[i]
        i += 1
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(data[i:i + k], 'big')
            i += k
        value = data[i:i + n]
        i += n
        out.setdefault(tag, value)
        if first & 0x20:
            for k2, v2 in parse_tlv(value).items():
                out.setdefault(k2, v2)
    return out


def dol_length(dol):
    n, i = 0, 0
    while i < len(dol):
        if dol[i] & 0x1f == 0x1f:
            i += 1
            while dol[i] & 0x80:
                i += 1
        i += 1
        n += dol[i]
        i += 1
    return n


# ---------------------------------------------------------------- cards

def atr_with_tck(hexstr):
    b = bytes.fromhex(hexstr)
    x = 0
    for c in b[1:]:
        x ^= c
    return b + bytes([x])


def pcsc_contactless_atr(hist):
    """PC/SC part 3 ATR of an ISO 14443-4 card: 3B 8n 80 01 hist TCK."""
    return atr_with_tck('3B%02X8001' % (0x80 | len(hist)) + hist.hex())


def _from_shared(doc):
    """Chip cards of tests/data/cards.json (schema: tests/data/README.md).
    Every chip card is emulated as a contact card (its id) and, when
    chip.contactless is set, as a contactless card (id + '-cl', PC/SC
    part 3 ATR)."""
    imk = doc.get('issuer', {}).get('imk_ac')
    out = {}
    for c in doc.get('cards', []):
        chip = c.get('chip')
        if not chip or c.get('magstripe_only'):
            continue
        aids = []
        for k, a in enumerate(sorted(chip['aids'],
                                     key=lambda x: x['priority'])):
            # the first application answers GPO in format 2, the others
            # in format 1, so that a card shows both
            aids.append(dict(a, gpo_format=2 if k == 0 else 1))
        card = {
            'id': c['id'], 'interface': 'contact', 'pan': c['pan'],
            'psn': c.get('psn', '00'), 'expiry': chip['expiry_date'],
            'effective': '200101', 'service_code': c['service_code'],
            'cardholder': c['name'], 'imk_ac': imk,
            'icc_mk_ac': chip.get('icc_mk_ac'), 'aip': chip['aip'],
            'atc': chip['atc'], 'iad': chip['iad'], 'cdol1': chip['cdol1'],
            'track2_equivalent': chip['track2_equivalent'], 'aids': aids,
            'atr': '3B6E000080318066B0840C016E0183009000',
            'uid': '04' + c['pan'][-12:],
        }
        out[card['id']] = card
        if chip.get('contactless'):
            cl = dict(card, id=card['id'] + '-cl', interface='contactless',
                      atr=pcsc_contactless_atr(b'\x80\x73\xc8\x21\x10').hex())
            out[cl['id']] = cl
    return out


def load_cards(path=None):
    """Cards by id from tests/data/cards.json (or @path), and the path."""
    path = path or SHARED_CARDS
    with open(path) as f:
        cards = _from_shared(json.load(f))
    if not cards:
        raise RuntimeError('%s: no chip cards' % path)
    return cards, path


def track2_equivalent(card):
    t2 = card['track2_equivalent']
    if len(t2) % 2:
        t2 += 'F'
    return bytes.fromhex(t2)


def pan_bcd(pan):
    return bytes.fromhex(pan + ('F' if len(pan) % 2 else ''))


class EmvCard:
    """One card: process(tpdu) -> response (data + SW1 SW2)."""

    AFL = bytes.fromhex('08010200')

    def __init__(self, card):
        self.card = card
        self.AIP = bytes.fromhex(card['aip'])
        self.IAD = bytes.fromhex(card['iad'])
        self.CDOL1 = bytes.fromhex(card['cdol1'])
        self.atc = int(card['atc'])
        self.pending = b''
        self.selected = None
        self.gpo_done = False
        self.log = []

    @property
    def atr(self):
        return bytes.fromhex(self.card['atr'])

    @property
    def contactless(self):
        return self.card['interface'] == 'contactless'

    def aids(self):
        return sorted(self.card['aids'], key=lambda a: a['priority'])

    # --- file contents
    def fci_ddf(self, name):
        entries = b''
        for a in self.aids():
            entries += tlv('61', tlv('4F', bytes.fromhex(a['aid'])) +
                           tlv('50', a['label'].encode()) +
                           tlv('87', bytes([a['priority']])))
        if name == PPSE:
            prop = tlv('BF0C', entries)
        else:
            prop = tlv('88', b'\x01') + tlv('5F2D', b'en')
        return tlv('6F', tlv('84', name) + tlv('A5', prop))

    def fci_adf(self, a):
        prop = (tlv('50', a['label'].encode()) +
                tlv('87', bytes([a['priority']])) +
                tlv('9F38', PDOL) + tlv('5F2D', b'en'))
        return tlv('6F', tlv('84', bytes.fromhex(a['aid'])) +
                   tlv('A5', prop))

    def pse_record(self):
        entries = b''
        for a in self.aids():
            entries += tlv('61', tlv('4F', bytes.fromhex(a['aid'])) +
                           tlv('50', a['label'].encode()) +
                           tlv('87', bytes([a['priority']])))
        return tlv('70', entries)

    def record(self, sfi, num):
        c = self.card
        if sfi == 1 and num == 1:
            return tlv('70', tlv('57', track2_equivalent(c)) +
                       tlv('5F20', c['cardholder'].encode()) +
                       tlv('9F1F', b'0000000000'))
        if sfi == 1 and num == 2:
            return tlv('70', tlv('5A', pan_bcd(c['pan'])) +
                       tlv('5F24', bytes.fromhex(c['expiry'])) +
                       tlv('5F25', bytes.fromhex(c['effective'])) +
                       tlv('5F34', bytes.fromhex(c['psn'])) +
                       tlv('5F28', bytes.fromhex('0840')) +
                       tlv('8C', self.CDOL1) + tlv('8D', CDOL2) +
                       tlv('8E', bytes.fromhex('000000000000000042031E031F03')) +
                       tlv('9F07', bytes.fromhex('FF00')) +
                       tlv('9F08', bytes.fromhex('0096')) +
                       tlv('9F0D', bytes.fromhex('F040008800')) +
                       tlv('9F0E', bytes.fromhex('0010000000')) +
                       tlv('9F0F', bytes.fromhex('F040009800')))
        return None

    # --- commands: (data, sw)
    def select(self, p1, data):
        if p1 != 0x04:
            return b'', 0x6A86
        if data in (PSE, PPSE):
            if data == PSE and self.contactless:
                return b'', 0x6A82
            if data == PPSE and not self.contactless and \
                    not self.card.get('ppse', True):
                return b'', 0x6A82
            self.selected = data
            self.gpo_done = False
            return self.fci_ddf(data), 0x9000
        for a in self.aids():
            aid = bytes.fromhex(a['aid'])
            if aid.startswith(data) and data:
                self.selected = a
                self.gpo_done = False
                return self.fci_adf(a), 0x9000
        return b'', 0x6A82

    def gpo(self, data):
        if not isinstance(self.selected, dict):
            return b'', 0x6985
        t = parse_tlv(data)
        if '83' not in t or len(t['83']) != dol_length(PDOL):
            return b'', 0x6700
        self.gpo_done = True
        if self.selected.get('gpo_format', 2) == 1:
            return tlv('80', self.AIP + self.AFL), 0x9000
        return tlv('77', tlv('82', self.AIP) + tlv('94', self.AFL)), 0x9000

    def read_record(self, p1, p2):
        sfi = p2 >> 3
        if p2 & 7 != 4:
            return b'', 0x6A86
        if self.selected == PSE and sfi == 1:
            return (self.pse_record(), 0x9000) if p1 == 1 else (b'', 0x6A83)
        if not isinstance(self.selected, dict):
            return b'', 0x6985
        r = self.record(sfi, p1)
        return (r, 0x9000) if r else (b'', 0x6A83)

    def generate_ac(self, p1, data):
        if not self.gpo_done:
            return b'', 0x6985
        if len(data) != dol_length(self.CDOL1):
            return b'', 0x6700
        want = p1 & 0xC0
        cid = 0x00 if want == 0x00 else 0x80   # TC requests go online
        atc = self.atc
        self.atc = (self.atc + 1) & 0xffff
        ac = compute_ac(self.card, data, self.AIP, atc)
        self.log.append({'atc': atc, 'cid': cid, 'ac': ac.hex().upper(),
                         'cdol1': data.hex().upper()})
        if self.selected.get('gpo_format', 2) == 1:
            return tlv('80', bytes([cid]) + atc.to_bytes(2, 'big') + ac +
                       self.IAD), 0x9000
        return tlv('77', tlv('9F27', bytes([cid])) +
                   tlv('9F36', atc.to_bytes(2, 'big')) +
                   tlv('9F26', ac) + tlv('9F10', self.IAD)), 0x9000

    def get_data(self, p1, p2):
        if (p1, p2) == (0x9F, 0x36):
            return tlv('9F36', self.atc.to_bytes(2, 'big')), 0x9000
        return b'', 0x6A88

    # --- T=0 TPDU level
    @staticmethod
    def sw(v):
        return bytes([v >> 8, v & 0xff])

    def _outgoing(self, data, p3):
        """Case 2: data with P3 = Le, or 6Cxx when Le is wrong."""
        le = p3 or 256
        if le != len(data) and len(data) <= 256:
            return self.sw(0x6C00 | (len(data) & 0xff))
        return data[:le] + self.sw(0x9000)

    def process(self, tpdu):
        if len(tpdu) < 5:
            if len(tpdu) == 4:
                tpdu = tpdu + b'\0'
            else:
                return self.sw(0x6700)
        cla, ins, p1, p2, p3 = tpdu[:5]
        data = tpdu[5:]

        if cla == 0xFF and ins == 0xCA:          # PC/SC part 3 GET UID
            if not self.contactless:
                return self.sw(0x6A81)
            return bytes.fromhex(self.card['uid']) + self.sw(0x9000)

        if ins == 0xC0 and cla & 0x80 == 0:      # GET RESPONSE
            if not self.pending:
                return self.sw(0x6985)
            le = p3 or 256
            if le > len(self.pending):
                return self.sw(0x6C00 | len(self.pending))
            out, self.pending = self.pending[:le], self.pending[le:]
            if self.pending:
                return out + self.sw(0x6100 | min(len(self.pending), 256) & 0xff)
            return out + self.sw(0x9000)
        self.pending = b''

        if len(data) not in (0, p3):
            return self.sw(0x6700)

        # case 4: data in, answer through GET RESPONSE
        if cla & 0x80 == 0 and ins == 0xA4:
            rdata, sw = self.select(p1, data)
        elif cla == 0x80 and ins == 0xA8:
            rdata, sw = self.gpo(data)
        elif cla == 0x80 and ins == 0xAE:
            rdata, sw = self.generate_ac(p1, data)
        # case 2: data out
        elif cla & 0x80 == 0 and ins == 0xB2 and not data:
            rdata, sw = self.read_record(p1, p2)
            return self._outgoing(rdata, p3) if sw == 0x9000 else self.sw(sw)
        elif ins == 0xCA and cla in (0x00, 0x80) and not data:
            rdata, sw = self.get_data(p1, p2)
            return self._outgoing(rdata, p3) if sw == 0x9000 else self.sw(sw)
        # test commands
        elif cla == 0x80 and ins == 0xF2:
            # P1P2 bytes of data, then 9000, whatever P3 says (size tests)
            n = (p1 << 8) | p2
            return bytes(i & 0xff for i in range(n)) + self.sw(0x9000)
        elif cla == 0x80 and ins == 0xF4:
            # P1P2 bytes of data through a chain of 61xx / GET RESPONSE
            n = (p1 << 8) | p2
            self.pending = bytes((i * 7) & 0xff for i in range(n))
            return self.sw(0x6100 | min(n, 256) & 0xff)
        else:
            return self.sw(0x6D00 if ins not in (0xA4, 0xB2) else 0x6E00)

        if sw != 0x9000 or not rdata:
            return self.sw(sw)
        self.pending = rdata
        return self.sw(0x6100 | (min(len(rdata), 256) & 0xff))
