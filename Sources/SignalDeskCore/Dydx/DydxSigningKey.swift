import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The secp256k1 key of a dYdX account (`m/44'/118'/0'/0/0` of a BIP-39 mnemonic), held only
/// for the call that signs with it: the secret bytes this type holds are overwritten with zeros
/// by ``wipe()`` and when it is released. (Best effort: the mnemonic text and the derivation's
/// intermediate values are ordinary Swift values, released but not overwritten.)
public final class DydxSigningKey: @unchecked Sendable {
    private var secret: [UInt8]
    private let lock = NSLock()
    /// The 33-byte compressed public key.
    public let publicKey: [UInt8]
    /// The `dydx1…` address.
    public let address: String

    /// The key of `mnemonic`; nil only in the negligible case of an invalid BIP-32 child.
    public init?(mnemonic: BIP39.Mnemonic) {
        guard let account = DydxAccount(mnemonic: mnemonic) else { return nil }
        // Shares the account's buffer; once the account is released this is its only owner, so
        // `wipe()` zeroes that buffer in place.
        secret = account.privateKey
        publicKey = account.publicKey
        address = account.address
    }

    /// A low-S compact signature of `digest`; nil once wiped.
    public func sign(digest: [UInt8]) -> [UInt8]? {
        lock.lock()
        defer { lock.unlock() }
        guard !secret.isEmpty else { return nil }
        return Secp256k1.sign(digest: digest, privateKey: secret)
    }

    /// Overwrites the secret with zeros; the key signs nothing afterwards.
    public func wipe() {
        lock.lock()
        defer { lock.unlock() }
        Self.zero(&secret)
        secret = []
    }

    public var isWiped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return secret.isEmpty
    }

    deinit { Self.zero(&secret) }

    private static func zero(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            // Calls the compiler may not remove as dead stores.
            #if canImport(Glibc)
                explicit_bzero(base, buffer.count)
            #else
                _ = memset_s(base, buffer.count, 0, buffer.count)
            #endif
        }
    }
}
