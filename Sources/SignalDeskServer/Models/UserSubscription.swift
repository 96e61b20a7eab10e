import Fluent
import Foundation
import SignalDeskCore

/// A user's subscription (issue 24, HUMBEX): at most one per user; no row is status `none`.
final class UserSubscription: Model, @unchecked Sendable {
    static let schema = "subscriptions"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "plan") var plan: String
    @Enum(key: "status") var status: SubscriptionStatus
    @OptionalField(key: "current_period_end") var currentPeriodEnd: Date?
    /// The admin who set it last.
    @OptionalField(key: "updated_by") var updatedBy: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var terms: SubscriptionTerms { SubscriptionTerms(plan: plan, status: status, periodEnd: currentPeriodEnd) }
}

/// A subscription message a user was sent (a reminder before the period ends, or the notice that
/// alerts were refused), unique per user and key and per user and day: the insert that succeeds
/// is the one that queues the message, on every instance.
final class SubscriptionNotice: Model, @unchecked Sendable {
    static let schema = "subscription_notices"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    /// The trading day it was sent (`yyyy-MM-dd`).
    @Field(key: "day") var day: String
    /// What it was about (``SubscriptionReminder/key(periodEnd:)``, or `refused-<day>`).
    @Field(key: "key") var key: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
