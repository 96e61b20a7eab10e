import Foundation

/// A subscription's state (API.md "Subscriptions"; HUMBEX's statuses). `none` is what a user
/// without a subscription has.
public enum SubscriptionStatus: String, Sendable, CaseIterable, Codable {
    case active, trialing, expired, canceled, none

    /// The statuses that may trade while their period runs.
    public var entitles: Bool { self == .active || self == .trialing }
}

/// What a user bought: plan, status and the end of the paid (or trial) period. A period end of
/// nil means the period does not end (a subscription granted without an end date).
public struct SubscriptionTerms: Sendable, Equatable {
    public let plan: String?
    public let status: SubscriptionStatus
    public let periodEnd: Date?

    public init(plan: String?, status: SubscriptionStatus, periodEnd: Date?) {
        self.plan = plan
        self.status = status
        self.periodEnd = periodEnd
    }

    /// No subscription at all.
    public static let none = SubscriptionTerms(plan: nil, status: .none, periodEnd: nil)

    /// Whether the user may trade at `now`: an `active` or `trialing` subscription whose period
    /// has not ended. Both instants are compared in whole UTC seconds (a period that ends at
    /// 12:00:00 allows 11:59:59.999 and refuses 12:00:00.000).
    public func allowsTrading(at now: Date) -> Bool {
        guard status.entitles else { return false }
        guard let periodEnd else { return true }
        return Self.second(of: now) < Self.second(of: periodEnd)
    }

    /// Whole days left until the period ends, counting a started day as one (12 hours left is 1),
    /// 0 once it ended, nil when it does not end.
    public func daysLeft(at now: Date) -> Int? {
        guard let periodEnd else { return nil }
        let seconds = Self.second(of: periodEnd) - Self.second(of: now)
        guard seconds > 0 else { return 0 }
        return Int((seconds + 86_399) / 86_400)
    }

    /// The reminder due at `now`, if any: the 7-day one while 1 to 7 days are left, the 1-day one
    /// in the last day. Only a subscription that may trade is reminded.
    public func reminder(at now: Date) -> SubscriptionReminder? {
        guard allowsTrading(at: now), let periodEnd else { return nil }
        let seconds = Self.second(of: periodEnd) - Self.second(of: now)
        if seconds <= 86_400 { return .oneDay }
        if seconds <= 7 * 86_400 { return .sevenDays }
        return nil
    }

    /// Where the subscription stands at `now`, as the dashboard counts it.
    public func standing(at now: Date) -> SubscriptionStanding {
        if allowsTrading(at: now) {
            if let periodEnd, Self.second(of: periodEnd) - Self.second(of: now) <= 7 * 86_400 { return .expiring }
            return .active
        }
        switch status {
        case .active, .trialing, .expired: return .expired
        case .canceled: return .canceled
        case .none: return .none
        }
    }

    /// Seconds since 1970 in UTC, rounded down.
    static func second(of date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
}

/// The dashboard's buckets: `active` may trade with more than 7 days left (or no end), `expiring`
/// may trade and ends within 7 days, `expired` is marked so or ended without being marked yet.
public enum SubscriptionStanding: String, Sendable, CaseIterable {
    case active, expiring, expired, canceled, none
}

/// The reminders before a period ends.
public enum SubscriptionReminder: String, Sendable, CaseIterable {
    case sevenDays = "7d"
    case oneDay = "1d"

    /// The key that makes a reminder unique for one period end: sent once per period and level.
    public func key(periodEnd: Date) -> String {
        "ends-\(SubscriptionTerms.second(of: periodEnd))-\(rawValue)"
    }
}

/// An admin's `PUT /ops/admin/subscriptions/{email}` body, checked.
public struct SubscriptionUpdate: Sendable, Equatable {
    public let plan: String
    public let status: SubscriptionStatus
    public let periodEnd: Date?

    /// The longest plan name.
    public static let maxPlanLength = 64
    /// Period ends are accepted from 2000-01-01 up to (not including) 2200-01-01 UTC.
    public static let earliestPeriodEnd = Date(timeIntervalSince1970: 946_684_800)
    public static let latestPeriodEnd = Date(timeIntervalSince1970: 7_258_118_400)

    /// A field that is wrong, and why (for a 422 answer).
    public struct Problem: Sendable, Equatable {
        public let field: String
        public let message: String
    }

    /// Checks the raw fields: `status` must be one of ``SubscriptionStatus``; `plan`, when given,
    /// 1-64 printable characters (default `standard`); `periodEnd`, when given, an ISO-8601 instant
    /// with a time zone (`2027-01-31T00:00:00Z`, fractions of a second allowed) in the accepted
    /// range. Returns the update or every problem found.
    public static func check(plan: String?, status: String?, periodEnd: String?) -> Result<
        SubscriptionUpdate, ProblemList
    > {
        var problems: [Problem] = []
        let parsedStatus = status.flatMap { SubscriptionStatus(rawValue: $0) }
        if status == nil {
            problems.append(Problem(field: "status", message: "status is required"))
        } else if parsedStatus == nil {
            problems.append(
                Problem(
                    field: "status",
                    message: "status must be one of: "
                        + SubscriptionStatus.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        let trimmedPlan = plan?.trimmingCharacters(in: .whitespaces)
        if let trimmedPlan,
            trimmedPlan.isEmpty || trimmedPlan.count > maxPlanLength
                || trimmedPlan.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        {
            problems.append(
                Problem(field: "plan", message: "plan must be 1 to \(maxPlanLength) printable characters"))
        }
        var end: Date?
        if let periodEnd {
            if let date = parseInstant(periodEnd) {
                if date < earliestPeriodEnd || date >= latestPeriodEnd {
                    problems.append(
                        Problem(
                            field: "current_period_end",
                            message: "current_period_end must be between 2000-01-01 and 2199-12-31"))
                } else {
                    end = date
                }
            } else {
                problems.append(
                    Problem(
                        field: "current_period_end",
                        message: "current_period_end must be an ISO-8601 date-time with a time zone, "
                            + "e.g. 2027-01-31T00:00:00Z"))
            }
        }
        guard problems.isEmpty, let parsedStatus else { return .failure(ProblemList(problems: problems)) }
        return .success(SubscriptionUpdate(plan: trimmedPlan ?? "standard", status: parsedStatus, periodEnd: end))
    }

    /// The problems of a refused update.
    public struct ProblemList: Error, Sendable, Equatable {
        public let problems: [Problem]
    }

    /// An ISO-8601 instant with a time zone (`Z` or `±hh:mm`), with or without fractional seconds.
    static func parseInstant(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
