import Fluent
import SignalDeskCore
import SignalDeskVenues
import Vapor

/// Client-facing text for a venue failure, in crypto-saas's words
/// (`Binance test order failed: Binance testnet error {code}: {body}`). Upstream bodies are
/// shortened and any echo of the caller's key or secret is masked.
enum VenueFailureText {
    /// `action`: "test order" for the test-order endpoints, "order" for the worker's orders.
    static func describe(
        _ error: VenueError, exchange: Exchange, credentials: VenueCredentials, timeout: Double,
        action: String = "test order"
    ) -> String {
        let venueName: String =
            switch exchange {
            case .binance: "Binance"
            case .bybit: "Bybit"
            case .ibkr: "IBKR"
            case .dydx: "dYdX"
            }
        func scrub(_ body: String) -> String {
            let short = body.count > 500 ? String(body.prefix(500)) + "..." : body
            return short.replacingOccurrences(of: credentials.apiSecret, with: "***")
                .replacingOccurrences(of: credentials.apiKey, with: SecretMask.mask(credentials.apiKey))
        }
        let detail: String
        switch (exchange, error) {
        case (.ibkr, .invalid(let message)): detail = message
        case (.dydx, .rejected(_, let code?, let body)): detail = "chain error code \(code): \(scrub(body))"
        case (.ibkr, .rejected(let status, _, let body)), (.ibkr, .unavailable(let status, let body)):
            detail = "bridge error \(status): \(scrub(body))"
        case (_, .rejected(let status, _, let body)), (_, .unavailable(let status, let body)):
            detail = "\(venueName) testnet error \(status): \(scrub(body))"
        case (_, .timeout):
            detail = "\(venueName) testnet error timeout: no answer within \(PretradeCheck.number(timeout)) s"
        case (_, .transport(let what)): detail = "\(venueName) testnet error connection: \(what)"
        case (_, .circuitOpen):
            detail = "\(venueName) testnet error circuit_open: too many recent failures, retry later"
        case (_, .invalid(let message)): detail = "\(venueName) testnet error invalid: \(message)"
        }
        return "\(venueName) \(action) failed: \(detail)"
    }
}
