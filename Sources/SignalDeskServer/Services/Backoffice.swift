import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// The viewer's back office (issue 25, group 6; crypto-saas's `/ops/backoffice/*`): who the users
/// are and what the platform holds, read-only for admins and viewers. SignalDesk is one tenant
/// (`tenant_id` is always `default`, as crypto-saas answers).
struct Backoffice {
    let app: Application
    let db: any Database

    struct Summary: Content {
        let tenantId: String
        let generatedAt: Date
        let usersTotal: Int
        let admins: Int
        let traders: Int
        let viewers: Int
        let disabled: Int
        let usersWith2fa: Int
        let usersMissing2fa: Int
        let usersWithExchangeSecrets: Int
        let openPositionsTotal: Int
        let signalsPending: Int
        let tradingEnabled: Bool

        enum CodingKeys: String, CodingKey {
            case tenantId, generatedAt, usersTotal, admins, traders, viewers, disabled, usersWithExchangeSecrets
            case openPositionsTotal, signalsPending, tradingEnabled
            case usersWith2fa = "users_with_2fa"
            case usersMissing2fa = "users_missing_2fa"
        }
    }

    struct UserRow: Content {
        let id: UUID
        let email: String
        let role: UserRole
        let riskProfile: String
        let twoFactorEnabled: Bool
        let exchangesConfigured: [String]
        let staleSecret: Bool
        let openPositions: Int
        let signalsPending: Int
        let subscription: SubscriptionStatus
    }

    static let tenantID = "default"

    func users(now: Date, maxSecretAgeDays: Int = 30) async throws -> [UserRow] {
        try await load(now: now, maxSecretAgeDays: maxSecretAgeDays).rows
    }

    /// The rows and the posture they were read from (whose summary counts 2FA as the posture and
    /// the dashboard do).
    private func load(now: Date, maxSecretAgeDays: Int) async throws -> (
        rows: [UserRow], posture: SecurityPosture.Report
    ) {
        let facts = OpsFacts(db: db, store: app.stores.opsFacts)
        let everyone = try await facts.users()
        let byID = Dictionary(everyone.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let posture = try await SecurityPosture(db: db, keyRing: app.appConfig.keyRing, opsFacts: app.stores.opsFacts)
            .report(realOnly: false, maxSecretAgeDays: maxSecretAgeDays, now: now, everyone: everyone)
        let positions = try await facts.positions(
            day: TradingCalendar(timeZone: app.appConfig.tradingDayTimeZone).day(of: now))
        let signals = try await facts.signals(failedSince: now)
        let subscriptions = try await SubscriptionStore().termsByUser(on: db)
        let book = PositionBook(app: app, db: db)
        let profiles = try await app.tradingSettings.current(on: db).profiles
        let rows: [UserRow] = posture.users.compactMap { entry in
            guard let user = byID[entry.userId] else { return nil }
            let exchanges = entry.exchangesConfigured.map(\.rawValue)
            return UserRow(
                id: entry.userId, email: entry.email, role: entry.role,
                riskProfile: book.limits(
                    storedProfile: user.riskProfile, email: user.email, capital: user.capitalBaseUSD, profiles: profiles
                )
                .profileName,
                twoFactorEnabled: entry.twoFactorEnabled, exchangesConfigured: exchanges.sorted(),
                staleSecret: entry.staleSecret,
                openPositions: (positions[entry.userId] ?? [:]).values.reduce(0) { $0 + $1.openNow },
                signalsPending: signals[entry.userId]?.pending ?? 0,
                subscription: (subscriptions[entry.userId] ?? .none).status)
        }
        return (rows, posture)
    }

    func summary(now: Date) async throws -> Summary {
        let (rows, posture) = try await load(now: now, maxSecretAgeDays: 30)
        return try await summary(rows: rows, posture: posture, now: now)
    }

    /// The summary and the users from one read (the daily snapshot's two parts). The summary's
    /// counts do not depend on the secret age.
    func summaryAndUsers(now: Date, maxSecretAgeDays: Int) async throws -> (summary: Summary, users: [UserRow]) {
        let (rows, posture) = try await load(now: now, maxSecretAgeDays: maxSecretAgeDays)
        return (try await summary(rows: rows, posture: posture, now: now), rows)
    }

    private func summary(rows: [UserRow], posture: SecurityPosture.Report, now: Date) async throws -> Summary {
        func count(_ role: UserRole) -> Int { rows.filter { $0.role == role }.count }
        return Summary(
            tenantId: Self.tenantID, generatedAt: now, usersTotal: rows.count, admins: count(.admin),
            traders: count(.trader), viewers: count(.viewer), disabled: count(.disabled),
            usersWith2fa: rows.filter(\.twoFactorEnabled).count,
            usersMissing2fa: posture.summary.usersMissing2fa,
            usersWithExchangeSecrets: rows.filter { !$0.exchangesConfigured.isEmpty }.count,
            openPositionsTotal: rows.reduce(0) { $0 + $1.openPositions },
            signalsPending: rows.reduce(0) { $0 + $1.signalsPending },
            tradingEnabled: !(try await app.killSwitch.state(on: db).enabled))
    }
}
