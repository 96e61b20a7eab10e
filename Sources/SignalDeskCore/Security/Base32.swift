import COath
import Foundation

/// RFC 4648 base32, as TOTP seeds are shared with authenticator apps, computed by liboath.
public enum Base32 {
    /// Upper-case base32 without padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        var output: UnsafeMutablePointer<CChar>?
        var length = 0
        let rc = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { oath_base32_encode($0.baseAddress, $0.count, &output, &length) }
        }
        guard rc == OATH_OK.rawValue, let output else { return "" }
        defer { free(output) }
        let text = String(decoding: UnsafeRawBufferPointer(start: output, count: length), as: UTF8.self)
        return String(text.prefix { $0 != "=" })
    }

    /// The bytes of a base32 string (case, spaces and padding tolerated), or nil when it is not base32.
    public static func decode(_ text: String) -> [UInt8]? {
        let cleaned = text.uppercased().filter { $0 != " " && $0 != "=" }
        guard !cleaned.isEmpty else { return nil }
        var output: UnsafeMutablePointer<CChar>?
        var length = 0
        let rc = oath_base32_decode(cleaned, cleaned.utf8.count, &output, &length)
        guard rc == OATH_OK.rawValue, let output else { return nil }
        defer { free(output) }
        return Array(UnsafeRawBufferPointer(start: output, count: length))
    }
}
