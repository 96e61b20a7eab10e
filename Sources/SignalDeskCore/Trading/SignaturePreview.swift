import Crypto

/// `POST /ops/execution/prepare`'s `signature_preview`, as crypto-saas computes it: the first 12
/// lower-case hex characters of HMAC-SHA256 keyed with the API secret over
/// `"{EXCHANGE}|{SYMBOL}|{SIDE}|{qty}"`, qty written as Python writes a float. It shows the
/// caller that the stored secret signs, without revealing a usable signature.
public enum SignaturePreview {
    public static func payload(exchange: Exchange, symbol: String, side: String, qty: Double) -> String {
        "\(exchange.rawValue)|\(symbol)|\(side)|\(PythonFloat.repr(qty))"
    }

    public static func preview(apiSecret: String, exchange: Exchange, symbol: String, side: String, qty: Double)
        -> String
    {
        let key = SymmetricKey(data: Array(apiSecret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(payload(exchange: exchange, symbol: symbol, side: side, qty: qty).utf8), using: key)
        return String(Hex.encode(mac).prefix(12))
    }
}
