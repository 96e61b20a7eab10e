/// Every UUID in a response is lower case (contract.md, "Wire details"): crypto-saas's clients compare
/// ids as Python's `str(uuid)` writes them. Foundation encodes `UUID` as `uuidString`, upper case,
/// with no strategy to change it, so the encoded JSON text is rewritten instead: every JSON
/// string (value or key) whose whole content is a UUID with an upper-case hex digit is lowered.
/// Strings that merely contain a UUID, and escaped text inside strings (an audit `details`
/// document), are left as they are.
public enum LowercaseUUIDs {
    /// Rewrites `json` in place; the length never changes.
    public static func apply(_ json: inout [UInt8]) {
        json.withUnsafeMutableBufferPointer { apply(to: $0) }
    }

    public static func apply(to json: UnsafeMutableBufferPointer<UInt8>) {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var index = 0
        let count = json.count
        while index < count {
            guard json[index] == quote else {
                index += 1
                continue
            }
            // An opening quote: a UUID string is 36 bytes and a closing quote.
            let start = index + 1
            if start + 36 < count, json[start + 36] == quote, isUUID(json, at: start) {
                for offset in start..<(start + 36)
                where json[offset] >= UInt8(ascii: "A") && json[offset] <= UInt8(ascii: "F") {
                    json[offset] += 32
                }
                index = start + 37
                continue
            }
            // Any other string: skip to its closing quote.
            index = start
            while index < count, json[index] != quote {
                index += json[index] == backslash ? 2 : 1
            }
            index += 1
        }
    }

    private static func isUUID(_ bytes: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Bool {
        var hasUpper = false
        for offset in 0..<36 {
            let byte = bytes[start + offset]
            if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                guard byte == UInt8(ascii: "-") else { return false }
                continue
            }
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): continue
            case UInt8(ascii: "A")...UInt8(ascii: "F"): hasUpper = true
            default: return false
            }
        }
        return hasUpper
    }
}
