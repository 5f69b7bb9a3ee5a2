#!/usr/bin/python3
"""VM test of payterm_ccid.ko with QEMU's usb-ccid + ccid-card-passthru and
the VSCARD fake of tests/fakes/vscard_fake.py (started by tests/vm/t-ccid on
the host).  The fake is steered through the card with 80 F0 hook commands.
"""
import errno
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, 'tests', 'fakes'))

from payterm_uapi import (CAP_ICC, CAP_PICC, EVF_CONTACTLESS, Reader,  # noqa: E402
                          TestRunner, expect_errno, wait_until)
import emv_card  # noqa: E402

CARDS, CARDS_PATH = emv_card.load_cards()
CARD = os.environ.get('PAYTERM_CCID_CARD', 'visa-ok')
CL_CARD = CARD + '-cl'
KO = os.path.join(REPO, 'kmod', 'payterm_ccid.ko')
CTL = os.path.join(REPO, 'build', 'paytermctl')
T = TestRunner()

# terminal data for PDOL / CDOL1
AMOUNT = bytes.fromhex('000000001234')
OTHER = bytes.fromhex('000000000000')
COUNTRY = bytes.fromhex('0840')
TVR = bytes.fromhex('0000000000')
CURRENCY = bytes.fromhex('0978')
DATE = bytes.fromhex('251125')
TTYPE = b'\x00'
UN = bytes.fromhex('CAFEBABE')
PDOL_DATA = AMOUNT + COUNTRY + TVR + CURRENCY + DATE + TTYPE + UN
CDOL1_DATA = AMOUNT + OTHER + COUNTRY + TVR + CURRENCY + DATE + TTYPE + UN


CLAIM = os.path.join(REPO, 'udev', 'payterm-claim')
USB = '/sys/bus/usb/devices/'
DRIVER = '/sys/bus/usb/drivers/payterm_ccid/'


def ccid_interfaces():
    """The CCID interfaces (class 0b) present, e.g. ['1-1:1.0']."""
    out = []
    for n in sorted(os.listdir(USB)):
        try:
            with open(USB + n + '/bInterfaceClass') as f:
                if f.read().strip() == '0b':
                    out.append(n)
        except OSError:
            pass
    return out


def write_sysfs(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def bound_driver(intf):
    link = USB + intf + '/driver'
    return os.path.basename(os.readlink(link)) if os.path.islink(link) else None


def claim_ccid():
    """Mark and bind every CCID interface as udev's payterm-claim does
    (the VM runs no udevd; tests/vm/t-ccid-coexist tests the rules)."""
    intfs = ccid_interfaces()
    assert intfs, 'no CCID interface on the USB bus'
    for i in intfs:
        subprocess.run([CLAIM, 'usb', 'payterm_ccid', i], check=True)
    return intfs


def find_ccid(timeout=10.0):
    found = []

    def look():
        found.clear()
        base = '/sys/class/payterm'
        for n in sorted(os.listdir(base)) if os.path.isdir(base) else []:
            try:
                with open(os.path.join(base, n, 'vendor')) as f:
                    v = f.read().strip()
                with open(os.path.join(base, n, 'product')) as f:
                    p = f.read().strip()
            except OSError:
                continue
            if (v, p) == ('08e6', '4433') and os.path.exists('/dev/' + n):
                found.append('/dev/' + n)
        return bool(found)
    assert wait_until(look, timeout), 'no CCID payterm reader'
    return found[0]


def sw(resp):
    return resp[-2:].hex().upper()


def apdu(*parts):
    return b''.join(bytes.fromhex(p) if isinstance(p, str) else p
                    for p in parts)


def select(aid):
    return apdu('00A40400', bytes([len(aid)]), aid, '00')


def gpo(data):
    return apdu('80A80000', bytes([len(data) + 2]), '83', bytes([len(data)]),
                data, '00')


def gen_ac(p1, data):
    return apdu('80AE', bytes([p1]), '00', bytes([len(data)]), data, '00')


def hook(r, text):
    resp = r.transmit(apdu('80F00000', bytes([len(text)]), text.encode()))
    assert sw(resp) == '9000', resp.hex()


def card_events(r, n, timeout=6.0):
    """The next n card insert/remove/tap events (others are skipped)."""
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        for e in r.read_events(timeout=max(0.05, deadline - time.monotonic()),
                               want=1):
            if e.name in ('CARD_INSERTED', 'CARD_REMOVED', 'CARD_TAPPED'):
                out.append(e)
    return out


OPEN = []


def claimed_powered(path=None):
    while OPEN:                 # a failed case may have left one open
        OPEN.pop().close()
    r = Reader(path or find_ccid())
    OPEN.append(r)
    r.claim()
    atr = r.power_on()
    return r, atr


def check_ac(card, resp, aid_format, atc_expected=None):
    t = emv_card.parse_tlv(resp[:-2])
    if aid_format == 1:
        v = t['80']
        cid, atc, ac, iad = v[0], int.from_bytes(v[1:3], 'big'), v[3:11], v[11:]
    else:
        cid, atc = t['9F27'][0], int.from_bytes(t['9F36'], 'big')
        ac, iad = t['9F26'], t['9F10']
    assert cid == 0x80, 'CID %02x' % cid
    if atc_expected is not None:
        assert atc == atc_expected, (atc, atc_expected)
    want = emv_card.compute_ac(card, CDOL1_DATA, bytes.fromhex(card['aip']),
                               atc)
    assert ac == want, 'ARQC %s, bank side computes %s' % (ac.hex(), want.hex())
    return atc


@T.case
def test_only_marked_interfaces_bound():
    """Loaded, the driver takes no reader; bind is refused until the
    interface is marked; payterm-claim marks and binds it."""
    intfs = ccid_interfaces()
    assert len(intfs) == 1, intfs
    intf = intfs[0]
    assert bound_driver(intf) is None, bound_driver(intf)
    assert not os.listdir('/sys/class/payterm'), os.listdir('/sys/class/payterm')
    assert get_param('mark') == ''
    assert not os.path.exists(DRIVER + 'new_id')    # ids do not mark
    expect_errno(errno.ENODEV, write_sysfs, DRIVER + 'bind', intf)
    assert bound_driver(intf) is None
    for bad in ('1-1', '../1-1:1.0', '1-' + '1.' * 30 + '1:1.0'):
        expect_errno(errno.EINVAL, write_sysfs, PARAMS + 'mark', bad)
    assert get_param('mark') == ''
    claim_ccid()
    assert bound_driver(intf) == 'payterm_ccid'
    assert get_param('mark') == intf
    find_ccid()
    # claiming again is harmless
    subprocess.run([CLAIM, 'usb', 'payterm_ccid', intf], check=True)
    # unmark: the reader stays bound, but a re-bind is refused
    set_param('unmark', intf)
    assert get_param('mark') == ''
    write_sysfs(DRIVER + 'unbind', intf)
    assert wait_until(lambda: not os.listdir('/sys/class/payterm'), 5)
    expect_errno(errno.ENODEV, write_sysfs, DRIVER + 'bind', intf)
    claim_ccid()
    find_ccid()
    # a mark outlives an unbind: the bind file takes it again
    write_sysfs(DRIVER + 'unbind', intf)
    assert bound_driver(intf) is None
    write_sysfs(DRIVER + 'bind', intf)
    assert bound_driver(intf) == 'payterm_ccid'
    find_ccid()


@T.case
def test_probe():
    path = find_ccid()
    r = Reader(path)
    info = r.info()
    expect_errno(errno.ESPIPE, os.lseek, r.fd, 0, os.SEEK_SET)
    r.close()
    assert info['caps'] == CAP_ICC, info
    assert info['bus'] == 0x03 and info['slots'] == 1, info
    assert info['vendor'] == 0x08e6 and info['product'] == 0x4433, info
    with open('/sys/class/payterm/%s/capabilities' % os.path.basename(path)) as f:
        assert f.read().strip() == 'icc'


@T.case
def test_power_on_atr():
    r, atr = claimed_powered()
    assert atr == bytes.fromhex(CARDS[CARD]['atr']), atr.hex()
    r.power_off()
    expect_errno(errno.EPROTO, r.transmit, select(emv_card.PPSE))
    atr2 = r.power_on()
    assert atr2 == atr
    r.close()


@T.case
def test_emv_sequence_paytermctl():
    """SELECT PPSE -> SELECT AID -> GPO -> READ RECORD -> GENERATE AC
    through paytermctl apdu; the ARQC verifies with the card's key."""
    card = CARDS[CARD]
    aid = bytes.fromhex(card['aids'][0]['aid'])
    cmds = [select(emv_card.PPSE), select(aid), gpo(PDOL_DATA),
            apdu('00B2010C00'), apdu('00B2020C00'), gen_ac(0x80, CDOL1_DATA)]
    p = subprocess.run([CTL, 'apdu', find_ccid()] + [c.hex() for c in cmds],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    resps = [bytes.fromhex(line[2:].replace(' ', ''))
             for line in p.stdout.splitlines() if line.startswith('< ')]
    assert len(resps) == len(cmds), p.stdout
    for c, r in zip(cmds, resps):
        assert sw(r) == '9000', (c.hex(), r.hex())
    ppse, fci, gpo_r, rec1, rec2, ac = resps
    # PPSE: both applications, by priority
    entries = []
    body = emv_card.parse_tlv(ppse[:-2])['BF0C']
    i = 0
    while i < len(body):
        assert body[i] == 0x61
        n = body[i + 1]
        e = emv_card.parse_tlv(body[i + 2:i + 2 + n])
        entries.append((e['87'][0], e['4F'].hex().upper()))
        i += 2 + n
    assert sorted(entries)[0][1] == card['aids'][0]['aid'], entries
    assert len(entries) == 2
    # FCI with PDOL
    t = emv_card.parse_tlv(fci[:-2])
    assert t['84'] == aid and t['9F38'] == emv_card.PDOL
    assert emv_card.dol_length(t['9F38']) == len(PDOL_DATA)
    # GPO format 2: AIP, AFL = SFI 1 records 1-2
    t = emv_card.parse_tlv(gpo_r[:-2])
    assert gpo_r[0] == 0x77 and t['94'] == bytes.fromhex('08010200'), t
    # records: track 2 equivalent, PAN, expiry, CDOL1
    t1, t2 = emv_card.parse_tlv(rec1[:-2]), emv_card.parse_tlv(rec2[:-2])
    assert t1['57'].hex().upper().startswith(card['pan'] + 'D' +
                                             card['expiry'][:4])
    assert t2['5A'].hex().upper().rstrip('F') == card['pan']
    assert t2['5F24'].hex() == card['expiry']
    assert t2['8C'] == bytes.fromhex(card['cdol1'])
    assert emv_card.dol_length(t2['8C']) == len(CDOL1_DATA)
    check_ac(card, ac, 2)


@T.case
def test_pse_second_aid_gpo_format1():
    card = CARDS[CARD]
    r, _ = claimed_powered()
    resp = r.transmit(select(emv_card.PSE))
    assert sw(resp) == '9000' and emv_card.parse_tlv(resp[:-2])['88'] == b'\x01'
    rec = r.transmit(apdu('00B2010C00'))
    assert sw(rec) == '9000' and rec[0] == 0x70, rec.hex()
    aid2 = bytes.fromhex(card['aids'][1]['aid'])
    assert sw(r.transmit(select(aid2))) == '9000'
    g = r.transmit(gpo(PDOL_DATA))
    assert g[0] == 0x80 and g[2:4] == bytes.fromhex(card['aip']), g.hex()
    assert g[4:-2] == bytes.fromhex('08010200')
    for rec_no in (1, 2):
        assert sw(r.transmit(apdu('00B2%02X0C00' % rec_no))) == '9000'
    atc = check_ac(card, r.transmit(gen_ac(0x80, CDOL1_DATA)), 1)
    atc2 = check_ac(card, r.transmit(gen_ac(0x40, CDOL1_DATA)), 1)
    assert atc2 == atc + 1
    # an unknown application and a bad GPO
    assert sw(r.transmit(select(bytes.fromhex('A0000000999999')))) == '6A82'
    r.close()


@T.case
def test_get_response_and_6c():
    r, _ = claimed_powered()
    # READ RECORD with Le=00: the card says 6Cxx, the driver re-issues
    assert sw(r.transmit(select(emv_card.PSE))) == '9000'
    rec = r.transmit(apdu('00B2010C00'))
    assert sw(rec) == '9000' and rec[1] + 4 == len(rec), rec.hex()
    # 1000 bytes through a chain of 61xx / GET RESPONSE (extended Le)
    big = r.transmit(apdu('80F403E8000000'), rsize=70000)
    assert len(big) == 1002 and sw(big) == '9000', len(big)
    assert big[:-2] == bytes((i * 7) & 0xff for i in range(1000))
    # short Le=256: the driver stops at Ne and returns 61xx
    part = r.transmit(apdu('80F403E800'))
    assert len(part) == 258 and sw(part) == '6100', (len(part), sw(part))
    # Le=0x10 of 0x64 bytes: 16 bytes + 61 54
    part = r.transmit(apdu('80F4006410'))
    assert len(part) == 18 and sw(part) == '6154', part.hex()
    r.close()


@T.case
def test_largest_response_and_beyond():
    r, _ = claimed_powered()
    # 372 data bytes + SW = 374: the largest DataBlock QEMU 7.2 carries
    resp = r.transmit(apdu('80F2017400'))
    assert len(resp) == 374 and sw(resp) == '9000', len(resp)
    # too big for the caller's buffer: EMSGSIZE, nothing lost
    expect_errno(errno.EMSGSIZE, r.transmit, apdu('80F2017400'), rsize=100)
    # one byte more: QEMU drops the reply; the caller gets a timeout
    expect_errno(errno.ETIMEDOUT, r.transmit, apdu('80F2017500'))
    # and the reader still works
    resp = r.transmit(apdu('80F2001000'))
    assert len(resp) == 18 and sw(resp) == '9000'
    r.close()


@T.case
def test_mute_card_then_stale_reply():
    r, _ = claimed_powered()
    hook(r, 'late 4000')
    t0 = time.monotonic()
    # ETIMEDOUT (not the answer) shows the driver's timer came first
    expect_errno(errno.ETIMEDOUT, r.transmit, select(emv_card.PPSE))
    time.sleep(max(0.0, 4.5 - (time.monotonic() - t0)))
    # the late PPSE answer has arrived by now: stale, dropped.  Another
    # command gets its own answer (the PSE's FCI names 1PAY.SYS.DDF01),
    # not the stale PPSE one
    resp = r.transmit(select(emv_card.PSE))
    assert sw(resp) == '9000' and resp[0] == 0x6F, resp.hex()
    assert emv_card.PSE in resp and emv_card.PPSE not in resp, resp.hex()
    r.close()


@T.case
def test_remove_reinsert_events():
    r, _ = claimed_powered()
    r.drain()
    hook(r, 'remove 200; insert 1200')
    evs = card_events(r, 2)
    assert [e.name for e in evs] == ['CARD_REMOVED', 'CARD_INSERTED'], evs
    assert all(e.flags == 0 and e.slot == 0 for e in evs), evs
    # the card was reset: not powered until powered again
    expect_errno(errno.EPROTO, r.transmit, select(emv_card.PPSE))
    atr = r.power_on()
    assert atr == bytes.fromhex(CARDS[CARD]['atr'])
    assert sw(r.transmit(select(emv_card.PPSE))) == '9000'
    # no card: power on fails
    hook(r, 'remove 100; insert 1500')
    assert [e.name for e in card_events(r, 1)] == ['CARD_REMOVED']
    expect_errno(errno.ENOMEDIUM, r.power_on)
    assert [e.name for e in card_events(r, 1)] == ['CARD_INSERTED']
    r.power_on()
    r.close()


@T.case
def test_removal_mid_exchange():
    r, _ = claimed_powered()
    r.drain()
    hook(r, 'vanish 300; insert 1500')
    # ENOMEDIUM, not ETIMEDOUT: the removal ended the wait
    expect_errno(errno.ENOMEDIUM, r.transmit, select(emv_card.PPSE))
    evs = card_events(r, 2)
    assert [e.name for e in evs] == ['CARD_REMOVED', 'CARD_INSERTED'], evs
    r.power_on()
    assert sw(r.transmit(select(emv_card.PPSE))) == '9000'
    r.close()


def reload_ccid(*params, between=None):
    subprocess.run(['rmmod', 'payterm_ccid'], check=True)
    if between:
        between()
    # marks go with the module: give them again at load
    subprocess.run(['insmod', KO, 'min_timeout_ms=1500',
                    'mark=' + ','.join(ccid_interfaces())] + list(params),
                   check=True)


PARAMS = '/sys/module/payterm_ccid/parameters/'


def set_param(name, value):
    with open(PARAMS + name, 'w') as f:
        f.write(str(value))


def get_param(name):
    with open(PARAMS + name) as f:
        return f.read().strip()


def kernel_log():
    return subprocess.run(['dmesg'], capture_output=True, text=True).stdout


@T.case
def test_card_present_at_probe():
    """The card is in the reader before the driver binds: the probe
    reports CARD_INSERTED to the files open by then.  An opener racing
    the probe gets it first if it was in time; a later one misses it
    (sequence numbers start after it) and powers the card on at once."""
    while OPEN:
        OPEN.pop().close()
    path = find_ccid()
    caught, stop = [], threading.Event()

    def opener():              # open the new node as soon as it exists
        while not stop.is_set():
            try:
                caught.append(Reader(path, nonblock=True))
                return
            except OSError:
                pass

    th = threading.Thread(target=opener, daemon=True)

    def start():
        assert wait_until(lambda: not os.path.exists(path), 5)
        th.start()
    try:
        reload_ccid(between=start)
        assert find_ccid() == path
        th.join(5)
    finally:
        stop.set()
    assert caught, 'the racing opener never opened ' + path
    early = caught[0]
    evs = [e for e in early.read_events(timeout=0.5)
           if e.name.startswith('CARD_')]
    if evs:
        assert evs[0].name == 'CARD_INSERTED' and evs[0].seq == 0, evs
        assert evs[0].slot == 0 and evs[0].flags == 0, evs
        assert len(evs) == 1, evs
    print('# racing opener %s the insertion event'
          % ('got' if evs else 'was too late for'))
    early.close()
    # a later opener: event 0 was the insertion, the claim is event 1
    r = Reader(path)
    OPEN.append(r)
    r.claim()
    evs = r.read_events(timeout=0.5)
    assert evs and evs[0].name == 'CLAIMED' and evs[0].seq == 1, \
        [(e.name, e.seq) for e in evs]
    atr = r.power_on()
    assert atr == bytes.fromhex(CARDS[CARD]['atr']), atr.hex()
    assert sw(r.transmit(select(emv_card.PPSE))) == '9000'
    r.close()
    OPEN.remove(r)


@T.case
def test_interrupt_endpoint_errors_recovered():
    """A stall (-EPIPE: halt cleared) or a transaction error (-EPROTO:
    resubmitted after a back-off) on the interrupt endpoint loses that
    notification, not the ones after it: the driver resubmits and asks
    GetSlotStatus what it missed."""
    r, _ = claimed_powered()
    for status in (-errno.EPIPE, -errno.EPROTO):
        r.drain()
        set_param('test_int_status', status)    # the next completion fails
        hook(r, 'remove 200; insert 1500')
        evs = card_events(r, 2)
        assert [e.name for e in evs] == ['CARD_REMOVED', 'CARD_INSERTED'], \
            (status, evs)
        assert get_param('test_int_status') == '0'
        r.power_on()
        assert sw(r.transmit(select(emv_card.PPSE))) == '9000'
    log = kernel_log()
    for status in (-errno.EPIPE, -errno.EPROTO):
        assert 'interrupt endpoint error %d, resubmitting' % status in log
    r.close()


@T.case
def test_interrupt_endpoint_given_up_polling():
    """Errors in a row (the first completion, then every resubmission):
    the driver gives up on the endpoint after 8 back-offs and polls
    GetSlotStatus every poll_ms; events go on."""
    r, _ = claimed_powered()
    r.drain()
    set_param('test_int_count', 9)
    set_param('test_int_status', -errno.EPROTO)
    hook(r, 'remove 200; insert 6000')
    evs = card_events(r, 1, timeout=6)      # ~2.6 s of back-off, then a poll
    assert [e.name for e in evs] == ['CARD_REMOVED'], evs
    assert 'too many in a row: polling slot status' in kernel_log()
    assert get_param('test_int_status') == '0'
    evs = card_events(r, 1, timeout=9)
    assert [e.name for e in evs] == ['CARD_INSERTED'], evs
    r.power_on()
    assert sw(r.transmit(select(emv_card.PPSE))) == '9000'
    hook(r, 'remove 100; insert 2600')
    evs = card_events(r, 2, timeout=8)
    assert [e.name for e in evs] == ['CARD_REMOVED', 'CARD_INSERTED'], evs
    r.power_on()
    # no polling either: the commands themselves find the changes
    set_param('poll_ms', 0)
    time.sleep(1.3)             # the last poll already queued runs out
    r.drain()
    hook(r, 'remove 100; insert 1800')
    assert card_events(r, 1, timeout=0.8) == []
    expect_errno(errno.ENOMEDIUM, r.transmit, select(emv_card.PPSE))
    assert [e.name for e in card_events(r, 1)] == ['CARD_REMOVED']
    time.sleep(1.5)             # the card is back, nobody told us
    assert card_events(r, 1, timeout=0.3) == []
    expect_errno(errno.ENOMEDIUM, r.power_on)     # it asks the reader...
    assert [e.name for e in card_events(r, 1)] == ['CARD_INSERTED']
    r.power_on()                                  # ...and the next works
    assert sw(r.transmit(select(emv_card.PPSE))) == '9000'
    r.close()
    reload_ccid()               # unbind while polling; a fresh endpoint
    # The slot changes made while nobody listened are still pending in
    # QEMU's reader: its first NotifySlotChange says "changed" (removal and
    # insertion, or just the insertion if it beats the probe's report).
    # Let it pass so that the next case starts quiet.
    r = Reader(find_ccid())
    evs = card_events(r, 2, timeout=5)
    assert [e.name for e in evs] in (['CARD_REMOVED', 'CARD_INSERTED'],
                                     ['CARD_INSERTED'], []), evs
    r.close()


@T.case
def test_contactless_by_atr_only():
    """Without the parameter, a PC/SC part 3 ATR still marks the card."""
    r, _ = claimed_powered()
    hook(r, 'remove 100; insert 700 %s' % CL_CARD)
    evs = card_events(r, 2)
    assert [e.name for e in evs] == ['CARD_REMOVED', 'CARD_INSERTED'], evs
    atr = r.power_on()
    assert atr == bytes.fromhex(CARDS[CL_CARD]['atr']), atr.hex()
    uid = r.transmit(apdu('FFCA000000'))
    assert uid == bytes.fromhex(CARDS[CL_CARD]['uid'] + '9000'), uid.hex()
    hook(r, 'remove 100; insert 700 %s' % CARD)
    evs = card_events(r, 2)
    assert [e.name for e in evs] == ['CARD_REMOVED', 'CARD_INSERTED'], evs
    assert evs[0].flags == EVF_CONTACTLESS and evs[1].flags == 0, evs
    r.close()


@T.case
def test_contactless_module_parameter():
    reload_ccid('picc_ids=08e6:4433')
    path = find_ccid()
    r = Reader(path)
    info = r.info()
    assert info['caps'] == CAP_PICC, info
    r.claim()
    r.power_on()
    r.drain()
    hook(r, 'remove 100; insert 800 %s' % CL_CARD)
    evs = card_events(r, 2)
    assert [e.name for e in evs] == ['CARD_REMOVED', 'CARD_TAPPED'], evs
    assert all(e.flags == EVF_CONTACTLESS for e in evs), evs
    atr = r.power_on()
    assert atr[:4] == bytes.fromhex('3B888001') or \
        (atr[0] == 0x3B and atr[1] & 0xF0 == 0x80 and atr[2:4] == b'\x80\x01'), \
        atr.hex()
    uid = r.transmit(apdu('FFCA000000'))
    assert uid == bytes.fromhex(CARDS[CL_CARD]['uid'] + '9000'), uid.hex()
    card = CARDS[CL_CARD]
    assert sw(r.transmit(select(emv_card.PSE))) == '6A82'   # PPSE only
    ppse = r.transmit(select(emv_card.PPSE))
    assert sw(ppse) == '9000'
    assert sw(r.transmit(select(bytes.fromhex(card['aids'][0]['aid'])))) == '9000'
    assert sw(r.transmit(gpo(PDOL_DATA))) == '9000'
    assert sw(r.transmit(apdu('00B2010C00'))) == '9000'
    check_ac(card, r.transmit(gen_ac(0x80, CDOL1_DATA)), 2)
    hook(r, 'remove 100; insert 800 %s' % CARD)
    evs = card_events(r, 2)
    assert [e.name for e in evs] == ['CARD_REMOVED', 'CARD_TAPPED'], evs
    r.close()
    reload_ccid()
    r = Reader(find_ccid())
    assert r.info()['caps'] == CAP_ICC
    r.close()


@T.case
def test_unplug_mid_exchange():
    """Last: QMP device_del of the reader while an APDU waits."""
    r, _ = claimed_powered()
    r2 = Reader(r.path, nonblock=True)
    hook(r, 'unplug 300')
    try:
        r.transmit(select(emv_card.PPSE))
        raise AssertionError('transmit survived the unplug')
    except OSError as e:
        # QEMU's device_del detaches the card first (NotifySlotChange),
        # then the USB device: either error is the clean answer.
        assert e.errno in (errno.ENODEV, errno.ENOMEDIUM), e
    assert wait_until(lambda: not os.path.exists(r.path), 5)
    expect_errno(errno.ENODEV, r.power_on)
    expect_errno(errno.ENODEV, r.transmit, select(emv_card.PPSE))
    evs = r2.read_events(timeout=1.0)
    assert any(e.name == 'CARD_REMOVED' for e in evs), evs
    expect_errno(errno.ENODEV, os.read, r2.fd, 24)
    r.close()
    r2.close()
    # the reader is gone, and so is its mark (once the USB device is
    # deleted, a moment after its interfaces)
    assert wait_until(lambda: get_param('mark') == '', 5), get_param('mark')
    # the driver can go away cleanly
    subprocess.run(['rmmod', 'payterm_ccid'], check=True)


if __name__ == '__main__':
    if len(sys.argv) > 1 and 'test_only_marked_interfaces_bound' not in sys.argv:
        claim_ccid()
    sys.exit(T.run(sys.argv))
