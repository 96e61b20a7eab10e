import AsyncHTTPClient
import Fluent
import SignalDeskCore
import SignalDeskVenues
import Vapor

/// The venue clients of this application, each behind its own circuit breaker.
struct VenueRegistry: Sendable {
    let binance: GuardedVenue
    let bybit: GuardedVenue
    let ibkr: GuardedVenue
    let dydx: GuardedVenue
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
        let network = config.dydxNetwork
        dydx = GuardedVenue(
            DydxClient(
                indexerURL: config.dydxIndexerURL?.absoluteString ?? network.publicIndexerURL,
                nodeURL: config.dydxNodeRESTURL?.absoluteString ?? network.publicNodeRESTURL,
                chainID: config.dydxChainID, transport: transport))
        paper = GuardedVenue(
            PaperVenue(feeBps: config.paperFeeBps, slippageBps: config.paperSlippageBps, lastPrice: lastPrice))
    }

    /// The dYdX client behind the DYDX circuit, for what only it does (TP/SL orders).
    var dydxClient: DydxClient? { dydx.base as? DydxClient }

    func venue(for exchange: Exchange) -> GuardedVenue {
        switch exchange {
        case .binance: binance
        case .bybit: bybit
        case .ibkr: ibkr
        case .dydx: dydx
        }
    }

    /// Circuit state per venue, for `/health/detailed`.
    func circuitStates() async -> [String: String] {
        var states: [String: String] = [:]
        for venue in [binance, bybit, ibkr, dydx, paper] {
            states[venue.name] = await venue.breaker.state.rawValue
        }
        return states
    }
}

extension Application {
    private struct VenuesKey: StorageKey {
        typealias Value = VenueRegistry
    }

    var venues: VenueRegistry {
        get {
            guard let venues = storage[VenuesKey.self] else { fatalError("configure() installs the venues") }
            return venues
        }
        set { storage[VenuesKey.self] = newValue }
    }
}

extension OrderType {
    /// The venue order type of a signal's order type.
    init(_ type: SignalOrderType) {
        switch type {
        case .market: self = .market
        case .limit: self = .limit
        }
    }
}
