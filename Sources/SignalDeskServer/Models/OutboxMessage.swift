import Fluent
import Foundation
import SignalDeskCore

/// A notification waiting to be delivered. Written in the same transaction as the event it
/// reports, so it exists exactly when the event does.
final class OutboxMessage: Model, @unchecked Sendable {
    static let schema = "outbox"

    @OptionalParent(key: "user_id") var user: User?
    @ID(key: .id) var id: UUID?
    @Field(key: "channel") var channel: String
    /// The message text (Telegram HTML).
    @Field(key: "payload") var payload: String
    /// `PENDING`, `SENT`, `FAILED` (gave up) or `SKIPPED` (nowhere to send it).
    @Field(key: "status") var status: String
    @Field(key: "attempts") var attempts: Int
    @Field(key: "next_attempt_at") var nextAttemptAt: Date
    @OptionalField(key: "last_error") var lastError: String?
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "sent_at") var sentAt: Date?

    init() {}

    init(userID: UUID?, text: String, now: Date) {
        self.$user.id = userID
        self.channel = "telegram"
        self.payload = text
        self.status = "PENDING"
        self.attempts = 0
        self.nextAttemptAt = now
        self.createdAt = now
    }
}

/// Notification texts in Telegram's HTML mode; every interpolated value is escaped.
enum NotificationText {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func number(_ value: Double) -> String {
        escape(String(format: "%.8g", value))
    }

    static func executed(symbol: String, side: String, qty: Double, price: Double, venue: String) -> String {
        "✅ <b>Executed</b> \(escape(side)) \(number(qty)) <b>\(escape(symbol))</b> @ \(number(price)) on \(escape(venue))"
    }

    static func rejected(symbol: String, reasons: [String]) -> String {
        "⛔ <b>Rejected</b> \(escape(symbol)): \(escape(reasons.joined(separator: ", ")))"
    }

    static func failed(symbol: String, error: String) -> String {
        "⚠️ <b>Failed</b> \(escape(symbol)): \(escape(error))"
    }

    static func closed(symbol: String, pnl: Double, reason: String) -> String {
        "\(pnl >= 0 ? "🟢" : "🔴") <b>Closed</b> \(escape(symbol)) PnL \(number(pnl)) (\(escape(reason)))"
    }

    static func subscriptionRefused(symbols: [String]) -> String {
        "⛔ <b>Subscription inactive</b>: alerts for \(escape(symbols.joined(separator: ", "))) were not executed. "
            + "Renew your subscription to trade again (this is the only such message today)."
    }

    static func subscriptionEnding(_ reminder: SubscriptionReminder, plan: String, periodEnd: Date) -> String {
        let when = reminder == .oneDay ? "within a day" : "within 7 days"
        return "⏳ <b>Subscription ending</b>: your \(escape(plan)) plan ends \(when), at "
            + "\(escape(ISO8601DateFormatter().string(from: periodEnd))). Renew it to keep trading."
    }
}
