/// An optional that is written as `null` instead of being left out, so answers carry every field
/// of the contract (crypto-saas clients read `obj["display_name"]` and expect the key).
@propertyWrapper
struct NullEncodable<Value: Codable & Sendable>: Codable, Sendable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue {
            try container.encode(wrappedValue)
        } else {
            try container.encodeNil()
        }
    }
}

extension NullEncodable: Equatable where Value: Equatable {}

extension KeyedDecodingContainer {
    /// A missing key decodes as nil, as for a plain optional.
    func decode<Value>(_ type: NullEncodable<Value>.Type, forKey key: Key) throws -> NullEncodable<Value> {
        NullEncodable(wrappedValue: try decodeIfPresent(Value.self, forKey: key))
    }
}
