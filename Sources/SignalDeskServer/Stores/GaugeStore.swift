import Fluent
import Foundation
import SQLKit
import SignalDeskCore

/// Counts read at scrape or health time (`/metrics`, `/ops/health/detailed`): one grouped query
/// each, whatever the number of rows' owners.
enum GaugeStore {
    /// Signals per stored status.
    static func signalsByStatus(on db: any Database) async throws -> [(status: String, count: Int)] {
        try await db.sql(for: "GaugeStore").raw("SELECT status, COUNT(*) AS n FROM signals GROUP BY status").all()
            .map { (try $0.decode(column: "status", as: String.self), try $0.decode(column: "n", as: Int.self)) }
    }

    /// Orders per stored venue and status.
    static func ordersByVenueAndStatus(on db: any Database) async throws
        -> [(venue: String, status: String, count: Int)]
    {
        try await db.sql(for: "GaugeStore").raw(
            "SELECT venue, status, COUNT(*) AS n FROM orders GROUP BY venue, status"
        ).all().map {
            (
                try $0.decode(column: "venue", as: String.self), try $0.decode(column: "status", as: String.self),
                try $0.decode(column: "n", as: Int.self)
            )
        }
    }

    /// Signals waiting for the worker or their client (`CREATED`).
    static func waitingSignals(on db: any Database) async throws -> Int {
        try await db.sql(for: "GaugeStore")
            .select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "depth")
            .from("signals").where("status", .equal, SignalStatus.created.rawValue)
            .first(decodingColumn: "depth", as: Int.self) ?? 0
    }
}
