import SignalDeskCore
import Vapor

/// One pretrade proposal as a client sends it: the body of `POST /ops/execution/pretrade/{exchange}/check`
/// and each candidate of a scan or an auto-pick. One reading and one set of checks for all three.
struct PretradeRequest: Content {
    let symbol: String
    let side: String
    let qty: Double
    let rrEstimate: Double?
    let trendTf: String?
    let signalTf: String?
    let timingTf: String?
    let spreadBps: Double?
    let slippageBps: Double?
    let volume24hUsdt: Double?
    let inRth: Bool?
    let macroEventBlock: Bool?
    let earningsWithin24h: Bool?
    /// The market regime's inputs (issue 25 group 12) and the hints a scan's score reads.
    let marketTrendScore: Double?
    let atrPct: Double?
    let momentumScore: Double?
    let leverage: Double?

    /// A request checked and normalised: what the checks evaluate.
    struct Checked {
        let symbol: String
        let side: TradeSide
        let qty: Double
        let proposal: PretradeCheck.Proposal

        /// What a scan's score reads besides the checks.
        var market: PretradeScan.Market {
            PretradeScan.Market(trendScore: proposal.marketTrendScore, momentumScore: proposal.momentumScore)
        }
    }

    /// The request checked, or 422 naming the first wrong field under `loc` (`["body"]`, or
    /// `["body", "candidates", "3"]` for a scan's fourth candidate). Nothing is evaluated before.
    func checked(at loc: [String] = ["body"]) throws -> Checked {
        func invalid(_ field: String, _ message: String, _ type: String = "value_error") -> APIError {
            APIError(.unprocessableEntity, items: [.init(loc: loc + [field], msg: message, type: type)])
        }
        let symbol = symbol.trimmingCharacters(in: .whitespaces).uppercased()
        guard (1...40).contains(symbol.count) else { throw invalid("symbol", "symbol must be 1 to 40 characters") }
        guard let side = TradeSide(parsing: side) else {
            throw invalid("side", "side must be BUY or SELL (or LONG/SHORT)", "enum")
        }
        guard qty.isFinite, qty > 0 else { throw invalid("qty", "qty must be a positive finite number") }
        guard InputCaps.acceptsQty(qty) else { throw invalid("qty", "qty must be at most \(Int(InputCaps.maxQty))") }
        let numbers: [(String, Double?)] = [
            ("rr_estimate", rrEstimate), ("spread_bps", spreadBps), ("slippage_bps", slippageBps),
            ("volume_24h_usdt", volume24hUsdt), ("market_trend_score", marketTrendScore),
            ("momentum_score", momentumScore), ("atr_pct", atrPct),
        ]
        for (name, value) in numbers where value.map({ !$0.isFinite }) ?? false {
            throw invalid(name, "\(name) must be a finite number")
        }
        if let atrPct, atrPct < 0 { throw invalid("atr_pct", "atr_pct must be a finite number ≥ 0") }
        if let leverage, !(leverage.isFinite && leverage > 0) {
            throw invalid("leverage", "leverage must be a positive finite number")
        }
        let defaults = PretradeCheck.Proposal()
        let proposal = PretradeCheck.Proposal(
            rewardRisk: rrEstimate ?? defaults.rewardRisk, trendTimeframe: trendTf ?? defaults.trendTimeframe,
            signalTimeframe: signalTf ?? defaults.signalTimeframe,
            timingTimeframe: timingTf ?? defaults.timingTimeframe,
            spreadBps: spreadBps ?? defaults.spreadBps, slippageBps: slippageBps ?? defaults.slippageBps,
            volume24hUSDT: volume24hUsdt ?? defaults.volume24hUSDT, inRegularTradingHours: inRth ?? true,
            macroEventBlock: macroEventBlock ?? false, earningsWithin24h: earningsWithin24h ?? false,
            marketTrendScore: marketTrendScore ?? 0, atrPct: atrPct ?? 0, momentumScore: momentumScore ?? 0,
            leverage: leverage ?? defaults.leverage)
        return Checked(symbol: symbol, side: side, qty: qty, proposal: proposal)
    }
}
