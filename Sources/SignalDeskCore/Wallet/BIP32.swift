import Crypto

/// BIP-32 hierarchical deterministic private keys on secp256k1 (the curve work is libsecp256k1's).
public struct BIP32Key: Sendable {
    public let privateKey: [UInt8]
    public let chainCode: [UInt8]

    /// The master key of `seed`: HMAC-SHA512(key "Bitcoin seed", seed); nil in the (2^-127) case
    /// where the left half is not a valid key.
    public init?(seed: [UInt8]) {
        let mac = Array(
            HMAC<SHA512>.authenticationCode(for: seed, using: SymmetricKey(data: Array("Bitcoin seed".utf8))))
        guard Secp256k1.isValidPrivateKey(Array(mac[0..<32])) else { return nil }
        self.privateKey = Array(mac[0..<32])
        self.chainCode = Array(mac[32..<64])
    }

    private init(privateKey: [UInt8], chainCode: [UInt8]) {
        self.privateKey = privateKey
        self.chainCode = chainCode
    }

    /// The child at `index` (hardened when index ≥ 2^31); nil when BIP-32 calls that child invalid.
    public func child(_ index: UInt32) -> BIP32Key? {
        var data: [UInt8]
        if index >= 0x8000_0000 {
            data = [0] + privateKey
        } else {
            guard let publicKey = Secp256k1.publicKey(privateKey: privateKey, compressed: true) else { return nil }
            data = publicKey
        }
        data += [UInt8(index >> 24), UInt8(index >> 16 & 0xFF), UInt8(index >> 8 & 0xFF), UInt8(index & 0xFF)]
        let mac = Array(HMAC<SHA512>.authenticationCode(for: data, using: SymmetricKey(data: chainCode)))
        guard let key = Secp256k1.privateKeyTweakAdd(privateKey, tweak: Array(mac[0..<32])) else { return nil }
        return BIP32Key(privateKey: key, chainCode: Array(mac[32..<64]))
    }

    /// The key at `path` (`m/44'/118'/0'/0/0`; `'` or `h` marks a hardened index); nil for a
    /// malformed path or an invalid child on the way.
    public func derive(path: String) -> BIP32Key? {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.first == "m" else { return nil }
        parts.removeFirst()
        var key = self
        for part in parts {
            var text = part
            var hardened = false
            if let last = text.last, last == "'" || last == "h" {
                hardened = true
                text = text.dropLast()
            }
            guard let number = UInt32(text), number < 0x8000_0000,
                let next = key.child(hardened ? number | 0x8000_0000 : number)
            else { return nil }
            key = next
        }
        return key
    }
}
