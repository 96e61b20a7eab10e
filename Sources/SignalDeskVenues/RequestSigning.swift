import Crypto
import SignalDeskCore

/// Request signatures the venues verify: lower-case hex HMAC-SHA256 of a payload.
public enum RequestSigning {
    /// Hex HMAC-SHA256 of `payload` under `secret` (Binance, Bybit v5 and the IBKR bridge all use it).
    public static func hmacSHA256Hex(secret: String, payload: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(payload.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return Hex.encode(mac)
    }
}
