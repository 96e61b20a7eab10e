#!/usr/bin/env python3
"""Prints the edge-case wallet vectors of Tests/SignalDeskCoreTests/WalletVectorTests.swift.

Generated with eth-account 0.14.0, coincurve 21.0.0 and bip-utils 2.12.3 from PyPI
(`pip install eth-account coincurve bip-utils`), independent of the Swift code under test.
"""
from eth_account import Account
from eth_account.messages import encode_defunct
from bip_utils import Bip39SeedGenerator, Bip32Slip10Secp256k1, Bech32Encoder, Bip39MnemonicGenerator, Bip39WordsNum
from Crypto.Hash import RIPEMD160, keccak
import hashlib
from coincurve import PublicKey

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
OTHER = "0x" + "11" * 32
MESSAGE = ("Sign this message to authenticate with SignalDesk.\n\n"
           "Wallet: 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23\nNonce: edge-1\nIssued At: 2026-12-03T15:00:00Z")

sig = Account.sign_message(encode_defunct(text=MESSAGE), KEY).signature
r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
print("message", repr(MESSAGE))
print("sig v27/28", sig.hex())
print("sig v0/1  ", (sig[:64] + bytes([v - 27])).hex())
high = r + (N - s).to_bytes(32, "big") + bytes([((v - 27) ^ 1) + 27])
# The twin is a valid signature by the same key (coincurve recovers it), which is why it must be refused.
digest = keccak.new(digest_bits=256, data=b"\x19Ethereum Signed Message:\n%d" % len(MESSAGE.encode()) + MESSAGE.encode()).digest()
twin_key = PublicKey.from_signature_and_message(high[:64] + bytes([high[64] - 27]), digest, hasher=None)
twin_address = keccak.new(digest_bits=256, data=twin_key.format(compressed=False)[1:]).digest()[-20:].hex()
print("high-S twin", high.hex(), "recovers 0x" + twin_address)
other = Account.from_key(OTHER)
print("other key", other.address, Account.sign_message(encode_defunct(text=MESSAGE), OTHER).signature.hex())
print("keccak256('')", keccak.new(digest_bits=256, data=b"").hexdigest())
print("ripemd160('abc')", RIPEMD160.new(b"abc").hexdigest())
print("lower-case address of KEY", Account.from_key(KEY).address.lower())

for words in ["legal winner thank year wave sausage worth useful legal winner thank yellow",
              "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo vote"]:
    seed = Bip39SeedGenerator(words).Generate()
    node = Bip32Slip10Secp256k1.FromSeed(seed).DerivePath("m/44'/118'/0'/0/0")
    pub = node.PublicKey().RawCompressed().ToBytes()
    print(words.split()[0], len(words.split()), Bech32Encoder.Encode("dydx", RIPEMD160.new(hashlib.sha256(pub).digest()).digest()))
