/// Query strings built in a fixed parameter order with RFC 3986 percent-encoding (unreserved
/// characters kept, everything else `%XX` upper-case, non-ASCII as UTF-8 bytes), so the string a
/// venue receives is exactly the string that was signed.
public struct QueryString: Sendable, Equatable {
    public private(set) var pairs: [(String, String)] = []

    public init(_ pairs: [(String, String)] = []) {
        self.pairs = pairs
    }

    public mutating func append(_ name: String, _ value: String) {
        pairs.append((name, value))
    }

    public var encoded: String {
        pairs.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
    }

    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 0x0F)])"
            }
        }
        return out
    }

    public static func == (lhs: QueryString, rhs: QueryString) -> Bool {
        lhs.encoded == rhs.encoded
    }
}
