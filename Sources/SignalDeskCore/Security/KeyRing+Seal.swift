import Crypto
import Foundation

extension KeyRing {
    /// Version tag at the start of every sealed value.
    public static let formatVersion = "v1"

    /// Seals `plaintext` under the active key with a fresh random 96-bit nonce.
    ///
    /// The result is `v1.<key id>.<base64url(nonce | ciphertext | tag)>`; the version and key id
    /// are authenticated together with `context`.
    public func seal(_ plaintext: some DataProtocol, context: SealContext) throws -> String {
        let key = activeKey
        let box = try AES.GCM.seal(
            plaintext,
            using: key.material,
            nonce: AES.GCM.Nonce(),
            authenticating: Self.associatedData(keyID: key.id, context: context)
        )
        guard let combined = box.combined else { throw SealError.malformed }
        return "\(Self.formatVersion).\(key.id).\(Base64URL.encode(combined))"
    }

    /// Seals the UTF-8 bytes of `plaintext`.
    public func seal(_ plaintext: String, context: SealContext) throws -> String {
        try seal(Array(plaintext.utf8), context: context)
    }

    /// Opens a value sealed by ``seal(_:context:)`` under any key of the ring.
    public func open(_ sealed: String, context: SealContext) throws(SealError) -> [UInt8] {
        let parts = sealed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == Self.formatVersion else { throw .malformed }
        let keyID = String(parts[1])
        guard let key = keys.first(where: { $0.id == keyID }) else { throw .unknownKey(keyID) }
        guard let combined = Base64URL.decode(String(parts[2])), combined.count >= 12 + 16 else {
            throw .malformed
        }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            let plaintext = try AES.GCM.open(
                box,
                using: key.material,
                authenticating: Self.associatedData(keyID: keyID, context: context)
            )
            return Array(plaintext)
        } catch {
            throw .authenticationFailed
        }
    }

    /// Opens a sealed UTF-8 string.
    public func openString(_ sealed: String, context: SealContext) throws(SealError) -> String {
        String(decoding: try open(sealed, context: context), as: UTF8.self)
    }

    /// The key id a sealed value names, or nil when the value is not in a known format.
    public static func keyID(ofSealed sealed: String) -> String? {
        let parts = sealed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == formatVersion else { return nil }
        return String(parts[1])
    }

    private static func associatedData(keyID: String, context: SealContext) -> [UInt8] {
        Array("signaldesk|\(formatVersion)|\(keyID)|".utf8) + context.associatedData
    }
}

/// Why a sealed value could not be opened. Carries no secret material.
public enum SealError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed
    case unknownKey(String)
    case authenticationFailed

    public var description: String {
        switch self {
        case .malformed: "sealed value is malformed"
        case .unknownKey(let id): "sealed value names key '\(id)', which is not in the key ring"
        case .authenticationFailed: "sealed value failed authentication (wrong key, owner or purpose, or tampered)"
        }
    }
}
