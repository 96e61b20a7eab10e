import Fluent
import Foundation
import SQLKit
import SignalDeskCore

/// The `subscriptions` and `subscription_notices` tables (issue 24).
struct SubscriptionStore {
    /// `userID`'s subscription, ``SubscriptionTerms/none`` without a row.
    func terms(userID: UUID, on db: any Database) async throws -> SubscriptionTerms {
        try await UserSubscription.query(on: db).filter(\.$user.$id == userID).first()?.terms ?? .none
    }

    /// Sets `userID`'s subscription to `update` (creating the row), written by `admin`.
    func set(_ update: SubscriptionUpdate, userID: UUID, by admin: UUID, on db: any Database) async throws
        -> UserSubscription
    {
        let row = try await UserSubscription.query(on: db).filter(\.$user.$id == userID).first() ?? UserSubscription()
        row.$user.id = userID
        row.plan = update.plan
        row.status = update.status
        row.currentPeriodEnd = update.periodEnd
        row.updatedBy = admin
        try await row.save(on: db)
        return row
    }

    /// Every stored subscription's terms, by user.
    func termsByUser(on db: any Database) async throws -> [UUID: SubscriptionTerms] {
        Dictionary(
            try await UserSubscription.query(on: db).all().map { ($0.$user.id, $0.terms) },
            uniquingKeysWith: { first, _ in first })
    }

    /// Every user with their subscription (nil without one), by email.
    func everyone(on db: any Database) async throws -> [(user: User, subscription: UserSubscription?)] {
        let users = try await User.query(on: db).sort(\.$email).all()
        let rows = try await UserSubscription.query(on: db).all()
        let byUser = Dictionary(rows.map { ($0.$user.id, $0) }, uniquingKeysWith: { first, _ in first })
        return users.map { user in (user, user.id.flatMap { byUser[$0] }) }
    }

    /// Subscriptions that still entitle (active or trialing) and end within `window` after `now`
    /// (the candidates for a reminder).
    func ending(within window: TimeInterval, now: Date, on db: any Database) async throws -> [UserSubscription] {
        try await UserSubscription.query(on: db)
            .filter(\.$status ~~ [.active, .trialing])
            .filter(\.$currentPeriodEnd > now)
            .filter(\.$currentPeriodEnd <= now.addingTimeInterval(window))
            .all()
    }

    /// Marks every `active` or `trialing` subscription whose period ended at or before `now` as
    /// `expired`. Returns how many.
    func expireEnded(now: Date, on db: any Database) async throws -> Int {
        let ended = try await UserSubscription.query(on: db)
            .filter(\.$status ~~ [.active, .trialing])
            .filter(\.$currentPeriodEnd <= now)
            .all(\.$id)
        guard !ended.isEmpty else { return 0 }
        try await UserSubscription.query(on: db)
            .filter(\.$id ~~ ended)
            .filter(\.$status ~~ [.active, .trialing])
            .set(\.$status, to: .expired)
            .set(\.$updatedAt, to: now)
            .update()
        return ended.count
    }

    /// Records that `userID` is sent the message `key` on `day`. False when they were already sent
    /// that message, or any subscription message that day: the caller then sends nothing. Two
    /// instances that try at once: one insert wins.
    func recordNotice(userID: UUID, key: String, day: String, now: Date, on db: any Database) async throws -> Bool {
        let inserted = try await db.sql(for: "SubscriptionStore").raw(
            """
            INSERT INTO subscription_notices (id, user_id, day, key, created_at)
            VALUES (\(bind: UUID()), \(bind: userID), \(bind: day), \(bind: key), \(bind: now))
            ON CONFLICT DO NOTHING
            RETURNING id
            """
        ).all()
        return inserted.count == 1
    }
}
