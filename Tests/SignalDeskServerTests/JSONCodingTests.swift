import Foundation
import SignalDeskCore
import Testing

@testable import SignalDeskServer

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
        #expect(
            keys == [
                "api_key_masked", "items", "my_url_property", "nested", "trends_7d", "two_factor_enabled", "user_id",
                "users_missing_2fa",
            ])
    }

    struct WireSample: Encodable {
        let zeta = 1
        let alpha = "a/b"
        let id = UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!
        let ids = [UUID(uuidString: "00000000-0000-0000-0000-00000000000A")!]
        let note = "E621E1F8-C36C-495A-93FC-0C247A3E6E5F is inside a longer text"
        let details = #"{"signal_id":"E621E1F8-C36C-495A-93FC-0C247A3E6E5F"}"#
        let mid = ["k2": 1, "k1": 2, "k3": 3]
    }

    /// Keys sorted (Foundation's order on Linux changes from process to process), `/` unescaped,
    /// whole-string UUIDs lower case, everything else as written (issue 19, items 7 and 11).
    @Test func wireJSONIsStableUnescapedAndLowerCase() throws {
        let text = String(decoding: try JSONCoding.encode(WireSample()), as: UTF8.self)
        #expect(
            text
                == #"{"alpha":"a/b","details":"{\"signal_id\":\"E621E1F8-C36C-495A-93FC-0C247A3E6E5F\"}","id":"e621e1f8-c36c-495a-93fc-0c247a3e6e5f","ids":["00000000-0000-0000-0000-00000000000a"],"mid":{"k1":2,"k2":1,"k3":3},"note":"E621E1F8-C36C-495A-93FC-0C247A3E6E5F is inside a longer text","zeta":1}"#
        )
    }

    @Test func lowercaseUUIDsLeavesOtherTextAlone() {
        func run(_ text: String) -> String {
            var bytes = Array(text.utf8)
            LowercaseUUIDs.apply(&bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
        #expect(run(#"["ABCDEF00-0000-0000-0000-000000000000"]"#) == #"["abcdef00-0000-0000-0000-000000000000"]"#)
        #expect(run(#"{"ABCDEF00-0000-0000-0000-000000000000":1}"#) == #"{"abcdef00-0000-0000-0000-000000000000":1}"#)
        // Not a UUID: a G, a missing dash, one character short, an escaped quote before it.
        for same in [
            #"["GBCDEF00-0000-0000-0000-000000000000"]"#, #"["ABCDEF000-000-0000-0000-000000000000"]"#,
            #"["ABCDEF00-0000-0000-0000-00000000000"]"#, #"["x\"ABCDEF00-0000-0000-0000-000000000000\""]"#,
            #"["\\","ABCDEF00-0000-0000-0000-00000000000Z"]"#, #""ABC"#, "\"",
        ] {
            #expect(run(same) == same, "\(same)")
        }
        // After an escaped backslash the next quote closes the string, and the UUID after it is a string of its own.
        #expect(
            run(#"["\\","ABCDEF00-0000-0000-0000-000000000000"]"#) == #"["\\","abcdef00-0000-0000-0000-000000000000"]"#)
    }
}
