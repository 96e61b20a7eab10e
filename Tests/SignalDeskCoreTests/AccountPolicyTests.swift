import Foundation
import Testing

@testable import SignalDeskCore

@Suite struct AccountPolicyTests {
    @Test func aPasswordLivesExactlyItsMaximumAge() {
        let set = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(!AccountPolicy.passwordExpired(changedAt: set, now: set, maxAgeDays: 30))
        #expect(
            !AccountPolicy.passwordExpired(changedAt: set, now: set.addingTimeInterval(30 * 86_400 - 1), maxAgeDays: 30)
        )
        #expect(AccountPolicy.passwordExpired(changedAt: set, now: set.addingTimeInterval(30 * 86_400), maxAgeDays: 30))
        #expect(AccountPolicy.passwordExpired(changedAt: set, now: set.addingTimeInterval(45 * 86_400), maxAgeDays: 30))
    }

    @Test func superusersAreMatchedOnTheNormalizedEmail() {
        let superusers: Set<String> = ["ops@desk.io"]
        #expect(AccountPolicy.isSuperuser(email: "ops@desk.io", superusers: superusers))
        #expect(AccountPolicy.isSuperuser(email: " OPS@Desk.io ", superusers: superusers))
        #expect(!AccountPolicy.isSuperuser(email: "ops@desk.io.evil", superusers: superusers))
        #expect(!AccountPolicy.isSuperuser(email: "ops@desk.io", superusers: []))
    }
}
