import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// Readiness, the daily gate and the daily snapshot (issue 25, group 10; crypto-saas's
/// `/users/readiness/report`, `/ops/admin/readiness/daily-gate`, `/ops/admin/snapshot/daily`):
/// views over the posture, the dashboard and the back office, nothing stored.
struct Readiness {
    let app: Application
    let db: any Database

    struct Options: Sendable {
        var realOnly = true
        var includeServiceUsers = false
        var maxSecretAgeDays = 30
        var recentHours = 24
    }

    struct UserRow: Content {
        let userId: UUID
        let email: String
        let role: UserRole
        let ready: Bool
        let missing: [TradingReadiness.Missing]
        let twoFactorEnabled: Bool
        let exchangesConfigured: [String]
        let staleSecret: Bool
    }

    struct Summary: Content {
        let totalUsers: Int
        let readyUsers: Int
        let missingUsers: Int
        let missing2fa: Int
        let missingExchangeSecret: Int
        let staleSecrets: Int

        enum CodingKeys: String, CodingKey {
            case totalUsers, readyUsers, missingUsers, missingExchangeSecret, staleSecrets
            case missing2fa = "missing_2fa"
        }
    }

    struct Report: Content {
        let generatedAt: Date
        let realOnly: Bool
        let includeServiceUsers: Bool
        let maxSecretAgeDays: Int
        let summary: Summary
        let users: [UserRow]
    }

    struct Gate: Content {
        let passed: Bool
        let checkedAt: Date
        let checks: [DailyGate.Check]
        let securitySummary: SecurityPosture.Summary
        let readinessSummary: Summary
    }

    struct Snapshot: Content {
        let generatedAt: Date
        let dashboard: OpsReports.Summary
        let backofficeSummary: Backoffice.Summary
        let backofficeUsers: [Backoffice.UserRow]
        let securityPosture: SecurityPosture.Report
        let riskDailyCompare: OpsReports.DailyCompare
        let dailyGate: Gate
    }

    func posture(_ options: Options, now: Date) async throws -> SecurityPosture.Report {
        try await SecurityPosture(db: db, keyRing: app.appConfig.keyRing, opsFacts: app.stores.opsFacts)
            .report(realOnly: options.realOnly, maxSecretAgeDays: options.maxSecretAgeDays, now: now)
    }

    func report(_ options: Options, now: Date, posture given: SecurityPosture.Report? = nil) async throws -> Report {
        let posture: SecurityPosture.Report
        if let given { posture = given } else { posture = try await self.posture(options, now: now) }
        let scope = UserScope(
            realOnly: options.realOnly, includeServiceUsers: options.includeServiceUsers, emailContains: nil,
            exchange: nil)
        let rows: [UserRow] = posture.users.compactMap { entry in
            guard entry.role == .admin || entry.role == .trader, scope.includes(email: entry.email, exchanges: [])
            else { return nil }
            let exchanges = entry.exchangesConfigured.map(\.rawValue)
            let missing = TradingReadiness.missing(
                twoFactorMissing: SecurityPosture.missesTwoFactor(entry), exchangesConfigured: exchanges.count,
                staleSecret: entry.staleSecret)
            return UserRow(
                userId: entry.userId, email: entry.email, role: entry.role, ready: missing.isEmpty, missing: missing,
                twoFactorEnabled: entry.twoFactorEnabled, exchangesConfigured: exchanges.sorted(),
                staleSecret: entry.staleSecret)
        }
        let summary = Summary(
            totalUsers: rows.count, readyUsers: rows.filter(\.ready).count,
            missingUsers: rows.filter { !$0.ready }.count,
            missing2fa: rows.filter { $0.missing.contains(.twoFactor) }.count,
            missingExchangeSecret: rows.filter { $0.missing.contains(.exchangeSecret) }.count,
            staleSecrets: rows.filter(\.staleSecret).count)
        return Report(
            generatedAt: now, realOnly: options.realOnly, includeServiceUsers: options.includeServiceUsers,
            maxSecretAgeDays: options.maxSecretAgeDays, summary: summary, users: rows)
    }

    func gate(_ options: Options, now: Date, posture given: SecurityPosture.Report? = nil) async throws -> Gate {
        let posture: SecurityPosture.Report
        if let given { posture = given } else { posture = try await self.posture(options, now: now) }
        let readiness = try await report(options, now: now, posture: posture)
        let chain = try await AuditChainSealing(app: app, db: db).verify()
        let killSwitch = try await app.killSwitch.state(on: db)
        let gate = DailyGate.evaluate(
            usersMissing2FA: posture.summary.usersMissing2fa,
            usersWithStaleSecrets: posture.summary.usersWithStaleSecrets,
            secretsOnRetiredKeys: posture.summary.secretsOnRetiredKeys, killSwitchEngaged: killSwitch.enabled,
            auditChainValid: chain.valid, usersNotReady: readiness.summary.missingUsers)
        return Gate(
            passed: gate.passed, checkedAt: now, checks: gate.checks, securitySummary: posture.summary,
            readinessSummary: readiness.summary)
    }

    func snapshot(_ options: Options, for caller: String, now: Date) async throws -> Snapshot {
        let reports = OpsReports(app: app, db: db)
        let backoffice = Backoffice(app: app, db: db)
        let scope = UserScope(
            realOnly: options.realOnly, includeServiceUsers: options.includeServiceUsers, emailContains: nil,
            exchange: nil)
        // One posture for the posture part and the gate, one read for both back-office parts.
        let posture = try await posture(options, now: now)
        let office = try await backoffice.summaryAndUsers(now: now, maxSecretAgeDays: options.maxSecretAgeDays)
        return Snapshot(
            generatedAt: now,
            dashboard: try await reports.summary(
                scope: scope, maxSecretAgeDays: options.maxSecretAgeDays, recentHours: options.recentHours, for: caller,
                now: now),
            backofficeSummary: office.summary, backofficeUsers: office.users, securityPosture: posture,
            riskDailyCompare: try await reports.dailyCompare(realOnly: options.realOnly, for: caller, now: now),
            dailyGate: try await gate(options, now: now, posture: posture))
    }
}
