import SQLKit

extension SQLQueryString {
    /// `text`, a statement written once with PostgreSQL's numbered parameters (`$1`, `$2`, ...),
    /// for SQLKit on any database: each `$n` becomes a bind of `binds[n - 1]` (so a parameter used
    /// twice is bound twice). This is how a PostgreSQL prepared statement's text and its SQLite
    /// twin stay one text. `text` must not contain a `$` followed by a digit anywhere else (in a
    /// string literal, say).
    init(numbered text: String, binds: [any Encodable & Sendable]) {
        self = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            let digits = rest[rest.index(after: dollar)...].prefix(while: \.isNumber)
            guard let number = Int(digits), binds.indices.contains(number - 1) else {
                precondition(digits.isEmpty, "no value for $\(digits) in \(text)")
                appendInterpolation(unsafeRaw: String(rest[...dollar]))
                rest = rest[rest.index(after: dollar)...]
                continue
            }
            appendInterpolation(unsafeRaw: String(rest[..<dollar]))
            appendInterpolation(bind: binds[number - 1])
            rest = rest[digits.endIndex...]
        }
        appendInterpolation(unsafeRaw: String(rest))
    }
}
