import Fluent
import Foundation
import SQLKit
import SignalDeskVenues

/// The `orders` rows of the execution (``SignalExecution``): the `PENDING` reservation written
/// before a venue is called, the venue's answer, a placement that failed, and the position an
/// order opened. Every update finds its row by the unique client order id. The SQL is the same on
/// PostgreSQL and SQLite, so this is one store, not a protocol with two implementations.
struct OrderStore: Sendable {
    /// What a placement that brought no answer leaves on its order row.
    enum PlacementFailure: String, Sendable {
        /// The venue's answer is unknown (timeout, 5xx, a failed query): it may hold the order,
        /// so the next attempt asks it first.
        case unknown = "UNKNOWN"
        /// The venue refused the order.
        case rejected = "REJECTED"
    }

    /// Writes the `PENDING` order row of `request` for the signal `signalID` of `userID`, unless a
    /// row with its client order id exists. True when this call wrote it.
    func reserve(
        _ request: OrderRequest, userID: UUID, signalID: UUID, venue: String, now: Date, on db: any Database
    ) async throws -> Bool {
        let inserted = try await db.sql(for: "OrderStore").raw(
            """
            INSERT INTO orders (id, user_id, signal_id, venue, client_order_id, symbol, side, qty, price, status, created_at, updated_at)
            VALUES (\(bind: UUID()), \(bind: userID), \(bind: signalID), \(bind: venue), \(bind: request.clientOrderID),
                    \(bind: request.symbol), \(bind: request.side.orderWord), \(bind: request.qty), \(bind: request.price), 'PENDING', \(bind: now), \(bind: now))
            ON CONFLICT (client_order_id) DO NOTHING
            RETURNING id
            """
        ).all()
        return !inserted.isEmpty
    }

    /// Records the venue's answer `result` on the order `clientOrderID`: its status, the venue's
    /// order id, the filled quantity and the average price.
    func recordResult(_ result: OrderResult, clientOrderID: String, now: Date, on db: any Database) async throws {
        try await db.sql(for: "OrderStore").update("orders")
            .set("status", to: SQLBind(result.status.rawValue)).set("venue_order_id", to: SQLBind(result.venueOrderID))
            .set("filled_qty", to: SQLBind(result.filledQty)).set("average_price", to: SQLBind(result.averagePrice))
            .set("updated_at", to: SQLBind(now)).where("client_order_id", .equal, SQLBind(clientOrderID))
            .run()
    }

    /// Records a placement of the order `clientOrderID` that failed as `failure`, with the error's text.
    func recordFailure(
        _ failure: PlacementFailure, error: String, clientOrderID: String, now: Date, on db: any Database
    ) async throws {
        try await db.sql(for: "OrderStore").update("orders")
            .set("status", to: SQLBind(failure.rawValue)).set("error", to: SQLBind(error))
            .set("updated_at", to: SQLBind(now)).where("client_order_id", .equal, SQLBind(clientOrderID))
            .run()
    }

    /// Links the order `clientOrderID` to the position `positionID` it opened.
    func attachPosition(_ positionID: UUID, clientOrderID: String, on db: any Database) async throws {
        try await db.sql(for: "OrderStore").update("orders")
            .set("position_id", to: SQLBind(positionID))
            .where("client_order_id", .equal, SQLBind(clientOrderID)).run()
    }
}
