import Foundation

/// Plain decimal text for quantities and prices sent to venues: no exponent, no trailing zeros,
/// at most 10 decimals (`0.001`, `25000`, `0.00000001`).
public enum DecimalText {
    public static func format(_ value: Double) -> String {
        var text = String(format: "%.10f", value)
        while text.contains(".") && (text.hasSuffix("0") || text.hasSuffix(".")) {
            text.removeLast()
        }
        return text == "-0" ? "0" : text
    }
}
