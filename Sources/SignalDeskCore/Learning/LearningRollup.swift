import Foundation

/// Hourly aggregates of labeled outcomes (issue 25, group 13): one group per hour the outcomes
/// were labeled in, exchange, symbol and horizon.
public enum LearningRollup {
    /// At most this many labeled outcomes are read by one refresh (crypto-saas's
    /// LEARNING_ROLLUP_MAX_ROWS default); `truncated` says when the window held more.
    public static let maxRows = 50_000

    public struct Sample: Sendable, Equatable {
        public var labeledAt: Date
        public var exchange: String
        public var symbol: String
        public var horizonMinutes: Int
        public var returnPct: Double
        public var hit: Bool
        public var score: Double?

        public init(
            labeledAt: Date, exchange: String, symbol: String, horizonMinutes: Int, returnPct: Double, hit: Bool,
            score: Double?
        ) {
            self.labeledAt = labeledAt
            self.exchange = exchange
            self.symbol = symbol
            self.horizonMinutes = horizonMinutes
            self.returnPct = returnPct
            self.hit = hit
            self.score = score
        }
    }

    public struct Key: Sendable, Hashable, Comparable {
        public var bucketHour: Date
        public var exchange: String
        public var symbol: String
        public var horizonMinutes: Int

        public static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.bucketHour, lhs.exchange, lhs.symbol, lhs.horizonMinutes)
                < (rhs.bucketHour, rhs.exchange, rhs.symbol, rhs.horizonMinutes)
        }
    }

    public struct Group: Sendable, Equatable {
        public var key: Key
        public var samples: Int
        public var hitRatePct: Double
        public var avgReturnPct: Double
        public var p50ReturnPct: Double
        public var p90ReturnPct: Double
        /// The mean score of the decisions that had one; nil when none had.
        public var avgScore: Double?
    }

    /// The start of the UTC hour `date` falls in.
    public static func hour(of date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
    }

    /// The groups of `samples`, ordered by hour, exchange, symbol and horizon.
    public static func aggregate(_ samples: [Sample]) -> [Group] {
        var byKey: [Key: [Sample]] = [:]
        for sample in samples {
            let key = Key(
                bucketHour: hour(of: sample.labeledAt), exchange: sample.exchange, symbol: sample.symbol,
                horizonMinutes: sample.horizonMinutes)
            byKey[key, default: []].append(sample)
        }
        return byKey.keys.sorted().map { key in
            let rows = byKey[key] ?? []
            let returns = rows.map(\.returnPct)
            let scores = rows.compactMap(\.score)
            return Group(
                key: key, samples: rows.count,
                hitRatePct: round(Double(rows.filter(\.hit).count) / Double(rows.count) * 100, 4),
                avgReturnPct: round(returns.reduce(0, +) / Double(rows.count), 6),
                p50ReturnPct: round(percentile(returns, 0.5), 6), p90ReturnPct: round(percentile(returns, 0.9), 6),
                avgScore: scores.isEmpty ? nil : round(scores.reduce(0, +) / Double(scores.count), 4))
        }
    }

    /// The `p` quantile (0...1) of `values` with linear interpolation between the closest ranks;
    /// 0 for no values.
    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let position = Double(sorted.count - 1) * min(max(p, 0), 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }

    static func round(_ value: Double, _ places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (value * scale).rounded() / scale
    }
}
