import Foundation

/// Why opening a position is refused, in the order the checks run (contract.md).
public enum OpenBlock: Sendable, Equatable {
    case maxOpenPositions
    case cooldown(minutes: Double)
    case dailyStop
    case maxTrades
    case riskPerTrade
    /// The profile requires a stop loss and the signal has none (stored profiles only).
    case stopLossRequired
    /// The user's open quantity of the symbol, this open included, would pass
    /// `MAX_OPEN_QTY_PER_SYMBOL`.
    case symbolExposure(projected: Double, max: Double)

    /// The 409 detail, exactly as crypto-saas answers it.
    public var message: String {
        switch self {
        case .maxOpenPositions: "Risk block: max open positions reached"
        case .cooldown(let minutes): "Risk block: cooldown active (\(String(format: "%.1f", minutes))m)"
        case .dailyStop: "Risk block: daily stop reached"
        case .maxTrades: "Risk block: max trades reached"
        case .riskPerTrade: "Risk block: risk per trade exceeded"
        case .stopLossRequired: "Risk block: stop loss required"
        case .symbolExposure(let projected, let max):
            "Risk block: symbol exposure exceeded (\(PythonFloat.repr(projected))>\(PythonFloat.repr(max)))"
        }
    }

    /// The suffix of the block's audit action (`position.open.blocked.{suffix}`) and its reason code.
    public var code: String {
        switch self {
        case .maxOpenPositions: "max_open_positions"
        case .cooldown: "cooldown"
        case .dailyStop: "daily_stop"
        case .maxTrades: "max_trades"
        case .riskPerTrade: "risk_per_trade"
        case .stopLossRequired: "stop_loss_required"
        case .symbolExposure: "symbol_exposure"
        }
    }
}

/// `MAX_OPEN_QTY_PER_SYMBOL` (crypto-saas): the most of one symbol a user may hold in open positions,
/// opens in flight included; 0 turns the limit off.
public struct SymbolExposureLimit: Sendable, Equatable {
    public let maxOpenQty: Double

    public init(maxOpenQty: Double) {
        self.maxOpenQty = maxOpenQty
    }

    public static let off = SymbolExposureLimit(maxOpenQty: 0)

    public var isOn: Bool { maxOpenQty > 0 }

    /// The block for adding `qty` to `openQty` of the symbol, or nil when it fits (or the limit is off).
    public func block(openQty: Double, adding qty: Double) -> OpenBlock? {
        guard isOn else { return nil }
        let projected = openQty + qty
        return projected > maxOpenQty ? .symbolExposure(projected: projected, max: maxOpenQty) : nil
    }
}

/// The risk checks before opening a position from a signal.
public struct OpenRiskCheck: Sendable {
    /// What the checks look at, read inside the opening transaction.
    public struct State: Sendable {
        /// Positions booked `OPEN`.
        public var openPositions: Int
        /// Opens on their way to a venue: an order reserved under the user's lock whose position is
        /// not booked yet (the venue has not answered, or its answer is being booked). They count
        /// as open positions, and their reservation time as activity, so that N alerts executed
        /// at once are limited exactly as N alerts executed one after another.
        public var pendingOpens: Int
        /// The latest open, close or reservation of any of the user's positions.
        public var lastActivityAt: Date?
        public var tradesToday: Int
        public var realizedPnLToday: Double
        /// The open quantity of the symbol being opened (booked and in flight), read only when
        /// ``SymbolExposureLimit`` is on.
        public var symbolOpenQty: Double

        public init(
            openPositions: Int, pendingOpens: Int = 0, lastActivityAt: Date?, tradesToday: Int,
            realizedPnLToday: Double,
            symbolOpenQty: Double = 0
        ) {
            self.openPositions = openPositions
            self.pendingOpens = pendingOpens
            self.lastActivityAt = lastActivityAt
            self.tradesToday = tradesToday
            self.realizedPnLToday = realizedPnLToday
            self.symbolOpenQty = symbolOpenQty
        }

        /// What the open-positions limit counts: booked positions and opens in flight.
        public var committedPositions: Int { openPositions + pendingOpens }
    }

    public let limits: RiskLimits
    public let exposure: SymbolExposureLimit

    public init(limits: RiskLimits, exposure: SymbolExposureLimit = .off) {
        self.limits = limits
        self.exposure = exposure
    }

    /// The first block that applies to opening `qty` at `entry` with `stop`, or nil to open.
    /// Without a stop the risk of the trade is unknown and the risk-per-trade check is skipped.
    public func firstBlock(state: State, qty: Double, entry: Double, stop: Double?, now: Date) -> OpenBlock? {
        let profile = limits.rules
        if state.committedPositions >= profile.maxOpenPositions { return .maxOpenPositions }
        if let last = state.lastActivityAt, now.timeIntervalSince(last) < profile.cooldownMinutes * 60 {
            return .cooldown(minutes: profile.cooldownMinutes)
        }
        if state.realizedPnLToday <= limits.dailyStop { return .dailyStop }
        if state.tradesToday >= profile.maxTradesPerDay { return .maxTrades }
        if let stop, RiskLimits.riskOf(qty: qty, entry: entry, stop: stop) > limits.maxRiskPerTrade + 1e-9 {
            return .riskPerTrade
        }
        if profile.stopLossRequired && stop == nil { return .stopLossRequired }
        if let block = exposure.block(openQty: state.symbolOpenQty, adding: qty) { return block }
        return nil
    }
}
