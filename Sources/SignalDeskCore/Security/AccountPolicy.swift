import Foundation

/// Account rules crypto-saas grew later (issue 25, group 14): passwords that expire, and
/// configured superusers.
public enum AccountPolicy {
    /// Whether a password set at `changedAt` has expired at `now` under a maximum age of
    /// `maxAgeDays` days: it lives exactly that long (at `changedAt` + `maxAgeDays` × 86,400 s it
    /// has expired).
    public static func passwordExpired(changedAt: Date, now: Date, maxAgeDays: Int) -> Bool {
        now.timeIntervalSince(changedAt) >= Double(maxAgeDays) * 86_400
    }

    /// Whether `email` is one of `superusers` (normalized emails): such an account passes every
    /// admin check, whatever its stored role, unless it is disabled.
    public static func isSuperuser(email: String, superusers: Set<String>) -> Bool {
        superusers.contains(EmailAddress.normalized(email))
    }
}
