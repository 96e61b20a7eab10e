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

extension Application {
    private struct PricesKey: StorageKey {
        typealias Value = MarketPrices
    }

    var marketPrices: MarketPrices {
        get {
            guard let prices = storage[PricesKey.self] else { fatalError("configure() installs the price store") }
            return prices
        }
        set { storage[PricesKey.self] = newValue }
    }
}
