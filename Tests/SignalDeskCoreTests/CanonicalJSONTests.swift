import Foundation
import Testing

@testable import SignalDeskCore

/// `CanonicalJSON` against CPython 3: each expected text is
/// `json.dumps(json.loads(input), sort_keys=True, separators=(",", ":"), ensure_ascii=True)`,
/// printed by python3 on this machine.
@Suite struct CanonicalJSONTests {
    static let vectors: [(input: String, python: String)] = [
        (
            #"{"b":1,"a":[1,2.5,-0,3.0,1e16,0.1,1e-05,12345678901234567890],"c":null,"d":true,"e":"x\"y\\z\n\t\u0001\u007f/é😀"}"#,
            #"{"a":[1,2.5,0,3.0,1e+16,0.1,1e-05,12345678901234567890],"b":1,"c":null,"d":true,"e":"x\"y\\z\n\t\u0001\u007f/\u00e9\ud83d\ude00"}"#
        ),
        (
            #"{"z":{"y":2,"x":{"b":false,"a":"é"}},"Z":0,"_":-1.5E+3,"aa":[],"ab":{}}"#,
            #"{"Z":0,"_":-1500.0,"aa":[],"ab":{},"z":{"x":{"a":"\u00e9","b":false},"y":2}}"#
        ),
        (#"[{"k":"\ud83d\ude00","K":"\u00e9"}]"#, #"[{"K":"\u00e9","k":"\ud83d\ude00"}]"#),
        (
            #"{"qty":0.01,"price":30000,"ratio":0.30000000000000004,"big":1.7976931348623157e308,"small":5e-324}"#,
            #"{"big":1.7976931348623157e+308,"price":30000,"qty":0.01,"ratio":0.30000000000000004,"small":5e-324}"#
        ),
    ]

    @Test func writesWhatPythonWrites() throws {
        for (input, python) in Self.vectors {
            #expect(try CanonicalJSON.parse(input).text == python, "\(input)")
            // And the canonical text is a fixed point.
            #expect(try CanonicalJSON.parse(python).text == python)
        }
    }

    @Test func keepsIntegersApartFromFloats() throws {
        #expect(try CanonicalJSON.parse("3") == .integer("3"))
        #expect(try CanonicalJSON.parse("3.0") == .float(3))
        #expect(try CanonicalJSON.parse("3e0") == .float(3))
        #expect(CanonicalJSON.int(42).text == "42")
        #expect(CanonicalJSON.float(0.5).text == "0.5")
    }

    @Test func refusesWhatIsNotJSON() {
        for bad in ["", "{", "[1,]", "{\"a\"}", "01", "1.", "1e", "\"\\x\"", "\"a", "tru", "[1] x", "\"\u{1}\""] {
            #expect(throws: CanonicalJSON.ParseError.self, "\(bad)") { try CanonicalJSON.parse(bad) }
        }
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: CanonicalJSON.ParseError.self) { try CanonicalJSON.parse(deep) }
    }
}
