import Foundation
import SignalDeskCore
import Testing

@Suite struct SignalLifecycleTests {
    @Test func theHappyPath() throws {
        var status = SignalStatus.created
        status = try status.applying(.claim)
        #expect(status == .executing)
        status = try status.applying(.open)
        #expect(status == .opened)
        status = try status.applying(.complete)
        #expect(status == .completed && status.isTerminal)
    }

    @Test func leaseExpiryReturnsOnceThenExpires() throws {
        #expect(try SignalStatus.executing.applying(.leaseExpired(previousLeases: 1)) == .created)
        #expect(try SignalStatus.executing.applying(.leaseExpired(previousLeases: 2)) == .expired)
    }

    @Test func rejectAndFailOnlyWhileExecuting() throws {
        #expect(try SignalStatus.executing.applying(.reject) == .rejected)
        #expect(try SignalStatus.executing.applying(.fail) == .failed)
        #expect(throws: IllegalSignalTransition(from: .created, event: .reject)) {
            try SignalStatus.created.applying(.reject)
        }
    }

    @Test func illegalTransitionsAreErrors() {
        let illegal: [(SignalStatus, SignalEvent)] = [
            (.created, .open), (.created, .complete), (.executing, .claim), (.opened, .claim), (.opened, .open),
            (.completed, .claim), (.completed, .complete), (.rejected, .claim), (.failed, .open), (.expired, .claim),
            (.created, .leaseExpired(previousLeases: 1)), (.opened, .leaseExpired(previousLeases: 1)),
        ]
        for (status, event) in illegal {
            #expect(throws: IllegalSignalTransition.self, "\(status) + \(event)") { try status.applying(event) }
        }
    }

    @Test func sideInferenceAndParsing() {
        #expect(TradeSide.inferred(entry: 100, stop: 95) == .long)
        #expect(TradeSide.inferred(entry: 100, stop: 105) == .short)
        #expect(TradeSide.inferred(entry: 100, stop: 100) == nil)
        #expect(TradeSide(parsing: "buy") == .long && TradeSide(parsing: "Short") == .short)
        #expect(TradeSide(parsing: "close") == nil)
    }

    @Test func levelsValidation() throws {
        let long = try SignalLevels.validate(entry: 100, stop: 95, take: 110, side: nil).get()
        #expect(long.side == .long)
        let short = try SignalLevels.validate(entry: 100, stop: 105, take: 90, side: nil).get()
        #expect(short.side == .short)
        #expect(
            SignalLevels.validate(entry: .nan, stop: 95, take: 110, side: nil)
                == .failure(.notPositiveFinite(field: "entry_price")))
        #expect(
            SignalLevels.validate(entry: 100, stop: -1, take: 110, side: nil)
                == .failure(.notPositiveFinite(field: "stop_loss")))
        #expect(
            SignalLevels.validate(entry: 100, stop: 95, take: .infinity, side: nil)
                == .failure(.notPositiveFinite(field: "take_profit")))
        #expect(SignalLevels.validate(entry: 100, stop: 100, take: 110, side: nil) == .failure(.stopEqualsEntry))
        #expect(
            SignalLevels.validate(entry: 100, stop: 95, take: 90, side: nil)
                == .failure(.wrongSide(field: "take_profit", side: .long)))
        #expect(
            SignalLevels.validate(entry: 100, stop: 95, take: 110, side: .short)
                == .failure(.wrongSide(field: "stop_loss", side: .short)))
    }

    @Test func pnlForBothSides() {
        #expect(TradeSide.long.realizedPnL(entry: 100, exit: 110, qty: 2, fees: 1) == 19)
        #expect(TradeSide.short.realizedPnL(entry: 100, exit: 90, qty: 2, fees: 1) == 19)
        #expect(TradeSide.short.realizedPnL(entry: 100, exit: 104, qty: 3, fees: 0.5) == -12.5)
    }
}

@Suite struct RiskTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let model2 = RiskLimits(profile: .model2ConservadorProductivo, capitalBaseUSD: 10_000)

    func state(open: Int = 0, lastMinutesAgo: Double? = nil, trades: Int = 0, pnl: Double = 0) -> OpenRiskCheck.State {
        .init(
            openPositions: open, lastActivityAt: lastMinutesAgo.map { now.addingTimeInterval(-$0 * 60) },
            tradesToday: trades, realizedPnLToday: pnl)
    }

    @Test func profilesAsData() {
        #expect(
            RiskProfile.model2ConservadorProductivo.limits
                == .init(
                    riskPerTradePct: 0.5, maxDailyLossPct: 1.5, maxTradesPerDay: 3, maxOpenPositions: 2,
                    cooldownMinutes: 30, minRewardRisk: 1.5))
        #expect(
            RiskProfile.modeloSueltoControlado.limits
                == .init(
                    riskPerTradePct: 0.75, maxDailyLossPct: 2.0, maxTradesPerDay: 4, maxOpenPositions: 2,
                    cooldownMinutes: 20, minRewardRisk: 1.3))
        #expect(
            RiskProfile.resolve(stored: nil, email: "A@x.co", looseEmail: "a@x.co", model2Email: nil)
                == .modeloSueltoControlado)
        #expect(
            RiskProfile.resolve(
                stored: "model2_conservador_productivo", email: "a@x.co", looseEmail: "a@x.co", model2Email: nil)
                == .model2ConservadorProductivo)
        #expect(RiskProfile.resolve(stored: nil, email: "b@x.co", looseEmail: "a@x.co", model2Email: nil) == .default)
    }

    @Test func dailyArithmeticInCurrency() {
        #expect(model2.dailyStop == -150)
        #expect(model2.maxRiskPerTrade == 50)
        #expect(RiskLimits(profile: .modeloSueltoControlado, capitalBaseUSD: 20_000).dailyStop == -400)
        #expect(model2.remainingLossBuffer(realizedPnLToday: -100) == 50)
        #expect(model2.remainingLossBuffer(realizedPnLToday: -200) == 0)
        #expect(model2.remainingTrades(tradesToday: 5) == 0)
    }

    @Test func checksRunInOrder() {
        let check = OpenRiskCheck(limits: model2)
        // Everything wrong at once: the first in order wins.
        #expect(
            check.firstBlock(
                state: state(open: 2, lastMinutesAgo: 1, trades: 9, pnl: -999), qty: 100, entry: 100, stop: 90, now: now
            ) == .maxOpenPositions)
        #expect(
            check.firstBlock(
                state: state(open: 1, lastMinutesAgo: 1, trades: 9, pnl: -999), qty: 100, entry: 100, stop: 90, now: now
            ) == .cooldown(minutes: 30))
        #expect(
            check.firstBlock(state: state(open: 1, trades: 9, pnl: -999), qty: 100, entry: 100, stop: 90, now: now)
                == .dailyStop)
        #expect(
            check.firstBlock(state: state(open: 1, trades: 3, pnl: 0), qty: 100, entry: 100, stop: 90, now: now)
                == .maxTrades)
        #expect(
            check.firstBlock(state: state(open: 1, trades: 2, pnl: 0), qty: 100, entry: 100, stop: 90, now: now)
                == .riskPerTrade)
        #expect(
            check.firstBlock(state: state(open: 1, trades: 2, pnl: 0), qty: 5, entry: 100, stop: 90, now: now) == nil)
    }

    @Test func cooldownBoundary() {
        let check = OpenRiskCheck(limits: model2)
        #expect(
            check.firstBlock(state: state(lastMinutesAgo: 29.99), qty: 1, entry: 100, stop: 99, now: now)
                == .cooldown(minutes: 30))
        #expect(check.firstBlock(state: state(lastMinutesAgo: 30), qty: 1, entry: 100, stop: 99, now: now) == nil)
        #expect(OpenBlock.cooldown(minutes: 30).message == "Risk block: cooldown active (30.0m)")
    }

    @Test func dailyStopBoundaryAndRiskPerTradeBoundary() {
        let check = OpenRiskCheck(limits: model2)
        #expect(check.firstBlock(state: state(pnl: -150), qty: 1, entry: 100, stop: 99, now: now) == .dailyStop)
        #expect(check.firstBlock(state: state(pnl: -149.99), qty: 1, entry: 100, stop: 99, now: now) == nil)
        // 10 * |100 - 95| = 50 is exactly the allowance; 50.5 is over.
        #expect(check.firstBlock(state: state(), qty: 10, entry: 100, stop: 95, now: now) == nil)
        #expect(check.firstBlock(state: state(), qty: 10.1, entry: 100, stop: 95, now: now) == .riskPerTrade)
        #expect(check.firstBlock(state: state(), qty: 1_000, entry: 100, stop: nil, now: now) == nil)
    }

    @Test func tradingDayFollowsTheTimeZone() {
        let bogota = TradingCalendar(timeZone: TimeZone(identifier: "America/Bogota")!)
        // 2026-11-22 03:00 UTC is still 2026-11-21 in Bogotá (UTC-5).
        let date = ISO8601DateFormatter().date(from: "2026-11-22T03:00:00Z")!
        #expect(bogota.day(of: date) == "2026-11-21")
        #expect(bogota.day(of: date.addingTimeInterval(2 * 3600)) == "2026-11-22")
        #expect(bogota.startOfDay(date) == ISO8601DateFormatter().date(from: "2026-11-21T05:00:00Z"))
        #expect(bogota.day(of: bogota.startOfDay(date, daysBefore: 6)) == "2026-11-15")
    }

    @Test func pnlSummaryMath() {
        let summary = PnLSummary(closes: [
            .init(day: "2026-11-20", realizedPnL: 30, fees: 1), .init(day: "2026-11-20", realizedPnL: -10, fees: 1),
            .init(day: "2026-11-21", realizedPnL: 20, fees: 2), .init(day: "2026-11-21", realizedPnL: -20, fees: 0.5),
        ])
        #expect(summary.totalRealizedPnL == 20 && summary.totalFees == 4.5 && summary.closedCount == 4)
        #expect(summary.winRate == 0.5 && summary.averageWin == 25 && summary.averageLoss == -15)
        #expect(summary.profitFactor == 50.0 / 30.0)
        #expect(
            summary.byDay == [
                .init(day: "2026-11-20", realizedPnL: 20, trades: 2),
                .init(day: "2026-11-21", realizedPnL: 0, trades: 2),
            ])
        #expect(PnLSummary(closes: []).profitFactor == nil && PnLSummary(closes: []).winRate == 0)
    }
}

@Suite struct SizingTests {
    let limits = RiskLimits(profile: .model2ConservadorProductivo, capitalBaseUSD: 10_000)

    @Test func sizesFromTheRiskAllowance() {
        // 0.5% of 10,000 = 50 at risk over a 5-dollar stop distance.
        #expect(PositionSizing.quantity(limits: limits, entry: 100, stop: 95) == 10)
        #expect(PositionSizing.quantity(limits: limits, entry: 100, stop: 105) == 10)
        #expect(PositionSizing.quantity(limits: limits, entry: 100, stop: 95, requestedRiskPct: 0.25) == 5)
        // A larger request is capped by the profile.
        #expect(PositionSizing.quantity(limits: limits, entry: 100, stop: 95, requestedRiskPct: 5) == 10)
        #expect(PositionSizing.quantity(limits: limits, entry: 100, stop: nil) == nil)
        #expect(PositionSizing.quantity(limits: limits, entry: 100, stop: 100) == nil)
        let qty = PositionSizing.quantity(limits: limits, entry: 30_000, stop: 29_123)!
        #expect(RiskLimits.riskOf(qty: qty, entry: 30_000, stop: 29_123) <= limits.maxRiskPerTrade)
    }

    @Test func closeSignalsComplete() throws {
        #expect(try SignalStatus.executing.applying(.closedPosition) == .completed)
        #expect(throws: IllegalSignalTransition.self) { try SignalStatus.created.applying(.closedPosition) }
    }

    @Test func rewardRisk() {
        #expect(PositionSizing.rewardRisk(entry: 100, stop: 95, take: 110) == 2)
        #expect(PositionSizing.rewardRisk(entry: 100, stop: nil, take: 110) == nil)
    }
}
