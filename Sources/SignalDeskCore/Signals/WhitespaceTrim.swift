extension String {
    /// The string without leading and trailing whitespace in the sense of Foundation's
    /// `CharacterSet.whitespaces`: tab and the Unicode space separators (category Zs), not line
    /// breaks. Pure Swift: Foundation's `trimmingCharacters(in:)` goes through `NSString` on Linux,
    /// which cost more than the rest of parsing an alert.
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.first, let last = scalars.last,
            first.isTrimmedWhitespace || last.isTrimmedWhitespace
        else { return self }
        guard let start = scalars.firstIndex(where: { !$0.isTrimmedWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.isTrimmedWhitespace })!
        return String(scalars[start...end])
    }
}

extension Unicode.Scalar {
    fileprivate var isTrimmedWhitespace: Bool {
        if value < 0x80 { return value == 0x20 || value == 0x09 }
        return properties.generalCategory == .spaceSeparator
    }
}
