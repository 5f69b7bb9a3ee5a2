# SPDX-License-Identifier: GPL-2.0-or-later
"""An EMV test card (tests/fakes/emv_card.py, the chip cards of
tests/data/cards.json) as the APDU responder of a virtual reader
(payterm_uapi.Virt): T=0 answers passed through as a TPDU-level reader
would, or at APDU level.  Used by test_paytermd_emv.py and payment_env.py."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'fakes'))
import emv_card  # noqa: E402
from payterm_uapi import CARD_REMOVE  # noqa: E402

CARDS, _ = emv_card.load_cards()


class Card:
    """One presentation of an emulated card.  mode 'tpdu': T=0 answers
    passed through (paytermd follows 61xx / 6Cxx); 'apdu': answers at APDU
    level.  remove_at / mute_at: the card leaves (or goes mute) at that
    command instead of answering it."""

    def __init__(self, cid, mode, reader=None, remove_at=0, mute_at=0,
                 select_sw=None, aids=None):
        c = dict(CARDS[cid])
        if aids:
            c['aids'] = aids
        self.emu = emv_card.EmvCard(c)
        self.select_sw = select_sw
        self.mode = mode
        self.reader = reader
        self.remove_at = remove_at
        self.mute_at = mute_at
        self.n = 0
        self.procedure = 0          # 61xx / 6Cxx answers given
        self.cmds = []

    @staticmethod
    def tpdu(capdu):
        """APDU -> T=0 TPDU as a CCID TPDU reader sends it (case 4: Le
        dropped)."""
        if len(capdu) > 5 and len(capdu) == 6 + capdu[4]:
            return capdu[:-1]
        return capdu

    def __call__(self, capdu):
        self.n += 1
        self.cmds.append(capdu[:4].hex().upper())
        if self.remove_at and self.n >= self.remove_at:
            self.reader.card(CARD_REMOVE)
            return None
        if self.mute_at and self.n >= self.mute_at:
            return None
        if self.select_sw and capdu[1] == 0xa4:
            return 0, self.select_sw
        r = self.emu.process(self.tpdu(capdu))
        if self.mode == 'tpdu':
            if r[-2] in (0x61, 0x6c):
                self.procedure += 1
            return 0, r
        # APDU level: the reader does the T=0 procedure itself
        data = b''
        cmd = self.tpdu(capdu)
        for _ in range(64):
            if r[-2] == 0x6c:
                cmd = cmd[:4] + bytes([r[-1]])
                r = self.emu.process(cmd)
                continue
            data += r[:-2]
            if r[-2] == 0x61:
                r = self.emu.process(b'\x00\xc0\x00\x00' + bytes([r[-1]]))
                continue
            break
        return 0, data + r[-2:]
