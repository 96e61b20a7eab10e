extension JSONValue {
    /// Parses JSON text; nil when `bytes` are not a JSON document.
    ///
    /// Accepts exactly what Foundation's `JSONDecoder` accepts when decoding a `JSONValue`, and
    /// gives the same value (`JSONValueParseTests` compares the two on edge cases and on thousands
    /// of generated and mutated documents), including its leniencies and limits:
    /// - a UTF-8 byte order mark at the start, and one trailing comma in an object or array
    ///   (`{"a":1,}`, `[1,]`, not `[,]`);
    /// - a repeated key keeps its first value (keys are compared as Swift strings, so canonically
    ///   equivalent spellings are the same key);
    /// - numbers that overflow a `Double`, or round to zero though not written as zero, are
    ///   refused; so are unpaired UTF-16 surrogates in `\u` escapes, invalid UTF-8, control
    ///   characters inside strings, and nesting deeper than 512.
    ///
    /// Written out because it runs on every webhook alert: decoding a `JSONValue` through
    /// `Decodable` tries each type in turn and throws an error for every miss, which cost more than
    /// the rest of an alert's parsing and checks.
    public static func parse(_ bytes: [UInt8]) -> JSONValue? {
        bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer)
            return parser.document()
        }
    }
}

private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0

    static let maxDepth = 512

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The byte at `index`, or nil at the end.
    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func document() -> JSONValue? {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        skipWhitespace()
        guard let value = value() else { return nil }
        skipWhitespace()
        return index == bytes.count ? value : nil
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func value() -> JSONValue? {
        guard let byte = current else { return nil }
        switch byte {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
        default: return nil
        }
    }

    private mutating func object() -> JSONValue? {
        var members: [String: JSONValue] = [:]
        let closed = elements(closedBy: UInt8(ascii: "}")) { parser in
            guard parser.current == UInt8(ascii: "\""), let key = parser.string() else { return false }
            parser.skipWhitespace()
            guard parser.current == UInt8(ascii: ":") else { return false }
            parser.index += 1
            parser.skipWhitespace()
            guard let value = parser.value() else { return false }
            if members[key] == nil { members[key] = value }
            return true
        }
        return closed ? .object(members) : nil
    }

    private mutating func array() -> JSONValue? {
        var values: [JSONValue] = []
        let closed = elements(closedBy: UInt8(ascii: "]")) { parser in
            guard let value = parser.value() else { return false }
            values.append(value)
            return true
        }
        return closed ? .array(values) : nil
    }

    /// The comma-separated elements of an object or array, `index` at its opening bracket:
    /// `element` parses one (returning false when it is not valid); true when the container is
    /// closed by `closing`, after an element, a trailing comma (as `JSONDecoder` allows), or at once.
    private mutating func elements(closedBy closing: UInt8, _ element: (inout JSONParser) -> Bool) -> Bool {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { return false }
        index += 1
        skipWhitespace()
        if current == closing {
            index += 1
            return true
        }
        while true {
            guard element(&self) else { return false }
            skipWhitespace()
            switch current {
            case closing:
                index += 1
                return true
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
                if current == closing {
                    index += 1
                    return true
                }
            default:
                return false
            }
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) -> JSONValue? {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return nil }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return nil }
        index += count
        return value
    }

    /// A string, `index` at its opening quote. Text without escapes is validated in place; text
    /// with escapes is copied.
    private mutating func string() -> String? {
        index += 1
        let start = index
        while let byte = current {
            if byte == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { return nil }
            index += 1
        }
        guard index < bytes.count else { return nil }
        var text = Array(bytes[start..<index])
        while let byte = current {
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escape = current else { return nil }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escape)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = escapedScalar() else { return nil }
                    text.append(contentsOf: UTF8.encode(scalar)!)
                default: return nil
                }
            default:
                if byte < 0x20 { return nil }
                text.append(byte)
            }
        }
        return nil
    }

    /// The scalar of a `\u` escape, `index` after the `u`; a high surrogate must be followed by
    /// an escaped low surrogate.
    private mutating func escapedScalar() -> Unicode.Scalar? {
        guard let unit = hexQuad() else { return nil }
        switch unit {
        case 0xD800...0xDBFF:
            guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { return nil }
            index += 2
            guard let low = hexQuad(), (0xDC00...0xDFFF).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
        case 0xDC00...0xDFFF:
            return nil
        default:
            return Unicode.Scalar(unit)
        }
    }

    private mutating func hexQuad() -> UInt32? {
        guard bytes.count - index >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// A number by RFC 8259's grammar, converted by the standard library. What follows it is
    /// checked by the caller (so `01` and `1x` fail there).
    private mutating func number() -> JSONValue? {
        let start = index
        var significant = false
        func isDigit(_ byte: UInt8?) -> Bool {
            byte.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false
        }
        if current == UInt8(ascii: "-") { index += 1 }
        guard isDigit(current) else { return nil }
        if current == UInt8(ascii: "0") {
            index += 1
        } else {
            significant = true
            while isDigit(current) { index += 1 }
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard isDigit(current) else { return nil }
            while let byte = current, isDigit(byte) {
                if byte != UInt8(ascii: "0") { significant = true }
                index += 1
            }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard isDigit(current) else { return nil }
            while isDigit(current) { index += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite, value != 0 || !significant else { return nil }
        return .number(value)
    }
}
