import Foundation
import SignalDeskCore
import Testing

/// `JSONValue.parse` against the reference it replaces: `JSONDecoder` decoding a `JSONValue`.
/// They differ on two things only, both deliberate (`knownDifferences`).
@Suite struct JSONValueParseTests {
    static func decoded(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// Inputs chosen for the rules that differ between JSON parsers: leniencies, limits, escapes,
    /// numbers at the edge of `Double`, invalid UTF-8.
    static let edgeCases: [[UInt8]] = edgeTexts.map { Array($0.utf8) } + edgeBytes

    static let edgeTexts: [String] = [
        #"{"a":1,"a":2}"#, #"{"a":"e\u0301","e\u0301":2,"é":3}"#, #"{"a":1e400}"#, #"{"a":-1e400}"#, #"{"a":1e-400}"#,
        #"{"a":2.4703282292062328e-324}"#, #"{"a":2.4703282292062327e-324}"#, #"{"a":0e400}"#, #"{"a":0.000e-999}"#,
        #"{"a":1.8e308}"#, #"{"a":1.7976931348623157e308}"#, #"{"a":-0}"#, #"{"a":-0.0}"#, #"{"a":01}"#, #"{"a":-01}"#,
        #"{"a":00}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":+1}"#, #"{"a":1E+2}"#, #"{"a":1e}"#, #"{"a":-}"#,
        #"{"a":1e5.5}"#,
        #"{"a":1.5e+}"#, #"{"a":0x10}"#, #"{"a":NaN}"#, #"{"a":9007199254740993}"#, #"{"a":12345678901234567890123}"#,
        #"{"a":1x}"#, #"{"a":truex}"#, #"{"a":tru}"#, #"{"a":[1,]}"#, #"{"a":1,}"#, #"{"a":1 , }"#, #"{"a":[1 , ]}"#,
        #"{"a":[,]}"#, #"{,}"#, #"{"a":[1,,]}"#, #"{"a":1,,}"#, #"{"a":[1 2]}"#, #"{"a" 1}"#, #"{1:2}"#, #"{'a':1}"#,
        #"{"a":1"b":2}"#, #"{"a":1} x"#, #"{"a":1}{"b":2}"#, " {\"a\":1}\n\r\t ", "{\"a\"\n:\r1\t}", "{\"a\":1}\u{a0}",
        "{\"a\":1}\u{0}", "", "   ", "{}", "[]", "[1,2]", "\"text\"", "3", "null", #"{"":1}"#,
        #"{"a":"\ud83d\ude00"}"#, #"{"a":"\ud800"}"#, #"{"a":"\udc00x"}"#, #"{"a":"\uDE00\uD83D"}"#,
        #"{"a":"\uD83D\u0041"}"#,
        #"{"a":"\uD83D\\"}"#, #"{"a":"\u12"}"#, #"{"a":"\uZZZZ"}"#, #"{"a":"\UD83D"}"#,
        #"{"a":"\u00e9\uabcd\uFFFF\u0000"}"#,
        #"{"a":"\/\b\f\n\r\t\"\\"}"#, #"{"a":"\x"}"#, "{\"a\":\"x\ty\"}", "{\"a\":\"\u{7f}\u{2028}\"}", #"{"a":"x"  "#,
        #"{"a":"x"}}"#, #"{"a":{"b":{},"c":[],"d":[{}]}}"#, #"{"a":true,"b":false,"c":null}"#,
        #"{"a":[1,{"b":1e400}]}"#, #"{"a":[1,{"b":"\ud800"}]}"#, #"{"a":[1,{"b":1e-400}],"c":2}"#,
    ]

    static let edgeBytes: [[UInt8]] = [
        [0xEF, 0xBB, 0xBF] + Array(#"{"a":1}"#.utf8), [0xEF, 0xBB, 0xBF, 0x20] + Array(#"{"a":1}"#.utf8),
        [0x20, 0xEF, 0xBB, 0xBF] + Array(#"{"a":1}"#.utf8), [0xEF, 0xBB] + Array(#"{"a":1}"#.utf8),
        Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8), Array(#"{"a":""#.utf8) + [0xC3] + Array(#""}"#.utf8),
        Array(#"{"a":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8),
        Array(#"{"a":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8),
        Array(String(repeating: "[", count: 600).utf8), nested(511), nested(512), nested(513),
    ]

    /// `{"a":` and `depth` nested arrays.
    static func nested(_ depth: Int) -> [UInt8] {
        Array(("{\"a\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}").utf8)
    }

    @Test func edgeCasesParseAsJSONDecoderDecodesThem() {
        for bytes in Self.edgeCases {
            #expect(
                JSONValue.parse(bytes) == Self.decoded(bytes),
                "\(String(decoding: bytes.prefix(60), as: UTF8.self).debugDescription)")
        }
    }

    /// Where the parser does not follow `JSONDecoder`: a zero written with a one-digit exponent
    /// (`0e5`, `0.000e5`) is valid JSON that `JSONDecoder` refuses, and a repeated key's dropped
    /// value is checked like any other value (`JSONDecoder` never converts it).
    @Test func knownDifferences() {
        for text in [#"{"a":0e5}"#, #"{"a":0.000e5}"#, #"{"a":0E1}"#] {
            #expect(JSONValue.parse(Array(text.utf8)) == .object(["a": .number(0)]), "\(text)")
            #expect(Self.decoded(Array(text.utf8)) == nil, "JSONDecoder now takes \(text): fold it into the edge cases")
        }
        for text in [#"{"a":1,"a":1e400}"#, #"{"a":1,"a":"\ud800"}"#] {
            #expect(JSONValue.parse(Array(text.utf8)) == nil, "\(text)")
            #expect(Self.decoded(Array(text.utf8)) == .object(["a": .number(1)]), "JSONDecoder now refuses \(text)")
        }
    }

    /// A zero with an exponent: compared only in ``knownDifferences()``.
    static func hasZeroWithExponent(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.contains(/(^|[^0-9.])0(\.0*)?[eE]/)
    }

    @Test func valuesAreTheOnesWritten() throws {
        let bytes = Array(
            #"{"s":"a\"b\u00e9😀","n":-12.5e1,"t":true,"f":false,"z":null,"l":[1,"x",{}],"o":{"k":0},"k":1,"k":2}"#.utf8)
        let value = try #require(JSONValue.parse(bytes))
        #expect(
            value
                == .object([
                    "s": .string("a\"bé😀"), "n": .number(-125), "t": .bool(true), "f": .bool(false), "z": .null,
                    "l": .array([.number(1), .string("x"), .object([:])]), "o": .object(["k": .number(0)]),
                    "k": .number(1),
                ]))
        #expect(JSONValue.parse(Array("{\"a\":1}".utf8)) != nil)
        #expect(JSONValue.parse(Array("{\"a\":1".utf8)) == nil)
        // Deeper than the limit is refused, not a crash.
        #expect(JSONValue.parse(Array(String(repeating: "[", count: 100_000).utf8)) == nil)
    }

    /// Generated documents, and the same documents cut, with a byte changed, inserted or
    /// removed: the parser and `JSONDecoder` agree on every one. The generator writes distinct
    /// keys and no number beyond a `Double` (the edge cases have those), so that a mutation that
    /// repeats a key does not run into the second known difference.
    @Test func agreesWithJSONDecoderOnGeneratedAndMutatedDocuments() async {
        var random = SystemRandomNumberGenerator()
        let interesting: [UInt8] =
            Array(#"{}[]",:\/-+.eE0123456789 tfnulru"#.utf8) + [0x00, 0x09, 0x0A, 0x7F, 0x80, 0xC3, 0xA9, 0xFF]
        var checked = 0
        for round in 0..<2_000 {
            // Seconds of CPU in all: give the (two-thread) test pool back now and then, so that
            // timed tests running beside this one are not starved.
            if round % 50 == 0 { await Task.yield() }
            let document = Array(Self.randomValue(depth: 0, &random).utf8)
            var variants = [document]
            for _ in 0..<4 where !document.isEmpty {
                var mutated = document
                let position = Int.random(in: 0..<mutated.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: mutated[position] = interesting.randomElement(using: &random)!
                case 1: mutated.insert(interesting.randomElement(using: &random)!, at: position)
                case 2: mutated.remove(at: position)
                default: mutated = Array(mutated[..<position])
                }
                variants.append(mutated)
            }
            for bytes in variants where !Self.hasZeroWithExponent(bytes) {
                let parsed = JSONValue.parse(bytes)
                let expected = Self.decoded(bytes)
                #expect(parsed == expected, "\(String(decoding: bytes, as: UTF8.self).debugDescription)")
                checked += 1
            }
        }
        // Only the rare mutation that writes a zero with an exponent is left out.
        #expect(checked > 9_000)
    }

    /// Random JSON text: an object at the top, with whitespace, escapes, numbers of every form.
    static func randomValue(depth: Int, _ random: inout SystemRandomNumberGenerator) -> String {
        let space = [" ", "", "", "\n", "\t"]
        func ws() -> String { space.randomElement(using: &random)! }
        let kind = depth == 0 ? 0 : Int.random(in: 0..<(depth > 3 ? 7 : 9), using: &random)
        switch kind {
        case 0, 7:
            let count = Int.random(in: 0...4, using: &random)
            let members = (0..<count).map { index in
                "\(ws())\(randomString(&random, suffix: "\(index)"))\(ws()):\(ws())\(randomValue(depth: depth + 1, &random))\(ws())"
            }
            return "{" + members.joined(separator: ",")
                + (count > 0 && Int.random(in: 0..<10, using: &random) == 0 ? "," : "") + "}"
        case 8:
            let count = Int.random(in: 0...4, using: &random)
            return "["
                + (0..<count).map { _ in ws() + randomValue(depth: depth + 1, &random) + ws() }.joined(separator: ",")
                + "]"
        case 1, 2: return randomString(&random)
        case 3, 4: return randomNumber(&random)
        case 5: return ["true", "false"].randomElement(using: &random)!
        default: return "null"
        }
    }

    static func randomString(_ random: inout SystemRandomNumberGenerator, suffix: String = "") -> String {
        let pieces = [
            "a", "symbol", "BTCUSDT", "é", "😀", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\u00e9", "\\ud83d\\ude00",
            "\\u0000", " ", "secret",
        ]
        let count = Int.random(in: 0...4, using: &random)
        return "\"" + (0..<count).map { _ in pieces.randomElement(using: &random)! }.joined() + suffix + "\""
    }

    static func randomNumber(_ random: inout SystemRandomNumberGenerator) -> String {
        let sign = Bool.random(using: &random) ? "-" : ""
        let integer = ["0", "1", "7", "30000", "123456789012345678901234567890"].randomElement(using: &random)!
        let fraction = ["", ".5", ".001", ".000", ".25"].randomElement(using: &random)!
        let exponent =
            integer == "0" ? "" : ["", "", "e5", "E-3", "e+2", "e200", "e-200"].randomElement(using: &random)!
        return sign + integer + fraction + exponent
    }
}
