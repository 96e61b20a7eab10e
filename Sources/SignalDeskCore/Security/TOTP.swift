import COath
import Foundation

/// RFC 6238 time-based one-time passwords, computed by liboath.
///
/// SignalDesk uses SHA-1, 6 digits and 30-second steps (what authenticator apps expect) and
/// accepts one step of clock drift either side. Replay protection is the caller's: ``validate``
/// returns the matched time step, and a step at or below the last accepted one must be refused.
public enum TOTP {
    public enum Algorithm: Sendable {
        case sha1, sha256, sha512

        var flags: Int32 {
            switch self {
            case .sha1: 0
            case .sha256: Int32(OATH_TOTP_HMAC_SHA256.rawValue)
            case .sha512: Int32(OATH_TOTP_HMAC_SHA512.rawValue)
            }
        }
    }

    public static let digits = 6
    public static let stepSeconds = 30
    public static let window = 1

    /// liboath must be initialised once per process before use.
    private static let initialised: Bool = oath_init() == OATH_OK.rawValue

    /// The code for `time`.
    public static func code(
        secret: [UInt8], at time: Date, digits: Int = TOTP.digits, algorithm: Algorithm = .sha1
    ) -> String? {
        guard initialised, (6...8).contains(digits) else { return nil }
        var output = [CChar](repeating: 0, count: digits + 1)
        let rc = secret.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                oath_totp_generate2(
                    chars.baseAddress, chars.count, time_t(time.timeIntervalSince1970.rounded(.down)),
                    UInt32(stepSeconds), 0, UInt32(digits), algorithm.flags, &output)
            }
        }
        guard rc == OATH_OK.rawValue else { return nil }
        return String(decoding: output.prefix(digits).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The time step (`floor(unix time / 30)`) whose code equals `code`, searching `window` steps
    /// either side of `time`; nil when none matches or the code is not 6 digits.
    ///
    /// Codes are compared in constant time through liboath's comparison callback.
    public static func validate(secret: [UInt8], code: String, at time: Date, window: Int = TOTP.window) -> Int64? {
        guard initialised, code.utf8.count == digits, code.utf8.allSatisfy({ (48...57).contains($0) }) else {
            return nil
        }
        var candidate = Array(code.utf8)
        var position: Int32 = 0
        var counter: UInt64 = 0
        let rc = secret.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                candidate.withUnsafeMutableBytes { handle in
                    oath_totp_validate4_callback(
                        chars.baseAddress, chars.count, time_t(time.timeIntervalSince1970.rounded(.down)),
                        UInt32(stepSeconds), 0, UInt32(digits), window, &position, &counter, 0,
                        { handle, test in
                            guard let handle, let test else { return 1 }
                            let expected = UnsafeRawBufferPointer(start: handle, count: TOTP.digits)
                            let offered = UnsafeRawBufferPointer(start: test, count: TOTP.digits)
                            return ConstantTime.equals(expected, offered) ? 0 : 1
                        },
                        handle.baseAddress
                    )
                }
            }
        }
        guard rc >= 0 else { return nil }
        return Int64(counter)
    }

    /// A new random seed of 20 bytes (160 bits, RFC 4226's recommendation for SHA-1).
    public static func generateSecret() -> [UInt8] {
        SecureBytes.random(count: 20)
    }

    /// The `otpauth://totp/...` URI authenticator apps import, with issuer and account percent-encoded.
    public static func provisioningURI(secret: [UInt8], account: String, issuer: String) -> String {
        let label = percentEncode(issuer) + ":" + percentEncode(account)
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))&issuer=\(percentEncode(issuer))"
            + "&algorithm=SHA1&digits=\(digits)&period=\(stepSeconds)"
    }

    private static func percentEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(
            CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
