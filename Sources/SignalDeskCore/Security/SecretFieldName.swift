/// Which field names name a secret: the rule the audit log uses to redact details whatever a
/// caller passes.
///
/// A name is secret when it contains one of ``parts`` (case-insensitive), unless it ends in
/// `_count` (`secret_count` is a number of secrets, not a secret).
///
/// Runs on every audited request (every accepted webhook alert), so ASCII names, which are all
/// the names the server writes, are matched on their UTF-8 bytes without allocating; Swift's
/// generic `firstRange(of:)` cost a fifth of the webhook path's CPU. Names with other characters
/// take Unicode lower-casing first, as before, so that e.g. a Kelvin sign `K` still reads as `k`.
public enum SecretFieldName {
    public static let parts = ["password", "secret", "token", "otp", "api_key", "apikey", "signature", "seed"]

    private static let partBytes: [[UInt8]] = parts.map { Array($0.utf8) }
    private static let countSuffix = Array("_count".utf8)

    public static func isSecret(_ name: String) -> Bool {
        var name = name
        let ascii = name.utf8.allSatisfy { $0 < 0x80 }
        if !ascii { name = name.lowercased() }
        return name.withUTF8 { bytes in
            if hasSuffix(bytes, countSuffix) { return false }
            return partBytes.contains { contains(bytes, $0) }
        }
    }

    /// `byte` lower-cased when it is an ASCII capital letter (parts are lower-case ASCII).
    @inline(__always)
    private static func folded(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    private static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) {
            var index = 0
            while index < needle.count, folded(haystack[start + index]) == needle[index] { index += 1 }
            if index == needle.count { return true }
        }
        return false
    }

    private static func hasSuffix(_ bytes: UnsafeBufferPointer<UInt8>, _ suffix: [UInt8]) -> Bool {
        guard bytes.count >= suffix.count else { return false }
        let offset = bytes.count - suffix.count
        return suffix.indices.allSatisfy { folded(bytes[offset + $0]) == suffix[$0] }
    }
}
