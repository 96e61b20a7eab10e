/// Telegram bot tokens have the form `<bot id digits>:<at least 35 characters>` (Bot API docs).
public enum TelegramBotToken {
    public static func isValid(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":") else { return false }
        let id = text[..<colon]
        let rest = text[text.index(after: colon)...]
        return !id.isEmpty && id.allSatisfy(\.isASCIIDigit) && rest.count >= 35
            && rest.allSatisfy { $0.isASCIIAlphanumeric || $0 == "_" || $0 == "-" }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIIAlphanumeric: Bool { isASCII && (isLetter || isNumber) }
}
