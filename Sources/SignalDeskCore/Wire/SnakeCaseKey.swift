/// The request keys SignalDesk's clients send (snake_case, as crypto-saas's) and the Swift
/// property names they decode into.
///
/// Foundation's `convertFromSnakeCase` capitalizes each word with `String.capitalized`, which
/// upper-cases the first *letter* of a word that starts with a digit: `volume_24h_usdt` became
/// `volume24HUsdt` and `earnings_within_24h` `earningsWithin24H`, matched no property, and the
/// fields were silently dropped (issue 19, item 3). This conversion changes only the first
/// character of each word after the first and keeps the rest as sent:
/// `volume_24h_usdt` → `volume24hUsdt`, `earnings_within_24h` → `earningsWithin24h`,
/// `api_key` → `apiKey`. Leading and trailing underscores are kept (`_id` → `_id`), as
/// Foundation keeps them.
public enum SnakeCaseKey {
    public static func camelCased(_ key: String) -> String {
        guard key.contains("_") else { return key }
        let scalars = Array(key)
        let leading = scalars.prefix { $0 == "_" }.count
        guard leading < scalars.count else { return key }
        let trailing = scalars.reversed().prefix { $0 == "_" }.count
        let core = String(scalars[leading..<(scalars.count - trailing)])
        let words = core.split(separator: "_", omittingEmptySubsequences: true)
        guard let first = words.first else { return key }
        var result = String(repeating: "_", count: leading) + first
        for word in words.dropFirst() {
            result += word.prefix(1).uppercased() + word.dropFirst()
        }
        return result + String(repeating: "_", count: trailing)
    }

    /// The request key a property name is read from, the way back of ``camelCased(_:)`` for the
    /// names SignalDesk's requests use: an upper-case letter or a digit after a letter starts a
    /// new word (`volume24hUsdt` → `volume_24h_usdt`, `tradingEnabled` → `trading_enabled`); a
    /// name with no upper-case letter is returned as it is (keys that are already snake_case).
    /// Error messages name a field with it, so a client reads the key it sent.
    public static func snakeCased(_ name: String) -> String {
        guard name.contains(where: \.isUppercase) else { return name }
        var result = ""
        var previous: Character?
        for character in name {
            if character.isUppercase, previous != nil, previous != "_" {
                result += "_" + character.lowercased()
            } else if character.isNumber, let previous, previous.isLetter {
                result += "_" + String(character)
            } else {
                result += character.lowercased()
            }
            previous = character
        }
        return result
    }
}
