import Fluent
import SignalDeskCore
import Vapor

/// crypto-saas's learning endpoints (issue 25, group 13; admin only): the auto-picks recorded as
/// decisions, labeled with the price move after their horizon, rolled up per hour.
/// Out-of-range numbers and unknown filters are 400s with crypto-saas's messages
/// (``LearningQuery``); a value that is not a number or a boolean at all is a 422.
struct LearningController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let learning = routes.adminOnly.grouped("ops", "admin", "learning")
        learning.get("status", use: Self.status)
        learning.get("health", use: Self.health)
        learning.get("dataset", use: Self.dataset)
        learning.get("suggestion-report", use: Self.suggestionReport)
        learning.post("label", use: Self.label)
        learning.post("rollup", "refresh", use: Self.refreshRollup)
    }

    @Sendable static func status(req: Request) async throws -> LearningReports.Status {
        try await LearningReports.status(now: req.application.wallClock.now(), on: req.db)
    }

    @Sendable static func health(req: Request) async throws -> LearningReports.Health {
        let exchange = try refusing { () throws(LearningQuery.Refusal) in
            try LearningQuery.ExchangeFilter(parsing: req.query[String.self, at: "exchange"])
        }
        return try await LearningReports.health(exchange: exchange, now: req.application.wallClock.now(), on: req.db)
    }

    @Sendable static func dataset(req: Request) async throws -> LearningDataset.Answer {
        let hours = try int(req, "hours", default: 24, range: LearningQuery.hours)
        let limit = try int(req, "limit", default: 1000, range: LearningQuery.rowLimit)
        let (status, exchange) = try refusing { () throws(LearningQuery.Refusal) in
            (
                try LearningQuery.StatusFilter(parsing: req.query[String.self, at: "outcome_status"]),
                try LearningQuery.ExchangeFilter(parsing: req.query[String.self, at: "exchange"])
            )
        }
        return try await LearningDataset.dataset(
            hours: hours, limit: limit, status: status, exchange: exchange, now: req.application.wallClock.now(),
            on: req.db)
    }

    @Sendable static func suggestionReport(req: Request) async throws -> LearningDataset.SuggestionReport {
        let hours = try int(req, "hours", default: 24, range: LearningQuery.hours)
        let limit = try int(req, "limit", default: 500, range: LearningQuery.rowLimit)
        let (exchange, status) = try refusing { () throws(LearningQuery.Refusal) in
            (
                try LearningQuery.ExchangeFilter(parsing: req.query[String.self, at: "exchange"]),
                try LearningQuery.StatusFilter(parsing: req.query[String.self, at: "outcome_status"])
            )
        }
        return try await LearningDataset.suggestionReport(
            hours: hours, limit: limit, exchange: exchange, status: status, now: req.application.wallClock.now(),
            on: req.db)
    }

    @Sendable static func label(req: Request) async throws -> LearningPipeline.LabelRun {
        let caller = try req.caller
        let dryRun = try QueryValue.bool(req, "dry_run", default: true)
        let horizon = try optionalInt(req, "horizon_minutes", range: LearningQuery.horizonMinutes)
        let limit = try int(req, "limit", default: 500, range: LearningQuery.labelLimit)
        let run = try await LearningPipeline.label(
            horizon: horizon, limit: limit, dryRun: dryRun, now: req.application.wallClock.now(),
            prices: req.application.marketPrices, transactions: req.application.stores.transactions, on: req.db)
        if !dryRun {
            try await AuditLog.record(
                AuditAction.learningLabelRun, userID: caller.id, entityType: "learning",
                details: [
                    "horizon_minutes": .int(run.horizonMinutes), "scanned": .int(run.scanned),
                    "labeled": .int(run.labeled), "expired": .int(run.expired), "no_price": .int(run.noPrice),
                ], on: req.db)
        }
        return run
    }

    @Sendable static func refreshRollup(req: Request) async throws -> LearningPipeline.RollupRun {
        let caller = try req.caller
        let hours = try int(req, "hours", default: 48, range: LearningQuery.hours)
        let dryRun = try QueryValue.bool(req, "dry_run", default: false)
        let run = try await LearningPipeline.refreshRollup(
            hours: hours, dryRun: dryRun, now: req.application.wallClock.now(),
            transactions: req.application.stores.transactions, on: req.db)
        if !dryRun {
            try await AuditLog.record(
                AuditAction.learningRollupRefreshed, userID: caller.id, entityType: "learning",
                details: [
                    "hours": .int(run.hours), "groups": .int(run.groups), "processed_rows": .int(run.processedRows),
                ], on: req.db)
        }
        return run
    }

    /// An integer query value: 422 when it is not an integer, 400 "`name` must be between ..." when
    /// it is out of `range`.
    static func int(_ req: Request, _ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        try optionalInt(req, name, range: range) ?? fallback
    }

    static func optionalInt(_ req: Request, _ name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let raw = req.query[String.self, at: name] else { return nil }
        guard let value = Int(raw.trimmingCharacters(in: .whitespaces)) else {
            throw APIError(
                .unprocessableEntity,
                items: [.init(loc: ["query", name], msg: "\(name) must be an integer", type: "int_parsing")])
        }
        return try refusing { () throws(LearningQuery.Refusal) in try LearningQuery.inRange(name, value, range) }
    }

    static func refusing<T>(_ body: () throws(LearningQuery.Refusal) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw APIError(.badRequest, error.message)
        }
    }
}
