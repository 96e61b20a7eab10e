import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// `GET /ops/admin/auto-pick/report`: the auto-picks of the last hours, newest first, read from
/// their `pretrade.auto_pick.completed` audit rows (the audit log is the record of what was
/// decided; nothing else keeps it).
enum AutoPickReport {
    struct Row: Content {
        let timestamp: Date
        /// The start of the row's interval; crypto-saas's name, whatever the interval.
        let bucket5m: Date
        let userEmail: String
        let exchange: String
        let dryRun: Bool
        let selected: Bool
        let bought: Bool
        @NullEncodable var symbol: String?
        @NullEncodable var side: String?
        @NullEncodable var qty: Double?
        @NullEncodable var score: Double?
        let decision: String
        let reason: String
        let scannedAssets: Int
        let predictionVsReal: String

        enum CodingKeys: String, CodingKey {
            case timestamp, bucket5m = "bucket_5m", userEmail, exchange, dryRun, selected, bought, symbol, side, qty
            case score, decision, reason, scannedAssets, predictionVsReal
        }
    }

    struct Answer: Content {
        let generatedAt: Date
        let hours: Int
        let windowFrom: Date
        let windowTo: Date
        let intervalMinutes: Int
        let rows: [Row]
    }

    /// The audit details an auto-pick writes, as far as the report reads them.
    struct Details: Decodable {
        let exchange: String?
        let dryRun: Bool?
        let decision: String?
        let selected: Bool?
        let selectedSymbol: String?
        let selectedSide: String?
        let selectedQty: Double?
        let selectedScore: Double?
        let topFailedChecks: String?
        let scannedAssets: Int?

        enum CodingKeys: String, CodingKey {
            case exchange, dryRun = "dry_run", decision, selected, selectedSymbol = "selected_symbol"
            case selectedSide = "selected_side", selectedQty = "selected_qty", selectedScore = "selected_score"
            case topFailedChecks = "top_failed_checks", scannedAssets = "scanned_assets"
        }
    }

    static func build(hours: Int, limit: Int, intervalMinutes: Int, now: Date, on db: any Database) async throws
        -> Answer
    {
        let from = now.addingTimeInterval(-Double(hours) * 3600)
        let entries = try await AuditEntry.query(on: db)
            .filter(\.$action == AuditAction.pretradeAutoPickCompleted.rawValue)
            .filter(\.$createdAt >= from)
            .sort(\.$createdAt, .descending).sort(\.$id, .descending)
            .limit(limit).all()
        let userIDs = Set(entries.compactMap(\.userID))
        let users = userIDs.isEmpty ? [] : try await User.query(on: db).filter(\.$id ~~ Array(userIDs)).all()
        let emails = Dictionary(uniqueKeysWithValues: users.compactMap { user in user.id.map { ($0, user.email) } })
        let rows = entries.map { entry -> Row in
            let details =
                entry.details.flatMap { try? JSONDecoder().decode(Details.self, from: Data($0.utf8)) }
                ?? Details(
                    exchange: nil, dryRun: nil, decision: nil, selected: nil, selectedSymbol: nil, selectedSide: nil,
                    selectedQty: nil, selectedScore: nil, topFailedChecks: nil, scannedAssets: nil)
            let decision = details.decision ?? "unknown"
            let selected = details.selected ?? false
            let failed = (details.topFailedChecks ?? "").split(separator: ",").map(String.init)
            return Row(
                timestamp: entry.createdAt,
                bucket5m: AutoPick.bucket(entry.createdAt, intervalMinutes: intervalMinutes),
                userEmail: entry.userID.flatMap { emails[$0] } ?? "unknown", exchange: details.exchange ?? "UNKNOWN",
                dryRun: details.dryRun ?? true, selected: selected,
                bought: AutoPick.Decision(rawValue: decision)?.bought ?? false, symbol: details.selectedSymbol,
                side: details.selectedSide, qty: details.selectedQty, score: details.selectedScore, decision: decision,
                reason: AutoPick.reason(decision: decision, selected: selected, topFailedChecks: failed),
                scannedAssets: details.scannedAssets ?? 0, predictionVsReal: "no_prediction")
        }
        return Answer(
            generatedAt: now, hours: hours, windowFrom: from, windowTo: now, intervalMinutes: intervalMinutes,
            rows: rows)
    }
}
