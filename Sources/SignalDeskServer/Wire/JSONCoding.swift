import Foundation
import NIOConcurrencyHelpers
import SignalDeskCore
import Vapor

/// JSON on the wire: snake_case keys and ISO-8601 dates, as crypto-saas clients expect; keys in
/// sorted order (Foundation's encoder on Linux writes an object's keys in a different order in
/// every process, so sorting is what makes the order stable), `/` unescaped, and every UUID in
/// lower case (``LowercaseUUIDs``). ``JSONCoding/encode(_:)`` is the one way to the wire: Vapor's
/// responses go through it (``WireJSONEncoder``), and so do stored answers.
/// DTO properties that are decoded are named without acronyms (`apiKey`, not `apiKEY`), because
/// snake_case decoding maps `api_key` to `apiKey`.
enum JSONCoding {
    static let encoder = makeEncoder()

    /// An encoder with the wire's settings (a fresh one when a call brings its own `userInfo`).
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .custom { path in SnakeCaseKeys.converted(path[path.count - 1]) }
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        // Not Foundation's convertFromSnakeCase, which drops keys with digits (SnakeCaseKey).
        decoder.keyDecodingStrategy = .custom { path in
            AnyKey(SnakeCaseKey.camelCased(path[path.count - 1].stringValue))
        }
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// The JSON text of `value` as a response carries it.
    static func encode<T: Encodable>(_ value: T, userInfo: [CodingUserInfoKey: any Sendable] = [:]) throws -> [UInt8] {
        let data: Data
        if userInfo.isEmpty {
            data = try encoder.encode(value)
        } else {
            let configured = makeEncoder()
            configured.userInfo = userInfo
            data = try configured.encode(value)
        }
        var bytes = [UInt8](data)
        LowercaseUUIDs.apply(&bytes)
        return bytes
    }

    /// Vapor's content configuration is process-wide; installing the same coders twice is harmless.
    static func install() {
        ContentConfiguration.global.use(encoder: WireJSONEncoder(), for: .json)
        ContentConfiguration.global.use(decoder: decoder, for: .json)
        // Form bodies with the same field names as JSON ones (``WireFormDecoder``).
        ContentConfiguration.global.use(decoder: WireFormDecoder(), for: .urlEncodedForm)
    }
}

/// Vapor's JSON content encoder, through ``JSONCoding/encode(_:userInfo:)``.
struct WireJSONEncoder: ContentEncoder {
    func encode<E: Encodable>(_ encodable: E, to body: inout ByteBuffer, headers: inout HTTPHeaders) throws {
        try encode(encodable, to: &body, headers: &headers, userInfo: [:])
    }

    func encode<E: Encodable>(
        _ encodable: E, to body: inout ByteBuffer, headers: inout HTTPHeaders,
        userInfo: [CodingUserInfoKey: any Sendable]
    ) throws {
        headers.contentType = .json
        body.writeBytes(try JSONCoding.encode(encodable, userInfo: userInfo))
    }
}

/// A coding key made at run time.
struct AnyKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ stringValue: String) { self.stringValue = stringValue }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Foundation's `convertToSnakeCase`, remembered per key: the conversion walks every character of
/// every key of every object, which costs more than the rest of encoding a large list. Each distinct
/// key is converted once by Foundation itself, so the wire format is exactly the one clients know.
enum SnakeCaseKeys {
    private struct Probe: Encodable {
        let key: String
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: AnyKey.self)
            try container.encode(0, forKey: AnyKey(key))
        }
    }

    private static let cache = NIOLockedValueBox<[String: String]>([:])

    static func converted(_ key: any CodingKey) -> any CodingKey {
        if key.intValue != nil { return key }
        let name = key.stringValue
        if let known = cache.withLockedValue({ $0[name] }) { return AnyKey(known) }
        let snake = foundationSnakeCase(name)
        cache.withLockedValue { $0[name] = snake }
        return AnyKey(snake)
    }

    static func foundationSnakeCase(_ name: String) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        // A one-key object cannot fail to encode; should it ever, the key goes out unconverted.
        guard let data = try? encoder.encode(Probe(key: name)),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Int],
            let converted = object.keys.first
        else { return name }
        return converted
    }
}
