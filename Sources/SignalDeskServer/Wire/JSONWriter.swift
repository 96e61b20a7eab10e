import Foundation
import Vapor

/// JSON text written directly, for long lists on hot paths (a user's 1,000 positions).
///
/// `JSONEncoder` spends tens of microseconds per object in the generic `Codable` machinery and
/// the snake_case key strategy; this writes the same JSON as ``JSONCoding/encode(_:userInfo:)``:
/// keys as given (already snake_case; callers write them in sorted order, as the encoder sorts
/// them), UUIDs in lower case, dates as ISO 8601 in UTC to the second, `/` unescaped, integral
/// doubles without a fraction (`JSONWriterTests` compares the two byte for byte).
struct JSONWriter {
    enum Failure: Error, CustomStringConvertible {
        case nonFinite(String)
        var description: String {
            switch self {
            case .nonFinite(let key): "\(key) is not a finite number"
            }
        }
    }

    private(set) var bytes: [UInt8] = []
    private var needsComma = false
    /// `/` as `\/`, as `JSONEncoder` writes it unless told `.withoutEscapingSlashes` (the wire
    /// and the audit log both tell it).
    let escapesSlashes: Bool

    init(capacity: Int = 1_024, escapesSlashes: Bool = false) {
        bytes.reserveCapacity(capacity)
        self.escapesSlashes = escapesSlashes
    }

    mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma = false }
    mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma = true }
    mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma = false }
    mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }

    mutating func field(_ key: String, _ value: String?) {
        name(key)
        if let value { quoted(value) } else { null() }
    }

    mutating func field(_ key: String, _ value: UUID?) {
        name(key)
        guard let value else { return null() }
        // `uuidString` formats through snprintf: a tenth of a 1,000-position list.
        let digits = Self.lowerHexDigits
        bytes.append(UInt8(ascii: "\""))
        withUnsafeBytes(of: value.uuid) { raw in
            for (index, byte) in raw.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { bytes.append(UInt8(ascii: "-")) }
                bytes.append(digits[Int(byte >> 4)])
                bytes.append(digits[Int(byte & 0x0F)])
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let lowerHexDigits = Array("0123456789abcdef".utf8)

    mutating func field(_ key: String, _ value: Double?) throws {
        name(key)
        guard let value else { return null() }
        guard value.isFinite else { throw Failure.nonFinite(key) }
        if value == value.rounded(), abs(value) < 1e15 {
            bytes.append(contentsOf: String(Int64(value)).utf8)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    mutating func field(_ key: String, _ value: Int) {
        name(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func field(_ key: String, _ value: Bool) {
        name(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func nullField(_ key: String) {
        name(key)
        null()
    }

    mutating func field(_ key: String, _ value: Date?) {
        name(key)
        guard let value else { return null() }
        var seconds = time_t(value.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // Digits by hand: String(format:) cost a quarter of a 1,000-position list.
        bytes.append(UInt8(ascii: "\""))
        digits(Int(parts.tm_year) + 1900, count: 4)
        bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, count: 2)
        bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), count: 2)
        bytes.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), count: 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), count: 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), count: 2)
        bytes.append(contentsOf: "Z\"".utf8)
    }

    /// `value` in decimal, zero-padded to `count` digits (values that need more keep them all).
    private mutating func digits(_ value: Int, count: Int) {
        let text = String(value)
        if text.utf8.count < count {
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count - text.utf8.count))
        }
        bytes.append(contentsOf: text.utf8)
    }

    /// The text as an `application/json` response.
    func response(status: HTTPResponseStatus = .ok) -> Response {
        Response(
            status: status, headers: ["Content-Type": "application/json; charset=utf-8"], body: .init(data: Data(bytes))
        )
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func name(_ key: String) {
        separate()
        quoted(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = true
    }

    private mutating func null() {
        bytes.append(contentsOf: "null".utf8)
    }

    private mutating func quoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        defer { bytes.append(UInt8(ascii: "\"")) }
        let escapesSlashes = escapesSlashes
        // Most texts (keys, symbols, enum values) need no escape: copied in one piece.
        let copied = text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for byte in utf8
            where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
                || (byte == UInt8(ascii: "/") && escapesSlashes)
            {
                return false
            }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied == true { return }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "/") where escapesSlashes: bytes.append(contentsOf: #"\/"#.utf8)
            case 0x0A: bytes.append(contentsOf: #"\n"#.utf8)
            case 0x0D: bytes.append(contentsOf: #"\r"#.utf8)
            case 0x09: bytes.append(contentsOf: #"\t"#.utf8)
            case 0x08: bytes.append(contentsOf: #"\b"#.utf8)
            case 0x0C: bytes.append(contentsOf: #"\f"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
    }
}
