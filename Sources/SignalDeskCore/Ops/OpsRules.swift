import Foundation

/// The dashboard's traffic light (contract.md): red when any user in scope misses 2FA or has a stale
/// secret; else yellow when any open was blocked today; else green.
public enum OverallStatus: String, Sendable, Codable, Equatable {
    case green, yellow, red

    public static func of(usersMissing2FA: Int, usersWithStaleSecrets: Int, blockedOpenAttemptsToday: Int)
        -> OverallStatus
    {
        if usersMissing2FA > 0 || usersWithStaleSecrets > 0 { return .red }
        if blockedOpenAttemptsToday > 0 { return .yellow }
        return .green
    }
}

/// How ops reports classify audit actions. The names are part of the contract: ops scripts and
/// the dashboard count rows by them.
public enum AuditActionClass {
    public static let openBlockedPrefix = "position.open.blocked."
    public static let executionBlockedPrefix = "execution.blocked."
    public static let errorSuffix = ".error"
    public static let pretradeBlocked = "pretrade.check.blocked"
    public static let webhookAuthFailed = "webhook.auth_failed"

    /// `errors` of contract.md: actions ending `.error` or starting `execution.blocked.`.
    public static func isError(_ action: String) -> Bool {
        action.hasSuffix(errorSuffix) || action.hasPrefix(executionBlockedPrefix)
    }

    public static func isOpenBlocked(_ action: String) -> Bool { action.hasPrefix(openBlockedPrefix) }
}

/// Service users (contract.md, "Wire details"): the accounts that operate the platform rather than
/// trade on it, known by their email as in crypto-saas (`ops.bot.` prefix), whatever their role.
/// Admins and viewers are ordinary rows of the user table.
public enum ServiceUsers {
    public static let prefix = "ops.bot."

    public static func isService(email: String) -> Bool { email.lowercased().hasPrefix(prefix) }
}

/// Which users a report covers: the query filters of `/ops/dashboard/summary`.
///
/// Service users (``ServiceUsers``) are left out unless asked for. `exchange` keeps users who
/// configured that exchange or hold positions on it.
public struct UserScope: Sendable, Equatable {
    public let realOnly: Bool
    public let includeServiceUsers: Bool
    public let emailContains: String?
    public let exchange: Exchange?

    public init(realOnly: Bool, includeServiceUsers: Bool, emailContains: String?, exchange: Exchange?) {
        self.realOnly = realOnly
        self.includeServiceUsers = includeServiceUsers
        let trimmed = emailContains?.trimmingCharacters(in: .whitespaces).lowercased()
        self.emailContains = trimmed?.isEmpty == false ? trimmed : nil
        self.exchange = exchange
    }

    public func includes(email: String, exchanges: Set<Exchange>) -> Bool {
        if realOnly && !RealUser.isReal(email: email) { return false }
        if !includeServiceUsers && ServiceUsers.isService(email: email) { return false }
        if let emailContains, !email.lowercased().contains(emailContains) { return false }
        if let exchange, !exchanges.contains(exchange) { return false }
        return true
    }

    /// True when the scope can leave out rows that belong to nobody (webhook failures for an
    /// unknown endpoint): only the email and exchange filters name particular users.
    public var coversPlatformEvents: Bool { emailContains == nil && exchange == nil }
}

/// One trading day as an instant range, for counting rows stamped in UTC.
public struct TradingDayWindow: Sendable, Equatable {
    public let day: String
    public let start: Date
    public let end: Date
}

extension TradingCalendar {
    /// The `count` trading days ending with the one containing `date`, oldest first, each with
    /// its UTC bounds (a day is not always 24 hours where the zone keeps daylight saving).
    public func window(days count: Int, endingAt date: Date) -> [TradingDayWindow] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return (0..<count).reversed().map { offset in
            let start = startOfDay(date, daysBefore: offset)
            let end = calendar.date(byAdding: .day, value: 1, to: start) ?? start.addingTimeInterval(86_400)
            return TradingDayWindow(day: day(of: start), start: start, end: end)
        }
    }
}

/// A percentage rounded to two decimals; 0 when there is no capacity.
public func utilizationPercent(_ used: Int, of capacity: Int) -> Double {
    guard capacity > 0 else { return 0 }
    return (Double(used) / Double(capacity) * 10_000).rounded() / 100
}

/// Smoke-test accounts (email starting `smoke.`), which ops scripts create and the weekly
/// cleanup removes once idle.
public enum SmokeUsers {
    public static let prefix = "smoke."

    public static func isSmoke(email: String) -> Bool { email.lowercased().hasPrefix(prefix) }

    /// Idle for at least `olderThanDays` full days: the latest activity anywhere is that old.
    public static func eligible(lastActivity: Date, now: Date, olderThanDays: Int) -> Bool {
        now.timeIntervalSince(lastActivity) >= Double(olderThanDays) * 86_400
    }
}
