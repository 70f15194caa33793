#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""An independent ESP implementation for the ESP unit tests: python3-cryptography (OpenSSL), not
DPDK or intel-ipsec-mb. It builds and opens tunnel-mode ESP payloads (RFC 4303, next header 4):

  esp_vector.py seal gcm KEY SPI SEQ INNER      -> ESP (SPI, sequence, IV, ciphertext, ICV)
  esp_vector.py open gcm KEY SPI SEQ ESP        -> the inner packet (pad and next header checked)
  esp_vector.py seal cbc KEY:AUTHKEY SPI SEQ INNER
  esp_vector.py open cbc KEY:AUTHKEY SPI SEQ ESP

KEY is hex (for GCM the 4-byte salt at its end, RFC 4106); packets are hex; SPI and SEQ decimal.
ALG gcm-esn is GCM with extended sequence numbers (RFC 4106 5: the AAD is SPI, high and low
halves of the 64-bit sequence number; SEQ may exceed 2^32, the packet carries its low half).
Exits 1 when authentication or the trailer check fails."""
import hashlib
import hmac
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def trailer(inner, block):
    pad = (-(len(inner) + 2)) % block
    return inner + bytes(range(1, pad + 1)) + bytes([pad, 4])


def untrailer(plain):
    pad, nh = plain[-2], plain[-1]
    if nh != 4 or plain[-2 - pad:-2] != bytes(range(1, pad + 1)):
        sys.exit("bad ESP trailer")
    return plain[:-2 - pad]


def main():
    op, alg, key, spi, seq, data = sys.argv[1:7]
    spi, seq, data = int(spi), int(seq), bytes.fromhex(data)
    head = struct.pack("!II", spi, seq & 0xffffffff)
    aad = head
    if alg == "gcm-esn":
        aad = struct.pack("!III", spi, seq >> 32, seq & 0xffffffff)
        alg = "gcm"
    if alg == "gcm":
        key = bytes.fromhex(key)
        aead, salt = AESGCM(key[:-4]), key[-4:]
        if op == "seal":
            iv = struct.pack("!Q", 0x1122334400000000 | (seq & 0xffffffff))
            ct = aead.encrypt(salt + iv, trailer(data, 4), aad)
            out = head + iv + ct
        else:
            iv, ct = data[8:16], data[16:]
            try:
                out = untrailer(aead.decrypt(salt + iv, ct, aad))
            except Exception:
                sys.exit("authentication failed")
    else:
        ekey, akey = (bytes.fromhex(k) for k in key.split(":"))
        if op == "seal":
            iv = bytes(range(16))
            enc = Cipher(algorithms.AES(ekey), modes.CBC(iv)).encryptor()
            body = head + iv + enc.update(trailer(data, 16)) + enc.finalize()
            out = body + hmac.new(akey, body, hashlib.sha256).digest()[:16]
        else:
            body, icv = data[:-16], data[-16:]
            if not hmac.compare_digest(hmac.new(akey, body, hashlib.sha256).digest()[:16], icv):
                sys.exit("authentication failed")
            dec = Cipher(algorithms.AES(ekey), modes.CBC(body[8:24])).decryptor()
            out = untrailer(dec.update(body[24:]) + dec.finalize())
    print(out.hex())


main()
