/// A `Double` written as Python's `repr(float)` writes it, which crypto-saas used inside signed
/// strings (contract.md, "Wire details": `0.01`, `0.5`, `2.5`, `1.0`, `1e-05`).
///
/// Python writes the shortest digits that read back as the same value (as Swift's `description`
/// does), in positional notation when the decimal exponent is from -4 to 15 (with at least one
/// digit after the point), otherwise as `d.ddde±XX` with at least two exponent digits.
public enum PythonFloat {
    public static func repr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let (negative, digits, exponent) = shortestDigits(value)
        // `exponent`: the power of ten of the first digit (value = 0.d1d2... × 10^(exponent+1)).
        var text: String
        if exponent >= -4 && exponent < 16 {
            if exponent < 0 {
                text = "0." + String(repeating: "0", count: -exponent - 1) + digits
            } else if digits.count <= exponent + 1 {
                text = digits + String(repeating: "0", count: exponent + 1 - digits.count) + ".0"
            } else {
                let point = digits.index(digits.startIndex, offsetBy: exponent + 1)
                text = digits[..<point] + "." + digits[point...]
            }
        } else {
            let mantissa = digits.count == 1 ? digits : digits.prefix(1) + "." + digits.dropFirst()
            let magnitude = abs(exponent)
            text = mantissa + (exponent < 0 ? "e-" : "e+") + (magnitude < 10 ? "0" : "") + String(magnitude)
        }
        return negative ? "-" + text : text
    }

    /// The shortest round-trip digits of `value` (no leading or trailing zeros) and the decimal
    /// exponent of the first one, read from Swift's `description` (also shortest round-trip).
    static func shortestDigits(_ value: Double) -> (negative: Bool, digits: String, exponent: Int) {
        var text = Substring(abs(value).description)
        var exponentPart = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponentPart = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        let integer: Substring
        let fraction: Substring
        if let point = text.firstIndex(of: ".") {
            integer = text[..<point]
            fraction = text[text.index(after: point)...]
        } else {
            integer = text
            fraction = ""
        }
        var all = Array(integer + fraction)
        var exponent = integer.count - 1 + exponentPart
        while all.first == "0" && all.count > 1 {
            all.removeFirst()
            exponent -= 1
        }
        while all.last == "0" && all.count > 1 { all.removeLast() }
        return (value < 0, String(all), exponent)
    }
}
