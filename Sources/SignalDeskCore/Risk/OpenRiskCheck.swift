import Foundation

/// Why opening a position is refused, in the order the checks run (contract.md).
public enum OpenBlock: Sendable, Equatable {
    case maxOpenPositions
    case cooldown(minutes: Int)
    case dailyStop
    case maxTrades
    case riskPerTrade

    /// The 409 detail, exactly as crypto-saas answers it.
    public var message: String {
        switch self {
        case .maxOpenPositions: "Risk block: max open positions reached"
        case .cooldown(let minutes): "Risk block: cooldown active (\(String(format: "%.1f", Double(minutes)))m)"
        case .dailyStop: "Risk block: daily stop reached"
        case .maxTrades: "Risk block: max trades reached"
        case .riskPerTrade: "Risk block: risk per trade exceeded"
        }
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

        public init(
            openPositions: Int, pendingOpens: Int = 0, lastActivityAt: Date?, tradesToday: Int, realizedPnLToday: Double
        ) {
            self.openPositions = openPositions
            self.pendingOpens = pendingOpens
            self.lastActivityAt = lastActivityAt
            self.tradesToday = tradesToday
            self.realizedPnLToday = realizedPnLToday
        }

        /// What the open-positions limit counts: booked positions and opens in flight.
        public var committedPositions: Int { openPositions + pendingOpens }
    }

    public let limits: RiskLimits

    public init(limits: RiskLimits) {
        self.limits = limits
    }

    /// The first block that applies to opening `qty` at `entry` with `stop`, or nil to open.
    /// Without a stop the risk of the trade is unknown and the risk-per-trade check is skipped.
    public func firstBlock(state: State, qty: Double, entry: Double, stop: Double?, now: Date) -> OpenBlock? {
        let profile = limits.profile.limits
        if state.committedPositions >= profile.maxOpenPositions { return .maxOpenPositions }
        if let last = state.lastActivityAt, now.timeIntervalSince(last) < Double(profile.cooldownMinutes) * 60 {
            return .cooldown(minutes: profile.cooldownMinutes)
        }
        if state.realizedPnLToday <= limits.dailyStop { return .dailyStop }
        if state.tradesToday >= profile.maxTradesPerDay { return .maxTrades }
        if let stop, RiskLimits.riskOf(qty: qty, entry: entry, stop: stop) > limits.maxRiskPerTrade + 1e-9 {
            return .riskPerTrade
        }
        return nil
    }
}
