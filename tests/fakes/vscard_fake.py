#!/usr/bin/python3
"""VSCARD peer for QEMU's ccid-card-passthru: a virtual reader holding an
EMV test card (tests/fakes/emv_card.py).  Runs on the host; QEMU connects to
it (`-chardev socket,id=X,path=SOCK` with this program listening on SOCK).

    vscard_fake.py --listen SOCK [--card ID] [--no-card] [--cards FILE]
                   [--qmp QMP_SOCK] [--ccid-id ID] [--log FILE]

VSCARD (QEMU's vscard_common.h): every message is a 12-byte header of
big-endian u32 type, reader id and payload length.  We send Init (magic
"VSCD", version 2), ReaderAdd, then ATR to insert the card; QEMU forwards
the guest's XfrBlock payloads as APDU messages and we answer with APDU.

Test hooks: the guest drives this fake through the card itself with the
proprietary case-3 command 80 F0 00 00 Lc <ASCII words>, answered 9000:
    remove MS              remove the card MS ms from now
    insert MS [CARD]       insert (the same or another) card MS ms from now
    late MS                answer the next command only after MS ms
    vanish MS              don't answer the next command; remove the card
                           MS ms after it arrived
    unplug MS              don't answer the next command; MS ms after it
                           arrived, unplug the reader (QMP device_del)
    reply HEX              answer the next command with these bytes
Several hooks may be separated by ';'.  Commands 80 F2 / 80 F4 (see
emv_card.py) produce responses of a given size.
"""
import argparse
import json
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emv_card  # noqa: E402

VSC_INIT, VSC_ERROR, VSC_READER_ADD, VSC_READER_REMOVE, VSC_ATR, \
    VSC_CARD_REMOVE, VSC_APDU, VSC_FLUSH, VSC_FLUSH_COMPLETE = range(1, 10)
HDR = struct.Struct('>III')
MAGIC = b'VSCD'
VERSION = 2
READER = 0
UNDEFINED_READER = 0xffffffff


class Fake:
    def __init__(self, conn, cards, card_id, args):
        self.conn = conn
        self.cards = cards
        self.card = emv_card.EmvCard(cards[card_id]) if card_id else None
        self.args = args
        self.lock = threading.Lock()
        self.next_action = None     # ('late', ms) / ('vanish', ms) / ...
        self.logf = open(args.log, 'a') if args.log else None

    def log(self, *a):
        if self.logf:
            print('%.3f' % time.monotonic(), *a, file=self.logf, flush=True)

    def send(self, typ, payload=b'', reader=READER):
        with self.lock:
            self.conn.sendall(HDR.pack(typ, reader, len(payload)) + payload)

    def insert(self, card_id=None):
        if card_id:
            self.card = emv_card.EmvCard(self.cards[card_id])
        elif self.card is None:
            self.card = emv_card.EmvCard(next(iter(self.cards.values())))
        self.card.pending = b''
        self.log('insert', self.card.card['id'], self.card.atr.hex())
        self.send(VSC_ATR, self.card.atr)

    def remove(self):
        self.log('remove')
        self.send(VSC_CARD_REMOVE)

    def later(self, ms, fn, *a):
        t = threading.Timer(ms / 1000.0, fn, a)
        t.daemon = True
        t.start()

    def unplug(self):
        path = self.args.qmp
        self.log('unplug', path)
        if not path:
            return
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            f = s.makefile('rw')
            f.readline()                    # greeting
            for cmd in ({'execute': 'qmp_capabilities'},
                        {'execute': 'device_del',
                         'arguments': {'id': self.args.ccid_id}}):
                f.write(json.dumps(cmd) + '\n')
                f.flush()
                self.log('qmp', f.readline().strip())
            s.close()
        except OSError as e:
            self.log('qmp error', e)

    def hook(self, text):
        for part in text.split(';'):
            w = part.split()
            if not w:
                continue
            cmd, arg = w[0], w[1:]
            if cmd == 'remove':
                self.later(int(arg[0]), self.remove)
            elif cmd == 'insert':
                self.later(int(arg[0]), self.insert,
                           arg[1] if len(arg) > 1 else None)
            elif cmd in ('late', 'vanish', 'unplug'):
                self.next_action = (cmd, int(arg[0]))
            elif cmd == 'reply':
                self.next_action = ('reply', bytes.fromhex(arg[0]))
            else:
                return False
        return True

    def apdu(self, tpdu):
        self.log('>', tpdu.hex())
        if tpdu[:4] == b'\x80\xf0\x00\x00' and len(tpdu) > 5:
            ok = self.hook(tpdu[5:].decode('ascii', 'replace'))
            self.answer(b'\x90\x00' if ok else b'\x6a\x80')
            return
        action, self.next_action = self.next_action, None
        if action and action[0] == 'reply':
            self.answer(action[1])
            return
        if self.card is None:
            self.answer(b'\x6f\x00')
            return
        resp = self.card.process(tpdu)
        if action is None:
            self.answer(resp)
        elif action[0] == 'late':
            self.later(action[1], self.answer, resp)
        elif action[0] == 'vanish':
            self.later(action[1], self.remove)
        elif action[0] == 'unplug':
            self.later(action[1], self.unplug)

    def answer(self, resp):
        self.log('<', resp.hex())
        try:
            self.send(VSC_APDU, resp)
        except OSError:
            pass

    def run(self):
        self.send(VSC_INIT, MAGIC + struct.pack('>II', VERSION, 0),
                  UNDEFINED_READER)
        self.send(VSC_READER_ADD, b'payterm fake reader', UNDEFINED_READER)
        if self.card:
            self.insert()
        buf = b''
        while True:
            try:
                data = self.conn.recv(65536)
            except OSError:
                data = b''
            if not data:
                self.log('eof')
                return
            buf += data
            while len(buf) >= HDR.size:
                typ, reader, length = HDR.unpack_from(buf)
                if len(buf) < HDR.size + length:
                    break
                payload = buf[HDR.size:HDR.size + length]
                buf = buf[HDR.size + length:]
                if typ == VSC_APDU:
                    self.apdu(payload)
                elif typ == VSC_INIT:
                    self.log('init from qemu', payload.hex())
                elif typ == VSC_ERROR:
                    self.log('status', reader,
                             struct.unpack('>I', payload[:4])[0]
                             if len(payload) >= 4 else payload.hex())
                else:
                    self.log('message', typ, payload.hex())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--listen', required=True)
    ap.add_argument('--card', default=None)
    ap.add_argument('--no-card', action='store_true')
    ap.add_argument('--cards', default=None)
    ap.add_argument('--qmp', default=None)
    ap.add_argument('--ccid-id', default='ptc-ccid')
    ap.add_argument('--log', default=None)
    ap.add_argument('--once', action='store_true',
                    help='serve one QEMU connection, then exit')
    args = ap.parse_args()

    cards, path = emv_card.load_cards(args.cards)
    card_id = None if args.no_card else (args.card or next(iter(cards)))
    if card_id and card_id not in cards:
        ap.error('no card %s in %s' % (card_id, path))
    if os.path.exists(args.listen):
        os.unlink(args.listen)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(args.listen)
    srv.listen(1)
    print('vscard_fake: listening on %s, cards from %s' % (args.listen, path),
          flush=True)
    while True:
        conn, _ = srv.accept()
        Fake(conn, cards, card_id, args).run()
        conn.close()
        if args.once:
            break


if __name__ == '__main__':
    main()
