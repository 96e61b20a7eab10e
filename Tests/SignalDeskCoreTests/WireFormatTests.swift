import SignalDeskCore
import Testing

/// Python's float repr and crypto-saas's prepare preview (contract.md, "Wire details").
@Suite struct WireFormatTests {
    /// Expected texts are what CPython 3.11 printed for repr(value).
    @Test func floatsAreWrittenAsPythonWritesThem() {
        let cases: [(Double, String)] = [
            (0.01, "0.01"),
            (0.5, "0.5"),
            (2.5, "2.5"),
            (1.0, "1.0"),
            (1e-05, "1e-05"),
            (0.0001, "0.0001"),
            (0.00012345, "0.00012345"),
            (100.0, "100.0"),
            (1e+16, "1e+16"),
            (1000000000000000.0, "1000000000000000.0"),
            (123456789.125, "123456789.125"),
            (9007199254740992.0, "9007199254740992.0"),
            (1.5e-10, "1.5e-10"),
            (0.30000000000000004, "0.30000000000000004"),
            (1e+22, "1e+22"),
            (5e-324, "5e-324"),
            (1.7976931348623157e+308, "1.7976931348623157e+308"),
            (3e-05, "3e-05"),
            (12345.678, "12345.678"),
            (-0.25, "-0.25"),
            (3.238327648331624e-05, "3.238327648331624e-05"),
            (3.948234964231735e-08, "3.948234964231735e-08"),
            (72436286.66754276, "72436286.66754276"),
            (941300419.3968256, "941300419.3968256"),
            (5799892.47747068, "5799892.47747068"),
            (2.1469818083566171e-07, "2.1469818083566171e-07"),
            (4.3364568366238583e-07, "4.3364568366238583e-07"),
            (240663000.127025, "240663000.127025"),
            (4.24519189142514e+17, "4.24519189142514e+17"),
            (0.05654536941930797, "0.05654536941930797"),
            (0, "0.0"),
            (-0.0, "-0.0"),
        ]
        for (value, expected) in cases {
            #expect(PythonFloat.repr(value) == expected, "\(value)")
        }
    }

    /// Vectors computed with Python: hmac.new(secret, f"{EXCHANGE}|{SYMBOL}|{SIDE}|{qty!r}", sha256).hexdigest()[:12].
    @Test func preparePreviewMatchesCryptoSaas() {
        let vectors: [(Double, String)] = [
            (0.01, "2db96625c020"), (0.5, "d04f9a481a03"), (2.5, "00516236b091"), (1.0, "567a0d5e53fa"),
            (1e-05, "f7eda6c1ed29"), (100.0, "dcac1909d13a"), (1e16, "f51e6774be34"), (123456789.125, "f7f51ecaf07a"),
        ]
        for (qty, expected) in vectors {
            #expect(
                SignaturePreview.preview(
                    apiSecret: "secret-abcdefgh", exchange: .binance, symbol: "BTCUSDT", side: "BUY", qty: qty)
                    == expected, "\(qty)")
        }
        #expect(
            SignaturePreview.payload(exchange: .bybit, symbol: "ETHUSDT", side: "SELL", qty: 0.5)
                == "BYBIT|ETHUSDT|SELL|0.5")
    }
}
