/// Whether a user is ready to trade (issue 25, group 10; crypto-saas's readiness report): what is
/// missing, in a fixed order. Only admins and traders trade; viewers and disabled users are never
/// counted.
public enum TradingReadiness {
    /// What a user may miss.
    public enum Missing: String, Sendable, CaseIterable, Codable {
        /// No second factor.
        case twoFactor = "2fa"
        /// No exchange credentials stored.
        case exchangeSecret = "exchange_secret"
        /// Credentials older than the allowed age.
        case freshSecret = "fresh_secret"
    }

    /// `twoFactorMissing`: the security posture's rule (an admin or trader without 2FA, wallet users
    /// excepted), so readiness and the posture count the same people.
    public static func missing(twoFactorMissing: Bool, exchangesConfigured: Int, staleSecret: Bool) -> [Missing] {
        var missing: [Missing] = []
        if twoFactorMissing { missing.append(.twoFactor) }
        if exchangesConfigured == 0 { missing.append(.exchangeSecret) }
        if staleSecret { missing.append(.freshSecret) }
        return missing
    }
}

/// The daily gate (issue 25, group 10): the checks an operator wants green before a trading day,
/// each with a name and whether it passed; the gate passes when every check does.
public struct DailyGate: Sendable, Equatable {
    public struct Check: Sendable, Equatable, Codable {
        public let name: String
        public let passed: Bool
        public let detail: String

        public init(name: String, passed: Bool, detail: String) {
            self.name = name
            self.passed = passed
            self.detail = detail
        }
    }

    public let checks: [Check]
    public var passed: Bool { checks.allSatisfy(\.passed) }

    /// The checks from their inputs: nobody who trades misses 2FA, no stale secret, no secret on a
    /// retired key, the kill switch released, the audit chain intact, every user who trades ready.
    public static func evaluate(
        usersMissing2FA: Int, usersWithStaleSecrets: Int, secretsOnRetiredKeys: Int, killSwitchEngaged: Bool,
        auditChainValid: Bool, usersNotReady: Int
    ) -> DailyGate {
        DailyGate(checks: [
            Check(
                name: "no_users_missing_2fa", passed: usersMissing2FA == 0,
                detail: "\(usersMissing2FA) user(s) who trade without 2FA"),
            Check(
                name: "no_stale_secrets", passed: usersWithStaleSecrets == 0,
                detail: "\(usersWithStaleSecrets) user(s) with exchange secrets older than allowed"),
            Check(
                name: "no_secrets_on_retired_keys", passed: secretsOnRetiredKeys == 0,
                detail: "\(secretsOnRetiredKeys) secret(s) sealed under a retired key"),
            Check(
                name: "kill_switch_released", passed: !killSwitchEngaged,
                detail: killSwitchEngaged ? "trading is halted" : "trading is enabled"),
            Check(
                name: "audit_chain_valid", passed: auditChainValid,
                detail: auditChainValid ? "the audit hash chain verifies" : "the audit hash chain is broken"),
            Check(
                name: "all_users_ready", passed: usersNotReady == 0,
                detail: "\(usersNotReady) user(s) who trade are not ready"),
        ])
    }
}
