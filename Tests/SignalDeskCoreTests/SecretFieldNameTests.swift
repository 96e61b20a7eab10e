import SignalDeskCore
import Testing

@Suite struct SecretFieldNameTests {
    @Test(arguments: [
        "password", "new_password", "PASSWORD", "Api_Secret", "webhook_secret", "refresh_token", "otp", "totp_seed",
        "api_key", "X-Api-Key".replacingOccurrences(of: "-", with: "_"), "apiKey", "X-Signature", "signature",
        "seedling", "tokens", "SECRET",
    ])
    func namesThatContainASecretPartAreSecret(_ name: String) {
        #expect(SecretFieldName.isSecret(name))
    }

    @Test(arguments: [
        "email", "secret_count", "SECRET_COUNT", "token_count", "", "o", "ot", "pass", "api-key", "sign", "reason",
        "alert_id", "webhook_id",
    ])
    func otherNamesAndCountsAreNot(_ name: String) {
        #expect(!SecretFieldName.isSecret(name))
    }

    @Test func nonASCIINamesAreLowerCasedLikeUnicodeDoes() {
        // U+212A KELVIN SIGN lower-cases to an ASCII "k".
        #expect(SecretFieldName.isSecret("api_\u{212A}ey"))
        #expect(SecretFieldName.isSecret("Passwort_password_ü"))
        #expect(!SecretFieldName.isSecret("paßword"))
        #expect(!SecretFieldName.isSecret("geheimnis_é"))
    }

    /// The byte matcher agrees with the plain rule (lower-case, then substring search) on many
    /// generated names built from the parts, their neighbours and mixed case.
    @Test func agreesWithLowerCasingAndSubstringSearch() {
        let pieces =
            SecretFieldName.parts + [
                "_", "-", "count", "_count", "x", "Ø", "K", "\u{212A}", "pass", "wor", "d", "TOK", "en", "S",
            ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let count = Int.random(in: 0...4, using: &generator)
            var name = ""
            for _ in 0..<count {
                var piece = pieces.randomElement(using: &generator)!
                if Bool.random(using: &generator) { piece = piece.uppercased() }
                name += piece
            }
            let lowered = name.lowercased()
            let expected = SecretFieldName.parts.contains { lowered.contains($0) } && !lowered.hasSuffix("_count")
            #expect(SecretFieldName.isSecret(name) == expected, "\(name)")
        }
    }
}
