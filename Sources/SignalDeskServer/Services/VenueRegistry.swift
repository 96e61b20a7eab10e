import AsyncHTTPClient
import Fluent
import SignalDeskCore
import SignalDeskVenues
import Vapor

/// Last known prices per symbol (from accepted alerts and fills), for paper fills and exits.
actor MarketPrices {
    private var prices: [String: Double] = [:]

    func update(_ symbol: String, _ price: Double) {
        guard price.isFinite, price > 0 else { return }
        prices[symbol.uppercased()] = price
    }

    func last(_ symbol: String) -> Double? {
        prices[symbol.uppercased()]
    }
}

/// The venue clients of this application, each behind its own circuit breaker.
struct VenueRegistry: Sendable {
    let binance: GuardedVenue
    let bybit: GuardedVenue
    let ibkr: GuardedVenue
    let paper: GuardedVenue

    init(config: AppConfig, client: HTTPClient, prices: MarketPrices) {
        let transport = HTTPTransport(client: client, timeout: .milliseconds(Int(config.venueTimeoutSeconds * 1000)))
        let lastPrice: @Sendable (String) async -> Double? = { await prices.last($0) }
        binance = GuardedVenue(
            BinanceClient(baseURL: config.binanceTestnetBaseURL.absoluteString, transport: transport))
        bybit = GuardedVenue(BybitClient(baseURL: config.bybitBaseURL.absoluteString, transport: transport))
        ibkr = GuardedVenue(
            IBKRClient(
                bridgeURL: config.ibkrBridgeBaseURL?.absoluteString, transport: transport,
                simulator: PaperVenue(
                    name: "IBKR", feeBps: config.paperFeeBps, slippageBps: config.paperSlippageBps, lastPrice: lastPrice
                )))
        paper = GuardedVenue(
            PaperVenue(feeBps: config.paperFeeBps, slippageBps: config.paperSlippageBps, lastPrice: lastPrice))
    }

    func venue(for exchange: Exchange) -> GuardedVenue {
        switch exchange {
        case .binance: binance
        case .bybit: bybit
        case .ibkr: ibkr
        }
    }

    /// Circuit state per venue, for `/health/detailed`.
    func circuitStates() async -> [String: String] {
        var states: [String: String] = [:]
        for venue in [binance, bybit, ibkr, paper] {
            states[venue.name] = await venue.breaker.state.rawValue
        }
        return states
    }
}

extension Application {
    private struct VenuesKey: StorageKey {
        typealias Value = VenueRegistry
    }

    private struct PricesKey: StorageKey {
        typealias Value = MarketPrices
    }

    var venues: VenueRegistry {
        get {
            guard let venues = storage[VenuesKey.self] else { fatalError("configure() installs the venues") }
            return venues
        }
        set { storage[VenuesKey.self] = newValue }
    }

    var marketPrices: MarketPrices {
        get {
            guard let prices = storage[PricesKey.self] else { fatalError("configure() installs the price store") }
            return prices
        }
        set { storage[PricesKey.self] = newValue }
    }
}

/// Unseals a user's exchange credentials for one call.
enum ExchangeCredentials {
    static func load(userID: UUID, exchange: Exchange, keyRing: KeyRing, on db: any Database) async throws -> (
        VenueCredentials, masked: String
    )? {
        guard
            let row = try await ExchangeSecret.query(on: db).filter(\.$user.$id == userID).filter(
                \.$exchange == exchange
            ).first()
        else { return nil }
        let key = try keyRing.openString(
            row.apiKeySealed, context: SealedField.exchangeAPIKey(exchange).context(owner: userID))
        let secret = try keyRing.openString(
            row.apiSecretSealed, context: SealedField.exchangeAPISecret(exchange).context(owner: userID))
        return (VenueCredentials(apiKey: key, apiSecret: secret), row.apiKeyMasked)
    }
}
