# SPDX-License-Identifier: GPL-2.0-or-later
"""An independent bank-side decoder for payterm's ISO 8583 profile.

Written from the standards (ANSI X9.24-1-2009 TDES DUKPT, ANSI X9.24-3-2017
AES DUKPT, ISO 9564-1 PIN blocks, NIST SP 800-38B CMAC, ISO/IEC 9797-1 MAC
algorithm 3, EMV 4.3 Book 2 / Book 3 BER-TLV and the ARQC) and from
docs/protocol.md ("ISO 8583 profile"), not from payterm's C code: it shares
no code with libpaytermcrypto, server/iso8583 or server/bank, so agreement
with them is evidence that the message layout is what the documents say.

Python 3 standard library and the `cryptography` package only.

Modules: prim (block ciphers, CMAC, retail MAC, padding), dukpt (AES and
TDES DUKPT host side), pinblock (ISO 9564 formats 0, 1, 3, 4), tlv
(BER-TLV), iso8583 (frame parser of the profile, MAC data), bank (decode a
0200 / 0210 pair: keys from the BDK, PIN, card data, MACs, field 55, ARQC).
"""
