import Foundation

/// A dYdX v4 perpetual market as the indexer describes it (`GET /v4/perpetualMarkets`), with the
/// official clients' conversions between sizes and prices and the chain's integer units.
public struct DydxMarket: Sendable, Equatable {
    public let ticker: String
    public let clobPairID: UInt32
    public let atomicResolution: Int
    public let quantumConversionExponent: Int
    public let stepBaseQuantums: UInt64
    public let subticksPerTick: UInt64
    public let oraclePrice: Double

    public init(
        ticker: String, clobPairID: UInt32, atomicResolution: Int, quantumConversionExponent: Int,
        stepBaseQuantums: UInt64, subticksPerTick: UInt64, oraclePrice: Double
    ) {
        self.ticker = ticker
        self.clobPairID = clobPairID
        self.atomicResolution = atomicResolution
        self.quantumConversionExponent = quantumConversionExponent
        self.stepBaseQuantums = stepBaseQuantums
        self.subticksPerTick = subticksPerTick
        self.oraclePrice = oraclePrice
    }

    /// `floor(size × 10^(−atomicResolution) / stepBaseQuantums) × stepBaseQuantums`, at least
    /// `stepBaseQuantums`; nil for a size that is not a positive finite number or does not fit.
    public func quantums(size: Double) -> UInt64? {
        Self.decimal(size).flatMap { Self.steps(of: $0, exponent: -atomicResolution, step: stepBaseQuantums) }
    }

    /// `floor(price × 10^(atomicResolution − quantumConversionExponent + 6) / subticksPerTick) ×
    /// subticksPerTick`, at least `subticksPerTick`; nil for a price that is not a positive finite
    /// number or does not fit.
    public func subticks(price: Double) -> UInt64? {
        Self.decimal(price).flatMap(subticks(exactPrice:))
    }

    func subticks(exactPrice price: Decimal) -> UInt64? {
        Self.steps(of: price, exponent: atomicResolution - quantumConversionExponent + 6, step: subticksPerTick)
    }

    /// The size `quantums` stand for.
    public func size(quantums: UInt64) -> Double {
        Self.double(Self.scaled(Decimal(quantums), by: atomicResolution))
    }

    /// The price `subticks` stand for.
    public func price(subticks: UInt64) -> Double {
        Self.double(Self.scaled(Decimal(subticks), by: -(atomicResolution - quantumConversionExponent + 6)))
    }

    /// Whether an order's integers are multiples of the market's steps (what the chain checks).
    public func accepts(quantums: UInt64, subticks: UInt64) -> Bool {
        quantums >= stepBaseQuantums && quantums % stepBaseQuantums == 0 && subticks >= subticksPerTick
            && subticks % subticksPerTick == 0
    }

    /// The decimal text of a double (its shortest form), so 0.3 is 3/10 and not 0.29999…
    static func decimal(_ value: Double) -> Decimal? {
        guard value.isFinite, value > 0 else { return nil }
        return Decimal(string: "\(value)", locale: Locale(identifier: "en_US_POSIX"))
    }

    static func scaled(_ value: Decimal, by exponent: Int) -> Decimal {
        let power = pow(Decimal(10), abs(exponent))
        return exponent >= 0 ? value * power : value / power
    }

    static func double(_ value: Decimal) -> Double { NSDecimalNumber(decimal: value).doubleValue }

    static func steps(of value: Decimal, exponent: Int, step: UInt64) -> UInt64? {
        guard step > 0, value > 0 else { return nil }
        var units = scaled(value, by: exponent) / Decimal(step)
        var whole = Decimal()
        NSDecimalRound(&whole, &units, 0, .down)
        guard whole < Decimal(UInt64(1) << 62) / Decimal(step) else { return nil }
        let count = max(1, NSDecimalNumber(decimal: whole).uint64Value)
        return count * step
    }
}
