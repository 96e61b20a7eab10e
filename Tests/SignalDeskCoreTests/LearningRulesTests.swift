import Foundation
import SignalDeskCore
import Testing

/// The learning pipeline's rules (issue 25, group 13): labeling, rates, query ranges and filters,
/// hourly rollups and the health semaphore.
@Suite struct LearningRulesTests {
    let due = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aLongIsLabeledWithTheMoveInItsFavour() {
        let label = LearningOutcome.label(entry: 100, exit: 110, side: .long, qty: 2, dueAt: due, now: due)
        #expect(label == .labeled(returnPct: 10, pnlQuote: 20, hit: true))
        #expect(label.status == .labeled)
    }

    @Test func aShortWinsWhenThePriceFalls() {
        #expect(
            LearningOutcome.label(entry: 100, exit: 110, side: .short, qty: 2, dueAt: due, now: due)
                == .labeled(returnPct: -10, pnlQuote: -20, hit: false))
        #expect(
            LearningOutcome.label(entry: 100, exit: 95, side: .short, qty: 1, dueAt: due, now: due)
                == .labeled(returnPct: 5, pnlQuote: 5, hit: true))
    }

    @Test func noMoveIsNotAHit() {
        #expect(
            LearningOutcome.label(entry: 100, exit: 100, side: .long, qty: 1, dueAt: due, now: due)
                == .labeled(returnPct: 0, pnlQuote: 0, hit: false))
    }

    @Test func withoutAPriceItIsNoPriceUntilTheGraceEndsThenExpired() {
        let grace = Double(LearningOutcome.graceMinutes) * 60
        for (entry, exit) in [(nil, 110.0), (100.0, nil), (0.0, 110.0), (100.0, -1.0), (Double.nan, 110.0)]
            as [(Double?, Double?)]
        {
            #expect(
                LearningOutcome.label(entry: entry, exit: exit, side: .long, qty: 1, dueAt: due, now: due)
                    == .noPrice)
            #expect(
                LearningOutcome.label(
                    entry: entry, exit: exit, side: .long, qty: 1, dueAt: due, now: due.addingTimeInterval(grace - 1))
                    == .noPrice)
            #expect(
                LearningOutcome.label(
                    entry: entry, exit: exit, side: .long, qty: 1, dueAt: due, now: due.addingTimeInterval(grace))
                    == .expired)
        }
        #expect(LearningOutcome.graceMinutes == 180)
        #expect(LearningOutcome.defaultHorizonMinutes == 60)
    }

    @Test func ratesArePercentWithTwoDecimals() {
        #expect(LearningOutcome.rate(1, of: 3) == 33.33)
        #expect(LearningOutcome.rate(2, of: 3) == 66.67)
        #expect(LearningOutcome.rate(3, of: 3) == 100)
        #expect(LearningOutcome.rate(0, of: 0) == 0)
        #expect(LearningOutcome.rate(5, of: 0) == 0)
    }

    @Test func rangesRefuseWithCryptoSaasMessages() throws {
        #expect(try LearningQuery.inRange("hours", 720, LearningQuery.hours) == 720)
        #expect(try LearningQuery.inRange("hours", 1, LearningQuery.hours) == 1)
        #expect(throws: LearningQuery.Refusal(message: "hours must be between 1 and 720")) {
            try LearningQuery.inRange("hours", 0, LearningQuery.hours)
        }
        #expect(throws: LearningQuery.Refusal(message: "hours must be between 1 and 720")) {
            try LearningQuery.inRange("hours", 721, LearningQuery.hours)
        }
        #expect(throws: LearningQuery.Refusal(message: "horizon_minutes must be between 5 and 10080")) {
            try LearningQuery.inRange("horizon_minutes", 1, LearningQuery.horizonMinutes)
        }
        #expect(throws: LearningQuery.Refusal(message: "limit must be between 1 and 5000")) {
            try LearningQuery.inRange("limit", 5001, LearningQuery.labelLimit)
        }
    }

    @Test func filtersParseAnyCaseAndListTheirChoices() throws {
        #expect(try LearningQuery.ExchangeFilter(parsing: nil) == .all)
        #expect(try LearningQuery.ExchangeFilter(parsing: " binance ") == .only(.binance))
        #expect(try LearningQuery.ExchangeFilter(parsing: "all").name == "ALL")
        #expect(throws: LearningQuery.Refusal(message: "exchange must be one of: ALL, BINANCE, BYBIT, DYDX, IBKR")) {
            try LearningQuery.ExchangeFilter(parsing: "BADX")
        }
        #expect(try LearningQuery.StatusFilter(parsing: nil) == .all)
        #expect(try LearningQuery.StatusFilter(parsing: "no_price") == .only(.noPrice))
        #expect(try LearningQuery.StatusFilter(parsing: "LABELED") == .only(.labeled))
        #expect(
            throws: LearningQuery.Refusal(
                message: "outcome_status must be one of: ALL, EXPIRED, LABELED, NO_PRICE, PENDING")
        ) {
            try LearningQuery.StatusFilter(parsing: "WRONG")
        }
    }

    @Test func rollupsGroupByHourExchangeSymbolAndHorizon() {
        let hour = Date(timeIntervalSince1970: 1_800_000_000 - 1_800_000_000.truncatingRemainder(dividingBy: 3600))
        func sample(_ minutes: Double, _ symbol: String, _ ret: Double, score: Double? = nil, horizon: Int = 60)
            -> LearningRollup.Sample
        {
            .init(
                labeledAt: hour.addingTimeInterval(minutes * 60), exchange: "BINANCE", symbol: symbol,
                horizonMinutes: horizon, returnPct: ret, hit: ret > 0, score: score)
        }
        let groups = LearningRollup.aggregate([
            sample(5, "BTCUSDT", 2, score: 80), sample(50, "BTCUSDT", -1, score: 70), sample(30, "BTCUSDT", 4),
            sample(70, "BTCUSDT", 1), sample(10, "ETHUSDT", -3), sample(20, "BTCUSDT", 1, horizon: 120),
        ])
        #expect(groups.count == 4)
        let first = groups[0]
        #expect(first.key.bucketHour == hour)
        #expect(first.key.symbol == "BTCUSDT")
        #expect(first.key.horizonMinutes == 60)
        #expect(first.samples == 3)
        #expect(first.hitRatePct == 66.6667)
        #expect(first.avgReturnPct == 1.666667)
        #expect(first.p50ReturnPct == 2)
        #expect(first.p90ReturnPct == 3.6)
        #expect(first.avgScore == 75)
        #expect(groups[1].key.horizonMinutes == 120)
        #expect(groups[2].key.symbol == "ETHUSDT")
        #expect(groups[2].avgScore == nil)
        #expect(groups[2].hitRatePct == 0)
        #expect(groups[3].key.bucketHour == hour.addingTimeInterval(3600))
        #expect(LearningRollup.hour(of: hour.addingTimeInterval(3599)) == hour)
    }

    @Test func percentilesInterpolate() {
        #expect(LearningRollup.percentile([], 0.5) == 0)
        #expect(LearningRollup.percentile([7], 0.9) == 7)
        #expect(LearningRollup.percentile([1, 2, 3, 4], 0.5) == 2.5)
        #expect(LearningRollup.percentile([4, 1, 3, 2], 0.9) == 3.7)
    }

    @Test func healthIsYellowWithFewSamplesRedWithManyExpiredAndGreenOtherwise() {
        let empty = LearningHealth.assess(day: .init())
        #expect(empty.semaphore == .yellow)
        #expect(empty.recommendations.count == 2)
        #expect(empty.summary == "24h labeled=0.0% expired=0.0% no_price=0.0% hit=-%")

        let expired = LearningHealth.assess(day: .init(outcomes: 20, labeled: 15, expired: 5, hits: 10))
        #expect(expired.semaphore == .red)
        #expect(expired.summary == "24h labeled=75.0% expired=25.0% no_price=0.0% hit=66.67%")

        let healthy = LearningHealth.assess(day: .init(outcomes: 20, labeled: 18, expired: 1, noPrice: 1, hits: 10))
        #expect(healthy.semaphore == .green)
        #expect(
            healthy.recommendations == ["Salud estable. Mantener ciclo label->rollup->retention y monitoreo diario."])

        let underLabeled = LearningHealth.assess(day: .init(outcomes: 20, pending: 12, labeled: 8, hits: 8))
        #expect(underLabeled.semaphore == .yellow)

        let missing = LearningHealth.assess(day: .init(outcomes: 40, labeled: 30, hits: 10))
        #expect(missing.semaphore == .yellow)
        #expect(missing.recommendations.last?.hasPrefix("Calibrar") == true)
    }

    @Test func healthCountsComputeTheirRates() {
        let counts = LearningHealth.Counts(decisions: 5, outcomes: 4, pending: 1, labeled: 2, expired: 1, hits: 1)
        #expect(counts.labeledRatePct == 50)
        #expect(counts.expiredRatePct == 25)
        #expect(counts.noPriceRatePct == 0)
        #expect(counts.hitRatePct == 50)
        #expect(LearningHealth.Counts().hitRatePct == nil)
    }
}
