import Foundation
import SignalDeskCore
import Testing

@Suite struct TOTPTests {
    static let seed = Array("12345678901234567890".utf8)

    /// RFC 6238 Appendix B, SHA-1, 8 digits.
    @Test(
        arguments: [
            (59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
        ] as [(Int, String)])
    func rfc6238Vectors(time: Int, expected: String) {
        let at = Date(timeIntervalSince1970: TimeInterval(time))
        #expect(TOTP.code(secret: Self.seed, at: at, digits: 8) == expected)
        // Six-digit codes are the last six digits.
        #expect(TOTP.code(secret: Self.seed, at: at) == String(expected.suffix(6)))
    }

    @Test func validateAcceptsOneStepOfDriftEitherSideAndReportsTheStep() {
        let now = Date(timeIntervalSince1970: 1_234_567_890)
        let step = Int64(1_234_567_890 / 30)
        for offset in [-1, 0, 1] {
            let code = TOTP.code(secret: Self.seed, at: now.addingTimeInterval(Double(offset * 30)))!
            #expect(TOTP.validate(secret: Self.seed, code: code, at: now) == step + Int64(offset))
        }
        for offset in [-2, 2] {
            let code = TOTP.code(secret: Self.seed, at: now.addingTimeInterval(Double(offset * 30)))!
            #expect(TOTP.validate(secret: Self.seed, code: code, at: now) == nil)
        }
    }

    @Test func validateRefusesMalformedAndWrongCodes() {
        let now = Date(timeIntervalSince1970: 1_234_567_890)
        let good = TOTP.code(secret: Self.seed, at: now)!
        let last = Int(String(good.last!))!
        let wrong = String(good.dropLast()) + String((last + 1) % 10)
        #expect(TOTP.validate(secret: Self.seed, code: wrong, at: now) == nil)
        #expect(TOTP.validate(secret: Self.seed, code: "12345", at: now) == nil)
        #expect(TOTP.validate(secret: Self.seed, code: "1234567", at: now) == nil)
        #expect(TOTP.validate(secret: Self.seed, code: "12a456", at: now) == nil)
        #expect(TOTP.validate(secret: Self.seed, code: "", at: now) == nil)
    }

    @Test func base32MatchesTheRFCSeed() {
        #expect(Base32.encode(Self.seed) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        #expect(Base32.decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") == Self.seed)
        #expect(Base32.decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq") == Self.seed)
        #expect(Base32.decode("not base32!") == nil)
    }

    @Test func provisioningURIIsPercentEncoded() {
        let uri = TOTP.provisioningURI(secret: Self.seed, account: "ana+ops@example.com", issuer: "SignalDesk")
        #expect(
            uri == "otpauth://totp/SignalDesk:ana%2Bops%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                + "&issuer=SignalDesk&algorithm=SHA1&digits=6&period=30")
        let components = URLComponents(string: uri)
        #expect(components?.queryItems?.first { $0.name == "secret" }?.value == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    }

    @Test func generatedSecretsAreFreshAndLongEnough() {
        let a = TOTP.generateSecret()
        #expect(a.count == 20 && a != TOTP.generateSecret())
    }
}
