import Foundation

/// How healthy the learning data is (issue 25, group 13): counts per window, and a semaphore with
/// recommendations read from the last 24 hours, with crypto-saas's thresholds and wording.
public enum LearningHealth {
    /// The windows reported, newest first: label and hours.
    public static let windows: [(label: String, hours: Int)] = [
        ("24h", 24), ("7d", 24 * 7), ("30d", 24 * 30), ("6m", 24 * 30 * 6), ("1y", 24 * 365),
    ]

    /// What one window holds.
    public struct Counts: Sendable, Equatable {
        public var decisions: Int
        public var outcomes: Int
        public var pending: Int
        public var labeled: Int
        public var expired: Int
        public var noPrice: Int
        /// Labeled outcomes whose move was favourable.
        public var hits: Int

        public init(
            decisions: Int = 0, outcomes: Int = 0, pending: Int = 0, labeled: Int = 0, expired: Int = 0,
            noPrice: Int = 0, hits: Int = 0
        ) {
            self.decisions = decisions
            self.outcomes = outcomes
            self.pending = pending
            self.labeled = labeled
            self.expired = expired
            self.noPrice = noPrice
            self.hits = hits
        }

        public var labeledRatePct: Double { LearningOutcome.rate(labeled, of: outcomes) }
        public var expiredRatePct: Double { LearningOutcome.rate(expired, of: outcomes) }
        public var noPriceRatePct: Double { LearningOutcome.rate(noPrice, of: outcomes) }
        /// The share of labeled outcomes that were hits; nil before any was labeled.
        public var hitRatePct: Double? { labeled > 0 ? LearningOutcome.rate(hits, of: labeled) : nil }
    }

    public enum Semaphore: String, Sendable, Codable {
        case green, yellow, red
    }

    public struct Assessment: Sendable, Equatable {
        public var semaphore: Semaphore
        public var summary: String
        public var recommendations: [String]
    }

    /// The semaphore of the last 24 hours: red when a quarter or more of the outcomes expired or
    /// had no price; yellow with fewer than 10 outcomes, under 45 % labeled, or a hit rate under
    /// 45 % over 20 or more labeled; green otherwise.
    public static func assess(day: Counts) -> Assessment {
        var semaphore = Semaphore.green
        var recommendations: [String] = []
        if day.outcomes < 10 {
            semaphore = .yellow
            recommendations.append("Aumentar muestras recientes (24h) antes de subir peso de modelo.")
        }
        if day.expiredRatePct >= 25 || day.noPriceRatePct >= 25 {
            semaphore = .red
            recommendations.append("Reducir expirados/no_price: revisar fuentes de precio y horizonte de etiquetado.")
        } else if day.labeledRatePct < 45 {
            semaphore = .yellow
            recommendations.append(
                "Subir tasa de etiquetado ejecutando /ops/admin/learning/label con mayor frecuencia.")
        }
        if let hitRate = day.hitRatePct, day.labeled >= 20, hitRate < 45 {
            if semaphore != .red { semaphore = .yellow }
            recommendations.append("Calibrar reglas/modelo: hit_rate 24h bajo para muestras etiquetadas.")
        }
        if recommendations.isEmpty {
            recommendations.append("Salud estable. Mantener ciclo label->rollup->retention y monitoreo diario.")
        }
        let hit = day.hitRatePct.map(PythonFloat.repr) ?? "-"
        let summary =
            "24h labeled=\(PythonFloat.repr(day.labeledRatePct))% expired=\(PythonFloat.repr(day.expiredRatePct))% "
            + "no_price=\(PythonFloat.repr(day.noPriceRatePct))% hit=\(hit)%"
        return Assessment(semaphore: semaphore, summary: summary, recommendations: recommendations)
    }
}
