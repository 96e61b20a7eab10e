import CSecp256k1

/// The secp256k1 operations wallets need, computed by bitcoin-core's libsecp256k1 (Debian's
/// `libsecp256k1-dev`, with its recovery module). Keys and signatures are plain bytes.
public enum Secp256k1 {
    /// One context for the process: libsecp256k1 contexts are immutable after creation, and
    /// every function used here is safe to call from several threads at once with one context.
    nonisolated(unsafe) private static let context: OpaquePointer = {
        guard let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            fatalError("secp256k1_context_create failed")
        }
        return context
    }()

    /// A 65-byte recoverable signature split into its compact 64 bytes (r‖s) and recovery id (0...3).
    public struct RecoverableSignature: Sendable, Equatable {
        public let compact: [UInt8]
        public let recoveryID: Int32

        public init?(compact: [UInt8], recoveryID: Int32) {
            guard compact.count == 64, (0...3).contains(recoveryID) else { return nil }
            self.compact = compact
            self.recoveryID = recoveryID
        }
    }

    /// True when the compact signature's S is in the upper half of the group order (a malleable
    /// twin of the low-S signature) or r‖s is not a valid signature encoding at all.
    public static func isHighSOrInvalid(compact: [UInt8]) -> Bool {
        guard compact.count == 64 else { return true }
        var signature = secp256k1_ecdsa_signature()
        guard secp256k1_ecdsa_signature_parse_compact(context, &signature, compact) == 1 else { return true }
        var normalized = secp256k1_ecdsa_signature()
        // Returns 1 when the input was not already normalised (that is, S was high).
        return secp256k1_ecdsa_signature_normalize(context, &normalized, &signature) == 1
    }

    /// The 65-byte uncompressed public key (0x04‖X‖Y) that made `signature` over the 32-byte
    /// `digest`, or nil when no key does. Refuses high-S signatures.
    public static func recoverPublicKey(signature: RecoverableSignature, digest: [UInt8]) -> [UInt8]? {
        guard digest.count == 32, !isHighSOrInvalid(compact: signature.compact) else { return nil }
        var parsed = secp256k1_ecdsa_recoverable_signature()
        guard
            secp256k1_ecdsa_recoverable_signature_parse_compact(
                context, &parsed, signature.compact, signature.recoveryID) == 1
        else { return nil }
        var publicKey = secp256k1_pubkey()
        guard secp256k1_ecdsa_recover(context, &publicKey, &parsed, digest) == 1 else { return nil }
        return serialize(publicKey, compressed: false)
    }

    /// A low-S recoverable signature of the 32-byte `digest` with `privateKey` (RFC 6979 nonces),
    /// or nil for an invalid key. Used by tests and by dYdX order signing.
    public static func signRecoverable(digest: [UInt8], privateKey: [UInt8]) -> RecoverableSignature? {
        guard digest.count == 32, isValidPrivateKey(privateKey) else { return nil }
        var signature = secp256k1_ecdsa_recoverable_signature()
        guard secp256k1_ecdsa_sign_recoverable(context, &signature, digest, privateKey, nil, nil) == 1 else {
            return nil
        }
        var compact = [UInt8](repeating: 0, count: 64)
        var recoveryID: Int32 = 0
        secp256k1_ecdsa_recoverable_signature_serialize_compact(context, &compact, &recoveryID, &signature)
        return RecoverableSignature(compact: compact, recoveryID: recoveryID)
    }

    /// A low-S 64-byte compact signature (r‖s) of the 32-byte `digest` with `privateKey` (RFC 6979
    /// nonces; libsecp256k1 always produces low S), or nil for an invalid key. Cosmos SDK
    /// transactions carry this form (dYdX orders, issue 23).
    public static func sign(digest: [UInt8], privateKey: [UInt8]) -> [UInt8]? {
        guard digest.count == 32, isValidPrivateKey(privateKey) else { return nil }
        var signature = secp256k1_ecdsa_signature()
        guard secp256k1_ecdsa_sign(context, &signature, digest, privateKey, nil, nil) == 1 else { return nil }
        var compact = [UInt8](repeating: 0, count: 64)
        secp256k1_ecdsa_signature_serialize_compact(context, &compact, &signature)
        return compact
    }

    /// True when the 64-byte compact `signature` is a low-S signature of the 32-byte `digest` by
    /// `publicKey` (33 or 65 bytes). High-S signatures are refused, as the Cosmos SDK does.
    public static func verify(signature: [UInt8], digest: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == 64, digest.count == 32, publicKey.count == 33 || publicKey.count == 65 else {
            return false
        }
        var parsedKey = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_parse(context, &parsedKey, publicKey, publicKey.count) == 1 else { return false }
        var parsed = secp256k1_ecdsa_signature()
        guard secp256k1_ecdsa_signature_parse_compact(context, &parsed, signature) == 1 else { return false }
        // secp256k1_ecdsa_verify refuses a high-S signature by itself.
        return secp256k1_ecdsa_verify(context, &parsed, digest, &parsedKey) == 1
    }

    /// True when `privateKey` is 32 bytes in 1..<n.
    public static func isValidPrivateKey(_ privateKey: [UInt8]) -> Bool {
        privateKey.count == 32 && secp256k1_ec_seckey_verify(context, privateKey) == 1
    }

    /// The public key of `privateKey`: 33 bytes compressed or 65 uncompressed; nil for an invalid key.
    public static func publicKey(privateKey: [UInt8], compressed: Bool) -> [UInt8]? {
        guard isValidPrivateKey(privateKey) else { return nil }
        var publicKey = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_create(context, &publicKey, privateKey) == 1 else { return nil }
        return serialize(publicKey, compressed: compressed)
    }

    /// `(privateKey + tweak) mod n` (BIP-32 child keys); nil when the tweak is not below n or the
    /// sum is zero, which BIP-32 says makes that child invalid.
    public static func privateKeyTweakAdd(_ privateKey: [UInt8], tweak: [UInt8]) -> [UInt8]? {
        guard isValidPrivateKey(privateKey), tweak.count == 32 else { return nil }
        var key = privateKey
        guard secp256k1_ec_seckey_tweak_add(context, &key, tweak) == 1 else { return nil }
        return key
    }

    private static func serialize(_ publicKey: secp256k1_pubkey, compressed: Bool) -> [UInt8] {
        var publicKey = publicKey
        var length = compressed ? 33 : 65
        var output = [UInt8](repeating: 0, count: length)
        let flags = UInt32(compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED)
        secp256k1_ec_pubkey_serialize(context, &output, &length, &publicKey, flags)
        return Array(output.prefix(length))
    }
}
