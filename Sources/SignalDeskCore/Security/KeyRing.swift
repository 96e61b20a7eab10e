import Crypto
import Foundation

/// The encryption keys that seal secrets at rest (AES-256-GCM).
///
/// The first key is active: every new seal uses it. The others only open values sealed before a
/// rotation. A sealed value names its key and format version, and is bound by associated data to
/// the owner and purpose it was sealed for (``SealContext``), so a ciphertext copied to another
/// row or field does not open.
public struct KeyRing: Sendable {
    /// One key of the ring.
    public struct Key: Sendable {
        /// Short identifier written into every value sealed with this key.
        public let id: String
        let material: SymmetricKey

        /// A key from its identifier and 32 bytes of key material.
        public init(id: String, bytes: [UInt8]) throws(KeyRingError) {
            guard KeyRing.isValidKeyID(id) else { throw .invalidKeyID(id) }
            guard bytes.count == 32 else { throw .invalidKeyLength(id: id) }
            self.id = id
            self.material = SymmetricKey(data: bytes)
        }
    }

    /// The keys, active first.
    public let keys: [Key]

    /// The key every new seal uses.
    public var activeKey: Key { keys[0] }

    /// The identifier of ``activeKey``.
    public var activeKeyID: String { keys[0].id }

    /// A key for `purpose` derived from the active key (HKDF-SHA256 with `purpose` as the info),
    /// with the active key's id: signing what SignalDesk hands out (the audit export) without a
    /// secret of its own, and without using the sealing key itself for a second job.
    public func derivedKey(purpose: String) -> (keyID: String, key: SymmetricKey) {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: activeKey.material, info: Array(purpose.utf8), outputByteCount: 32)
        return (activeKey.id, key)
    }

    /// A ring of `keys`, the first active. Identifiers must be unique.
    public init(keys: [Key]) throws(KeyRingError) {
        guard !keys.isEmpty else { throw .empty }
        var seen = Set<String>()
        for key in keys where !seen.insert(key.id).inserted {
            throw .duplicateKeyID(key.id)
        }
        self.keys = keys
    }

    /// Parses `id:hex64,id:hex64,...` (the `ENCRYPTION_KEYS` format). Whitespace around entries is ignored.
    public static func parse(_ specification: String) throws(KeyRingError) -> KeyRing {
        var keys: [Key] = []
        for rawEntry in specification.split(separator: ",", omittingEmptySubsequences: false) {
            let entry = rawEntry.trimmingCharacters(in: .whitespaces)
            guard let colon = entry.firstIndex(of: ":") else { throw .malformedEntry(position: keys.count + 1) }
            let id = String(entry[..<colon])
            let hex = String(entry[entry.index(after: colon)...])
            guard hex.utf8.count == 64, let bytes = Hex.decode(hex) else {
                throw .invalidKeyHex(id: id)
            }
            keys.append(try Key(id: id, bytes: bytes))
        }
        return try KeyRing(keys: keys)
    }

    /// A one-key ring derived from a passphrase with HKDF-SHA256 (the `ENCRYPTION_KEY` form).
    ///
    /// The key id is derived from the key itself, so a changed passphrase yields a new id and
    /// values sealed under the old one are reported as being on a retired key.
    public static func derived(fromPassphrase passphrase: String) throws(KeyRingError) -> KeyRing {
        guard !passphrase.isEmpty else { throw .emptyPassphrase }
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Array(passphrase.utf8)),
            salt: Array("signaldesk-keyring-v1".utf8),
            info: Array("ENCRYPTION_KEY".utf8),
            outputByteCount: 32
        )
        let bytes = derived.withUnsafeBytes { Array($0) }
        let fingerprint = Hex.encode(SHA256.hash(data: bytes).prefix(4))
        return try KeyRing(keys: [Key(id: "pass-\(fingerprint)", bytes: bytes)])
    }

    /// A ring entry with fresh random key material, in the `id:hex64` form of `ENCRYPTION_KEYS`.
    public static func generateEntry(id: String) throws(KeyRingError) -> String {
        guard isValidKeyID(id) else { throw .invalidKeyID(id) }
        let key = SymmetricKey(size: .bits256)
        return "\(id):" + key.withUnsafeBytes { Hex.encode($0) }
    }

    /// Key ids are 1 to 32 characters of letters, digits, `-` and `_`.
    public static func isValidKeyID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 32
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    true
                default: false
                }
            }
    }
}

/// Why a key ring could not be built.
public enum KeyRingError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case emptyPassphrase
    case malformedEntry(position: Int)
    case invalidKeyID(String)
    case invalidKeyHex(id: String)
    case invalidKeyLength(id: String)
    case duplicateKeyID(String)

    public var description: String {
        switch self {
        case .empty: "the key ring has no keys"
        case .emptyPassphrase: "the passphrase is empty"
        case .malformedEntry(let position): "entry \(position) is not of the form id:hex64"
        case .invalidKeyID(let id): "key id '\(id)' must be 1-32 letters, digits, '-' or '_'"
        case .invalidKeyHex(let id): "key '\(id)' is not 64 hexadecimal characters (32 bytes)"
        case .invalidKeyLength(let id): "key '\(id)' is not 32 bytes"
        case .duplicateKeyID(let id): "key id '\(id)' appears more than once"
        }
    }
}
