import Foundation

/// Read-only calls to a dYdX v4 indexer (REFERENCE.md, "Indexer REST"): the account view of
/// `GET /api/user/account-balance`. Amounts arrive as decimal strings.
public struct DydxIndexerClient: Sendable {
    /// Subaccount 0 of an address.
    public struct Subaccount: Sendable, Equatable {
        public let equity: Double
        public let freeCollateral: Double
        /// Σ |size| × entry price of the open perpetual positions (their notional at entry).
        public let openPositionsValue: Double

        /// Equity not free as collateral.
        public var marginUsed: Double { max(0, equity - freeCollateral) }
    }

    let baseURL: String
    let transport: HTTPTransport

    public init(baseURL: String, transport: HTTPTransport) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.transport = transport
    }

    /// `GET /v4/addresses/{address}/subaccountNumber/0`.
    public func subaccount(address: String) async throws(VenueError) -> Subaccount {
        guard address.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw .invalid("not a dYdX address")
        }
        let answer = try await transport.send(.GET, "\(baseURL)/v4/addresses/\(address)/subaccountNumber/0", retries: 1)
        guard (200..<300).contains(answer.status) else {
            if answer.status >= 500 { throw .unavailable(status: answer.status, body: "") }
            throw .rejected(status: answer.status, code: nil, body: String(answer.body.prefix(200)))
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any],
            let subaccount = object["subaccount"] as? [String: Any],
            let equity = Self.number(subaccount["equity"]),
            let free = Self.number(subaccount["freeCollateral"])
        else { throw .invalid("the indexer's answer has no subaccount equity") }
        let positions = (subaccount["openPerpetualPositions"] as? [String: Any]) ?? [:]
        let value = positions.values.reduce(0.0) { total, position in
            guard let position = position as? [String: Any], let size = Self.number(position["size"]),
                let entry = Self.number(position["entryPrice"])
            else { return total }
            return total + abs(size) * entry
        }
        return Subaccount(equity: equity, freeCollateral: free, openPositionsValue: value)
    }

    private static func number(_ value: Any?) -> Double? {
        switch value {
        case let text as String: Double(text).flatMap { $0.isFinite ? $0 : nil }
        case let number as NSNumber: number.doubleValue
        default: nil
        }
    }
}
