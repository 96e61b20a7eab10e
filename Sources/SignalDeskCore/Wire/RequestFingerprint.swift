import Crypto
import Foundation

/// What an idempotency key remembers of the request it was first used with: the SHA-256 (hex) of
/// the request's canonical form (its validated fields as JSON with sorted keys), so the same key
/// with another payload can be told apart (409) from a repeat (the first answer again).
public enum RequestFingerprint {
    public static func of<T: Encodable>(_ request: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Hex.encode(SHA256.hash(data: try encoder.encode(request)))
    }
}
