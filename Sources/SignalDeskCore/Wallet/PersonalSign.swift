/// EIP-191 `personal_sign`: the signed hash of a text message and the recovery of its signer.
public enum PersonalSign {
    /// Why a signature text was refused.
    public enum SignatureError: Error, Equatable, Sendable {
        /// Not hex (with or without `0x`), or not 65 bytes.
        case malformed
        /// v is not 0, 1, 27 or 28.
        case badRecoveryID
        /// S is in the upper half of the order: a malleable copy of another signature.
        case highS
        /// No public key recovers from it.
        case unrecoverable
    }

    /// Keccak-256(`"\u{19}Ethereum Signed Message:\n" + byte length in decimal + message`).
    public static func messageHash(_ message: String) -> [UInt8] {
        let body = Array(message.utf8)
        let prefix = Array("\u{19}Ethereum Signed Message:\n\(body.count)".utf8)
        return WalletDigest.keccak256(prefix + body)
    }

    /// Parses a 65-byte r‖s‖v signature in hex (`0x` optional, either case; v 27/28 or 0/1).
    public static func parseSignature(_ text: String) throws(SignatureError) -> Secp256k1.RecoverableSignature {
        var hex = Substring(text)
        if hex.hasPrefix("0x") || hex.hasPrefix("0X") { hex = hex.dropFirst(2) }
        guard hex.utf8.count == 130, let bytes = Hex.decode(String(hex)) else { throw .malformed }
        let v = bytes[64]
        let recoveryID: Int32
        switch v {
        case 0, 1: recoveryID = Int32(v)
        case 27, 28: recoveryID = Int32(v - 27)
        default: throw .badRecoveryID
        }
        let compact = Array(bytes[0..<64])
        guard !Secp256k1.isHighSOrInvalid(compact: compact) else { throw .highS }
        guard let signature = Secp256k1.RecoverableSignature(compact: compact, recoveryID: recoveryID) else {
            throw .malformed
        }
        return signature
    }

    /// The address that signed `message` with `signature` (hex text).
    public static func recoverAddress(message: String, signature: String) throws(SignatureError) -> EthereumAddress {
        let parsed = try parseSignature(signature)
        guard let publicKey = Secp256k1.recoverPublicKey(signature: parsed, digest: messageHash(message)),
            let address = EthereumAddress(publicKey: publicKey)
        else { throw .unrecoverable }
        return address
    }

    /// The 65-byte signature (hex, `0x`, v 27/28) of `message` by `privateKey`, as wallets produce
    /// it. For tests and scripts; the server never holds a user's wallet key.
    public static func sign(message: String, privateKey: [UInt8]) -> String? {
        guard let signature = Secp256k1.signRecoverable(digest: messageHash(message), privateKey: privateKey) else {
            return nil
        }
        return "0x" + Hex.encode(signature.compact + [UInt8(27 + signature.recoveryID)])
    }
}
