import SignalDeskVenues
import Testing

@Suite struct RequestSigningTests {
    /// The example of Binance's rest-api.md "SIGNED endpoint examples".
    @Test func binanceDocumentationVector() {
        let signature = RequestSigning.hmacSHA256Hex(
            secret: "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
            payload:
                "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        )
        #expect(signature == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")
    }

    /// RFC 4231 test case 2 (key "Jefe").
    @Test func rfc4231Vector() {
        #expect(
            RequestSigning.hmacSHA256Hex(secret: "Jefe", payload: "what do ya want for nothing?")
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
