#!/usr/bin/env python3
"""Prints the dYdX v4 vectors of Tests/SignalDeskCoreTests/DydxOrderTests.swift (issue 23).

Independent of the Swift code under test: the protobuf wire format is written out by hand below
from the field numbers in REFERENCE.md ("Wire format"), sizes and prices use Python's Decimal
with the official clients' formulas, and the signature is coincurve's (`pip install coincurve`,
21.0.0), RFC 6979, over SHA-256 of the SignDoc.
"""
import base64
import hashlib
from decimal import Decimal, ROUND_DOWN

from coincurve import PrivateKey

KEY = bytes.fromhex("c4a48e2fce1481cd3294b4490f6678090ea98d3d0e5cd984558ab0968741b104")  # abandon x11 about
ADDRESS = "dydx19rl4cm2hmr8afy4kldpxz3fka4jguq0a4erelz"


def varint(n):
    out = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def key(field, wire):
    return varint(field << 3 | wire)


def uint(field, n):  # varint fields; proto3 omits zero
    return key(field, 0) + varint(n) if n else b""


def fixed32(field, n):
    return key(field, 5) + n.to_bytes(4, "little") if n else b""


def data(field, b):
    return key(field, 2) + varint(len(b)) + b if b else b""


def text(field, s):
    return data(field, s.encode())


def steps(value, exponent, step):
    units = (Decimal(value) * Decimal(10) ** exponent / step).to_integral_value(rounding=ROUND_DOWN)
    return max(int(units), 1) * step


# BTC-USD as the testnet indexer describes it.
ATOMIC, QCE, STEP, TICK, ORACLE = -10, -9, 1_000_000, 100_000, "60000"


def quantums(size):
    return steps(size, -ATOMIC, STEP)


def subticks(price):
    return steps(price, ATOMIC - QCE + 6, TICK)


print("quantums", [quantums(s) for s in ["0.01", "0.3", "0.0000001", "1.23456789"]])
print("subticks", [subticks(p) for p in ["60000", "60600", "0.01", "12345.678"]])
client_id = int.from_bytes(hashlib.sha256(b"sd0123456789abcdef0123456789abcdef").digest()[:4], "big")
client_tp = int.from_bytes(hashlib.sha256(b"sd0123456789abcdef0123456789abcdef:tp").digest()[:4], "big")
print("client ids", client_id, client_tp)

# A BUY of 0.01 at most 1% above the oracle, short-term IOC, good til block 1000 + 10.
subaccount = text(1, ADDRESS)  # number 0 omitted
order_id = data(1, subaccount) + fixed32(2, 0x01020304) + uint(3, 0) + uint(4, 0)
order = (data(1, order_id) + uint(2, 1) + uint(3, quantums("0.01")) + uint(4, subticks("60600"))
         + uint(5, 1010) + uint(7, 1))
place = data(1, order)
print("place", place.hex())

any_msg = text(1, "/dydxprotocol.clob.MsgPlaceOrder") + data(2, place)
body = data(1, any_msg)
pub = PrivateKey(KEY).public_key.format(compressed=True)
any_key = text(1, "/cosmos.crypto.secp256k1.PubKey") + data(2, data(1, pub))
mode = data(1, uint(1, 1))
signer = data(1, any_key) + data(2, mode) + uint(3, 3)
fee = uint(2, 1_000_000)
auth = data(1, signer) + data(2, fee)
doc = data(1, body) + data(2, auth) + text(3, "dydx-testnet-4") + uint(4, 7)
print("signdoc", doc.hex())
signature = PrivateKey(KEY).sign_recoverable(doc, hasher=lambda m: hashlib.sha256(m).digest())[:64]
print("signature", signature.hex())
raw = data(1, body) + data(2, auth) + data(3, signature)
print("txraw_base64", base64.b64encode(raw).decode())
