import Foundation
import SignalDeskCore
import Vapor

/// Form bodies (`application/x-www-form-urlencoded`) read with the same field names as JSON ones.
/// Vapor's form decoder matches keys as they are written, so `trading_enabled=true` never reached
/// `tradingEnabled`: the field was silently missing, and Vapor reads a missing `Bool` as `false`
/// (a flag left out), so a form that asked to enable trading disabled it. Here every key's name is
/// converted as the JSON decoder converts it (``SnakeCaseKey``), and a missing `Bool` is a missing
/// field (422), as in JSON. Login's fields (`username`, `password`, `otp`) are unaffected.
struct WireFormDecoder: ContentDecoder {
    private let decoder = URLEncodedFormDecoder(configuration: .init(boolFlags: false))

    func decode<D: Decodable>(_: D.Type, from body: ByteBuffer, headers: HTTPHeaders) throws -> D {
        try decode(D.self, from: body, headers: headers, userInfo: [:])
    }

    func decode<D: Decodable>(
        _: D.Type, from body: ByteBuffer, headers: HTTPHeaders, userInfo: [CodingUserInfoKey: any Sendable]
    ) throws -> D {
        guard headers.contentType == .urlEncodedForm else { throw Abort(.unsupportedMediaType) }
        let text = body.getString(at: body.readerIndex, length: body.readableBytes) ?? ""
        return try decoder.decode(D.self, from: Self.camelCasedKeys(text), userInfo: userInfo)
    }

    /// `a_b=1&c_d[e_f]=2&g_h` → `aB=1&cD[e_f]=2&gH`: the name before any `[` of each pair's key,
    /// percent-decoded, as ``SnakeCaseKey/camelCased(_:)`` converts it; values are left as sent.
    static func camelCasedKeys(_ form: String) -> String {
        form.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let key = pair.prefix { $0 != "=" }
            let rest = pair[key.endIndex...]
            let name = key.prefix { $0 != "[" }
            let suffix = key[name.endIndex...]
            let plain = String(name).replacingOccurrences(of: "+", with: " ")
            let decoded = plain.removingPercentEncoding ?? plain
            let converted = SnakeCaseKey.camelCased(decoded)
            guard converted != decoded else { return String(pair) }
            let encoded = converted.addingPercentEncoding(withAllowedCharacters: nameCharacters) ?? converted
            return encoded + suffix + rest
        }.joined(separator: "&")
    }

    private static let nameCharacters = CharacterSet(
        charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
}
