import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// The learning pipeline's read side (issue 25, group 13): status, health, dataset and the
/// suggestion report, over ``LearningDecision`` and ``LearningOutcomeRow``.
enum LearningReports {
    struct Status: Content {
        let generatedAt: Date
        let pending: Int
        let labeled: Int
        let expired: Int
        let noPrice: Int
        let snapshotsTotal: Int
        let outcomesTotal: Int
        let pendingRatePct: Double
        let labeledRatePct: Double
        let expiredRatePct: Double
        let noPriceRatePct: Double
    }

    static func status(now: Date, on db: any Database) async throws -> Status {
        func count(_ status: LearningOutcome.Status) async throws -> Int {
            try await LearningOutcomeRow.query(on: db).filter(\.$status == status.rawValue).count()
        }
        let (pending, labeled, expired, noPrice) = (
            try await count(.pending), try await count(.labeled), try await count(.expired), try await count(.noPrice)
        )
        let outcomes = try await LearningOutcomeRow.query(on: db).count()
        return Status(
            generatedAt: now, pending: pending, labeled: labeled, expired: expired, noPrice: noPrice,
            snapshotsTotal: try await LearningDecision.query(on: db).count(), outcomesTotal: outcomes,
            pendingRatePct: LearningOutcome.rate(pending, of: outcomes),
            labeledRatePct: LearningOutcome.rate(labeled, of: outcomes),
            expiredRatePct: LearningOutcome.rate(expired, of: outcomes),
            noPriceRatePct: LearningOutcome.rate(noPrice, of: outcomes))
    }

    struct HealthWindow: Content {
        let label: String
        let hours: Int
        let decisionsTotal: Int
        let outcomesTotal: Int
        let pending: Int
        let labeled: Int
        let expired: Int
        let noPrice: Int
        let labeledRatePct: Double
        let expiredRatePct: Double
        let noPriceRatePct: Double
        @NullEncodable var hitRatePct: Double?
        @NullEncodable var avgReturnPct: Double?
    }

    struct Experience: Content {
        let snapshotsTotal: Int
        let outcomesTotal: Int
        let labeledTotal: Int
        let rollupRowsTotal: Int
        let lifetimeDays: Int
        @NullEncodable var firstSnapshotAt: Date?
        @NullEncodable var lastSnapshotAt: Date?
        @NullEncodable var lastOutcomeAt: Date?
        @NullEncodable var lastRollupAt: Date?
    }

    struct Health: Content {
        let generatedAt: Date
        let exchange: String
        let semaphore: LearningHealth.Semaphore
        let summary: String
        let recommendations: [String]
        let windows: [HealthWindow]
        let experience: Experience
    }

    static func health(exchange: LearningQuery.ExchangeFilter, now: Date, on db: any Database) async throws -> Health {
        func decisions() -> QueryBuilder<LearningDecision> {
            let query = LearningDecision.query(on: db)
            if case .only(let venue) = exchange { query.filter(\.$exchange == venue.rawValue) }
            return query
        }
        func outcomes() -> QueryBuilder<LearningOutcomeRow> {
            let query = LearningOutcomeRow.query(on: db)
            if case .only(let venue) = exchange { query.filter(\.$exchange == venue.rawValue) }
            return query
        }
        var windows: [HealthWindow] = []
        var day = LearningHealth.Counts()
        for (label, hours) in LearningHealth.windows {
            let from = now.addingTimeInterval(-Double(hours) * 3600)
            func count(_ status: LearningOutcome.Status) async throws -> Int {
                try await outcomes().filter(\.$decisionAt >= from).filter(\.$status == status.rawValue).count()
            }
            let counts = LearningHealth.Counts(
                decisions: try await decisions().filter(\.$decisionAt >= from).count(),
                outcomes: try await outcomes().filter(\.$decisionAt >= from).count(),
                pending: try await count(.pending), labeled: try await count(.labeled),
                expired: try await count(.expired), noPrice: try await count(.noPrice),
                hits: try await outcomes().filter(\.$decisionAt >= from)
                    .filter(\.$status == LearningOutcome.Status.labeled.rawValue).filter(\.$hit == true).count())
            let average = try await outcomes().filter(\.$decisionAt >= from)
                .filter(\.$status == LearningOutcome.Status.labeled.rawValue).filter(\.$returnPct != nil)
                .average(\.$returnPct)
            if windows.isEmpty { day = counts }
            windows.append(
                HealthWindow(
                    label: label, hours: hours, decisionsTotal: counts.decisions, outcomesTotal: counts.outcomes,
                    pending: counts.pending, labeled: counts.labeled, expired: counts.expired,
                    noPrice: counts.noPrice, labeledRatePct: counts.labeledRatePct,
                    expiredRatePct: counts.expiredRatePct, noPriceRatePct: counts.noPriceRatePct,
                    hitRatePct: counts.hitRatePct, avgReturnPct: average.map { ($0 * 10_000).rounded() / 10_000 }))
        }
        let first = try await decisions().sort(\.$decisionAt).first()?.decisionAt
        var rollups = LearningRollupHour.query(on: db)
        if case .only(let venue) = exchange { rollups = rollups.filter(\.$exchange == venue.rawValue) }
        let experience = Experience(
            snapshotsTotal: try await decisions().count(), outcomesTotal: try await outcomes().count(),
            labeledTotal: try await outcomes().filter(\.$status == LearningOutcome.Status.labeled.rawValue).count(),
            rollupRowsTotal: try await rollups.count(),
            lifetimeDays: first.map { max(0, Int(now.timeIntervalSince($0) / 86_400)) } ?? 0,
            firstSnapshotAt: first,
            lastSnapshotAt: try await decisions().sort(\.$decisionAt, .descending).first()?.decisionAt,
            lastOutcomeAt: try await outcomes().filter(\.$labeledAt != nil).sort(\.$labeledAt, .descending).first()?
                .labeledAt,
            lastRollupAt: try await rollups.copy().sort(\.$updatedAt, .descending).first()?.updatedAt)
        let assessment = LearningHealth.assess(day: day)
        return Health(
            generatedAt: now, exchange: exchange.name, semaphore: assessment.semaphore, summary: assessment.summary,
            recommendations: assessment.recommendations, windows: windows, experience: experience)
    }

    /// A decision and its outcome, as the dataset and the report read them, newest first.
    static func decisions(
        hours: Int, limit: Int, exchange: LearningQuery.ExchangeFilter, status: LearningQuery.StatusFilter,
        outcomeRequired: Bool, now: Date, on db: any Database
    ) async throws -> [(decision: LearningDecision, outcome: LearningOutcomeRow?)] {
        let from = now.addingTimeInterval(-Double(hours) * 3600)
        if case .all = status, !outcomeRequired {
            let query = LearningDecision.query(on: db).filter(\.$decisionAt >= from)
            if case .only(let venue) = exchange { query.filter(\.$exchange == venue.rawValue) }
            let rows = try await query.sort(\.$decisionAt, .descending).sort(\.$id).limit(limit).all()
            let ids = rows.compactMap(\.id)
            let outcomes = try await LearningOutcomeRow.query(on: db).filter(\.$decision.$id ~~ ids).all()
            let byDecision = Dictionary(outcomes.map { ($0.$decision.id, $0) }, uniquingKeysWith: { first, _ in first })
            return rows.map { ($0, $0.id.flatMap { byDecision[$0] }) }
        }
        let query = LearningOutcomeRow.query(on: db).join(parent: \.$decision)
            .filter(LearningDecision.self, \.$decisionAt >= from)
        if case .only(let venue) = exchange { query.filter(LearningDecision.self, \.$exchange == venue.rawValue) }
        if case .only(let wanted) = status { query.filter(\.$status == wanted.rawValue) }
        let rows = try await query.sort(LearningDecision.self, \.$decisionAt, .descending).sort(\.$id).limit(limit)
            .all()
        return try rows.map { (try $0.joined(LearningDecision.self), $0) }
    }
}
