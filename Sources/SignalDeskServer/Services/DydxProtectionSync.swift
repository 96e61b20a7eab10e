import Fluent
import Foundation
import SignalDeskCore
import SignalDeskVenues
import Vapor

/// DYDX positions whose TP or SL filled on the chain (issue 23): the position is flat there, so
/// it is closed in SignalDesk's book at the chain's fill, reason `take_profit_hit` or
/// `stop_loss_hit`, and the other order is cancelled. Run by the position monitor's sweep.
enum DydxProtectionSync {
    /// One pass over the open DYDX positions; returns how many were closed.
    @discardableResult
    static func sweep(app: Application) async -> Int {
        guard app.appConfig.executionMode != .paper, let client = app.venues.dydxClient else { return 0 }
        do {
            let db = try app.database
            let positions = try await Position.query(on: db).filter(\.$status == .open)
                .filter(\.$exchange == Exchange.dydx.rawValue).all()
            var credentials: [UUID: VenueCredentials?] = [:]
            var closed = 0
            for position in positions {
                guard let signalID = position.$signal.id else { continue }
                let userID = position.$user.id
                if credentials[userID] == nil {
                    credentials[userID] = try await TradingCredentials.dydx(
                        userID: userID, network: app.appConfig.dydxNetwork, keyRing: app.appConfig.keyRing, on: db)
                }
                guard let userCredentials = credentials[userID] ?? nil else { continue }
                if try await close(position, entry: signalID, credentials: userCredentials, client: client, app: app) {
                    closed += 1
                }
            }
            if closed > 0 { app.outboxWakeup?.signal() }
            return closed
        } catch {
            app.logger.warning("dYdX TP/SL sync stopped: \(String(reflecting: type(of: error)))")
            return 0
        }
    }

    private static func close(
        _ position: Position, entry signalID: UUID, credentials: VenueCredentials, client: DydxClient,
        app: Application
    ) async throws -> Bool {
        let entry = SignalExecution.clientOrderID(signalID)
        let fill: (role: DydxClientID.Role, result: OrderResult)?
        do {
            fill = try await client.protectionFill(
                entryClientOrderID: entry, symbol: position.symbol, credentials: credentials)
        } catch {
            return false
        }
        guard let fill else { return false }
        // The other one must not fire on a flat position (reduce-only makes the chain refuse it
        // anyway; cancelling keeps the book of open orders clean).
        // A failed cancel does not keep the fill from being booked: the next close or sweep tries
        // again, and the operator sees why in the log.
        do {
            try await client.cancelProtection(
                entryClientOrderID: entry, symbol: position.symbol, credentials: credentials)
        } catch {
            app.logger.warning(
                "dYdX: cancelling the leftover TP/SL of position \(position.id?.uuidString ?? "?") failed: \(String(reflecting: error))"
            )
        }
        do {
            _ = try await PositionBook(app: app, db: try app.database).close(
                positionID: try position.requireID(), exitPrice: fill.result.averagePrice ?? position.entryPrice,
                fees: position.fees + fill.result.fees,
                reason: fill.role == .takeProfit ? "take_profit_hit" : "stop_loss_hit", userID: position.$user.id,
                notify: true)
            return true
        } catch PositionBook.CloseFailure.notOpen {
            return false
        }
    }
}
