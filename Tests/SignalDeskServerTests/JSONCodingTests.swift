import Foundation
@testable import SignalDeskServer
import Testing

@Suite struct JSONCodingTests {
    struct Sample: Encodable {
        let userId = 1
        let apiKeyMasked = "abc***xyz"
        let twoFactorEnabled = true
        let myURLProperty = "u"
        let usersMissing_2fa = 2
        let trends_7d = [3]
        let nested = ["innerKeyName": 4]
        let items = [Inner()]
    }

    struct Inner: Encodable {
        let lastActivityAt: Date? = Date(timeIntervalSince1970: 0)
    }

    /// The remembered conversion writes exactly what Foundation's `convertToSnakeCase` writes.
    @Test func cachedKeysMatchFoundation() throws {
        let foundation = JSONEncoder()
        foundation.keyEncodingStrategy = .convertToSnakeCase
        foundation.dateEncodingStrategy = .iso8601
        foundation.outputFormatting = .sortedKeys
        let ours = JSONCoding.encoder
        for _ in 0..<2 {  // the second pass reads the cache
            let expected = try JSONSerialization.jsonObject(with: try foundation.encode(Sample())) as! NSDictionary
            let actual = try JSONSerialization.jsonObject(with: try ours.encode(Sample())) as! NSDictionary
            #expect(actual == expected)
        }
        let keys = (try JSONSerialization.jsonObject(with: try ours.encode(Sample())) as! [String: Any]).keys.sorted()
        #expect(keys == ["api_key_masked", "items", "my_url_property", "nested", "trends_7d", "two_factor_enabled", "user_id", "users_missing_2fa"])
    }
}
