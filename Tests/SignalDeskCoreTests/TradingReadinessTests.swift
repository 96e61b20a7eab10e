import Testing

@testable import SignalDeskCore

@Suite struct TradingReadinessTests {
    @Test func missingNamesEachGapInOrder() {
        #expect(TradingReadiness.missing(twoFactorMissing: false, exchangesConfigured: 1, staleSecret: false).isEmpty)
        #expect(
            TradingReadiness.missing(twoFactorMissing: true, exchangesConfigured: 0, staleSecret: true)
                == [.twoFactor, .exchangeSecret, .freshSecret])
        #expect(
            TradingReadiness.missing(twoFactorMissing: false, exchangesConfigured: 0, staleSecret: false) == [
                .exchangeSecret
            ])
    }

    @Test func theGatePassesOnlyWhenEveryCheckDoes() {
        let green = DailyGate.evaluate(
            usersMissing2FA: 0, usersWithStaleSecrets: 0, secretsOnRetiredKeys: 0, killSwitchEngaged: false,
            auditChainValid: true, usersNotReady: 0)
        #expect(green.passed)
        #expect(green.checks.count == 6)
        let inputs: [DailyGate] = [
            .evaluate(
                usersMissing2FA: 1, usersWithStaleSecrets: 0, secretsOnRetiredKeys: 0, killSwitchEngaged: false,
                auditChainValid: true, usersNotReady: 0),
            .evaluate(
                usersMissing2FA: 0, usersWithStaleSecrets: 1, secretsOnRetiredKeys: 0, killSwitchEngaged: false,
                auditChainValid: true, usersNotReady: 0),
            .evaluate(
                usersMissing2FA: 0, usersWithStaleSecrets: 0, secretsOnRetiredKeys: 1, killSwitchEngaged: false,
                auditChainValid: true, usersNotReady: 0),
            .evaluate(
                usersMissing2FA: 0, usersWithStaleSecrets: 0, secretsOnRetiredKeys: 0, killSwitchEngaged: true,
                auditChainValid: true, usersNotReady: 0),
            .evaluate(
                usersMissing2FA: 0, usersWithStaleSecrets: 0, secretsOnRetiredKeys: 0, killSwitchEngaged: false,
                auditChainValid: false, usersNotReady: 0),
            .evaluate(
                usersMissing2FA: 0, usersWithStaleSecrets: 0, secretsOnRetiredKeys: 0, killSwitchEngaged: false,
                auditChainValid: true, usersNotReady: 1),
        ]
        for (index, gate) in inputs.enumerated() {
            #expect(!gate.passed, "check \(index)")
            #expect(gate.checks.filter { !$0.passed }.map(\.name) == [green.checks[index].name])
        }
    }
}
