import Foundation

/// The `/pnl/summary` figures over a set of closed positions.
public struct PnLSummary: Sendable, Equatable {
    /// One closed position as the summary needs it.
    public struct Close: Sendable {
        public let day: String
        public let realizedPnL: Double
        public let fees: Double

        public init(day: String, realizedPnL: Double, fees: Double) {
            self.day = day
            self.realizedPnL = realizedPnL
            self.fees = fees
        }
    }

    public struct Day: Sendable, Equatable {
        public let day: String
        public let realizedPnL: Double
        public let trades: Int

        public init(day: String, realizedPnL: Double, trades: Int) {
            self.day = day
            self.realizedPnL = realizedPnL
            self.trades = trades
        }
    }

    public let totalRealizedPnL: Double
    public let totalFees: Double
    /// Share of closes with a positive PnL, 0...1; 0 without closes.
    public let winRate: Double
    public let averageWin: Double
    /// Mean of the losing closes, a negative number (0 without losses).
    public let averageLoss: Double
    /// Gross wins over gross losses; nil when there are no losses (it would be infinite).
    public let profitFactor: Double?
    public let closedCount: Int
    /// Oldest day first.
    public let byDay: [Day]

    public init(closes: [Close]) {
        let wins = closes.map(\.realizedPnL).filter { $0 > 0 }
        let losses = closes.map(\.realizedPnL).filter { $0 < 0 }
        totalRealizedPnL = closes.reduce(0) { $0 + $1.realizedPnL }
        totalFees = closes.reduce(0) { $0 + $1.fees }
        closedCount = closes.count
        winRate = closes.isEmpty ? 0 : Double(wins.count) / Double(closes.count)
        averageWin = wins.isEmpty ? 0 : wins.reduce(0, +) / Double(wins.count)
        averageLoss = losses.isEmpty ? 0 : losses.reduce(0, +) / Double(losses.count)
        let grossLoss = -losses.reduce(0, +)
        profitFactor = grossLoss > 0 ? wins.reduce(0, +) / grossLoss : nil
        byDay = Dictionary(grouping: closes, by: \.day)
            .map { Day(day: $0.key, realizedPnL: $0.value.reduce(0) { $0 + $1.realizedPnL }, trades: $0.value.count) }
            .sorted { $0.day < $1.day }
    }
}
