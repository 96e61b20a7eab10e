import Foundation
import Testing

@testable import SignalDeskCore

/// The subscription gate's rules (issue 24): who may trade, days left, reminders, the admin body.
@Suite struct SubscriptionTests {
    let end = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z

    @Test func onlyActiveOrTrialingWithinThePeriodMayTrade() {
        let before = end.addingTimeInterval(-60)
        for status in SubscriptionStatus.allCases {
            let terms = SubscriptionTerms(plan: "pro", status: status, periodEnd: end)
            #expect(terms.allowsTrading(at: before) == (status == .active || status == .trialing), "\(status)")
        }
        #expect(SubscriptionTerms.none.allowsTrading(at: before) == false)
        // No end date: open-ended, for the statuses that entitle.
        #expect(SubscriptionTerms(plan: nil, status: .active, periodEnd: nil).allowsTrading(at: before))
        #expect(!SubscriptionTerms(plan: nil, status: .canceled, periodEnd: nil).allowsTrading(at: before))
    }

    @Test func thePeriodEndIsComparedToTheSecond() {
        let terms = SubscriptionTerms(plan: "pro", status: .active, periodEnd: end)
        #expect(terms.allowsTrading(at: end.addingTimeInterval(-1)))
        #expect(terms.allowsTrading(at: end.addingTimeInterval(-0.001)), "11:59:59.999 is still before 12:00:00")
        #expect(!terms.allowsTrading(at: end))
        #expect(!terms.allowsTrading(at: end.addingTimeInterval(0.999)), "the same second is the end")
        #expect(!terms.allowsTrading(at: end.addingTimeInterval(3600)))
        // A period end with a fraction ends at its whole second.
        let fractional = SubscriptionTerms(plan: "pro", status: .active, periodEnd: end.addingTimeInterval(0.7))
        #expect(!fractional.allowsTrading(at: end.addingTimeInterval(0.1)))
    }

    @Test func daysLeftCountsAStartedDayAsOne() {
        let terms = SubscriptionTerms(plan: "pro", status: .active, periodEnd: end)
        #expect(terms.daysLeft(at: end.addingTimeInterval(-12 * 3600)) == 1)
        #expect(terms.daysLeft(at: end.addingTimeInterval(-86_400)) == 1)
        #expect(terms.daysLeft(at: end.addingTimeInterval(-86_401)) == 2)
        #expect(terms.daysLeft(at: end.addingTimeInterval(-7 * 86_400)) == 7)
        #expect(terms.daysLeft(at: end) == 0)
        #expect(terms.daysLeft(at: end.addingTimeInterval(86_400 * 3)) == 0)
        #expect(SubscriptionTerms(plan: nil, status: .active, periodEnd: nil).daysLeft(at: end) == nil)
    }

    @Test func remindersAtSevenDaysAndOneDayWhileTradingIsAllowed() {
        let terms = SubscriptionTerms(plan: "pro", status: .active, periodEnd: end)
        #expect(terms.reminder(at: end.addingTimeInterval(-8 * 86_400)) == nil)
        #expect(terms.reminder(at: end.addingTimeInterval(-7 * 86_400)) == .sevenDays)
        #expect(terms.reminder(at: end.addingTimeInterval(-2 * 86_400)) == .sevenDays)
        #expect(terms.reminder(at: end.addingTimeInterval(-86_400)) == .oneDay)
        #expect(terms.reminder(at: end.addingTimeInterval(-1)) == .oneDay)
        #expect(terms.reminder(at: end) == nil, "ended: no reminder")
        #expect(
            SubscriptionTerms(plan: "pro", status: .canceled, periodEnd: end).reminder(
                at: end.addingTimeInterval(-86_400)) == nil)
        #expect(SubscriptionTerms(plan: nil, status: .active, periodEnd: nil).reminder(at: end) == nil)
        // One key per period end and level.
        #expect(SubscriptionReminder.sevenDays.key(periodEnd: end) != SubscriptionReminder.oneDay.key(periodEnd: end))
        #expect(
            SubscriptionReminder.oneDay.key(periodEnd: end)
                != SubscriptionReminder.oneDay.key(periodEnd: end.addingTimeInterval(30 * 86_400)))
    }

    @Test func theDashboardBucketsEachSubscription() {
        func standing(_ status: SubscriptionStatus, _ end: Date?, at now: Date) -> SubscriptionStanding {
            SubscriptionTerms(plan: "pro", status: status, periodEnd: end).standing(at: now)
        }
        #expect(standing(.active, end, at: end.addingTimeInterval(-8 * 86_400)) == .active)
        #expect(standing(.trialing, nil, at: end) == .active)
        #expect(standing(.active, end, at: end.addingTimeInterval(-7 * 86_400)) == .expiring)
        #expect(standing(.trialing, end, at: end.addingTimeInterval(-1)) == .expiring)
        #expect(standing(.active, end, at: end) == .expired, "ended, not marked yet")
        #expect(standing(.expired, end, at: end.addingTimeInterval(-30 * 86_400)) == .expired)
        #expect(standing(.canceled, end, at: end.addingTimeInterval(-86_400)) == .canceled)
        #expect(SubscriptionTerms.none.standing(at: end) == .none)
    }

    @Test func anAdminUpdateIsCheckedFieldByField() throws {
        let ok = try SubscriptionUpdate.check(plan: " pro ", status: "active", periodEnd: "2027-01-15T08:00:00Z").get()
        #expect(ok == SubscriptionUpdate(plan: "pro", status: .active, periodEnd: end))
        let offset = try SubscriptionUpdate.check(
            plan: nil, status: "trialing", periodEnd: "2027-01-15T10:00:00.250+02:00"
        )
        .get()
        #expect(offset.plan == "standard")
        #expect(offset.periodEnd == end.addingTimeInterval(0.25))
        #expect(try SubscriptionUpdate.check(plan: "pro", status: "canceled", periodEnd: nil).get().periodEnd == nil)

        func fields(_ plan: String?, _ status: String?, _ end: String?) -> [String] {
            guard case .failure(let list) = SubscriptionUpdate.check(plan: plan, status: status, periodEnd: end) else {
                return []
            }
            return list.problems.map(\.field)
        }
        #expect(fields("pro", nil, nil) == ["status"])
        #expect(fields("pro", "ACTIVE", nil) == ["status"])
        #expect(fields("pro", "paused", nil) == ["status"])
        #expect(fields("", "active", nil) == ["plan"])
        #expect(fields(String(repeating: "p", count: 65), "active", nil) == ["plan"])
        #expect(fields("pro\u{0}", "active", nil) == ["plan"])
        #expect(fields("pro", "active", "2027-01-15") == ["current_period_end"], "no time")
        #expect(fields("pro", "active", "2027-01-15T08:00:00") == ["current_period_end"], "no time zone")
        #expect(fields("pro", "active", "tomorrow") == ["current_period_end"])
        #expect(fields("pro", "active", "1999-12-31T23:59:59Z") == ["current_period_end"])
        #expect(fields("pro", "active", "2200-01-01T00:00:00Z") == ["current_period_end"])
        #expect(fields("", "paused", "later") == ["status", "plan", "current_period_end"])
    }
}
