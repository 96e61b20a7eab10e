import SignalDeskCore
import Testing

@Suite struct ConstantTimeTests {
    @Test func equalInputsCompareEqual() {
        #expect(ConstantTime.equals("s3cret-value", "s3cret-value"))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
    }

    @Test func anyDifferenceCompareUnequal() {
        #expect(!ConstantTime.equals("s3cret-value", "s3cret-valuf"))
        #expect(!ConstantTime.equals("x3cret-value", "s3cret-value"))
        #expect(!ConstantTime.equals("s3cret", "s3cret-value"))
        #expect(!ConstantTime.equals("s3cret-value", "s3cret"))
        // Same prefix padded with NUL must not compare equal to the shorter input.
        #expect(!ConstantTime.equals([1, 2, 0] as [UInt8], [1, 2] as [UInt8]))
    }
}

@Suite struct HexTests {
    @Test func roundTrip() {
        let bytes: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xAB, 0xFF]
        #expect(Hex.encode(bytes) == "00017f80abff")
        #expect(Hex.decode("00017f80abff") == bytes)
        #expect(Hex.decode("00017F80ABFF") == bytes)
    }

    @Test func rejectsNonHex() {
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.decode("0g") == nil)
        #expect(Hex.decode("") == [])
    }
}

@Suite struct ValidationTests {
    @Test(arguments: ["a@b.co", "first.last+tag@example.com", "smoke.1@example.invalid"])
    func acceptsEmails(_ email: String) {
        #expect(EmailAddress.isValid(email))
    }

    @Test(arguments: ["", "plain", "@example.com", "a@", "a@b", "a b@c.com", "a@b..com", "a@@b.com", "a@-b.com"])
    func rejectsEmails(_ email: String) {
        #expect(!EmailAddress.isValid(email))
    }

    @Test func normalizesEmails() {
        #expect(EmailAddress.normalized("  Trader@Example.COM ") == "trader@example.com")
    }

    @Test func telegramTokens() {
        #expect(TelegramBotToken.isValid("123456789:" + String(repeating: "A", count: 35)))
        #expect(TelegramBotToken.isValid("1:AAH_abc-" + String(repeating: "z", count: 30)))
        #expect(!TelegramBotToken.isValid("123456789:" + String(repeating: "A", count: 34)))
        #expect(!TelegramBotToken.isValid("12a:" + String(repeating: "A", count: 40)))
        #expect(!TelegramBotToken.isValid(String(repeating: "A", count: 40)))
    }
}

@Suite struct VaultValueTests {
    @Test func masking() {
        #expect(SecretMask.mask("abcdefghijklmnopxyz") == "abc***xyz")
        #expect(SecretMask.mask("abcdefghi") == "abc***ghi")
        #expect(SecretMask.mask("abcdefgh") == "***")
        #expect(SecretMask.mask("") == "***")
    }

    @Test func exchangesParseAnyCase() {
        #expect(Exchange(parsing: "binance") == .binance)
        #expect(Exchange(parsing: " Bybit ") == .bybit)
        #expect(Exchange(parsing: "IBKR") == .ibkr)
        #expect(Exchange(parsing: "kraken") == nil)
        #expect(Exchange.allCases.sorted().map(\.rawValue) == ["BINANCE", "BYBIT", "DYDX", "IBKR"])
    }

    @Test(arguments: [
        ("ana@trading.co", true), ("smoke.1@trading.co", false), ("disabled_bo@trading.co", false),
        ("x@example.com", false), ("x@EXAMPLE.invalid", false), ("x@example.org", true),
    ])
    func realUserFilter(email: String, real: Bool) {
        #expect(RealUser.isReal(email: email) == real)
    }
}
