import Foundation

/// The dYdX v4 orders SignalDesk places (REFERENCE.md, "Orders"): short-term IOC market orders
/// with a bounded worst price, reduce-only conditional TAKE_PROFIT / STOP_LOSS orders, and their
/// cancellation. Pure values; signing is ``DydxTransaction``'s.
public enum DydxOrders {
    /// `OrderId.order_flags`.
    public enum Flags {
        public static let shortTerm: UInt32 = 0
        public static let conditional: UInt32 = 32
        public static let longTerm: UInt32 = 64
    }

    /// The chain accepts a short-term order's `good_til_block` up to this many blocks ahead.
    public static let shortBlockWindow: UInt32 = 20
    /// SignalDesk asks for this many blocks (half the window, so a height read a few blocks late
    /// still yields an acceptable order).
    public static let shortTermBlocks: UInt32 = 10
    /// How long a TP/SL order lives unless the position's close cancels it first.
    public static let conditionalLifetime: TimeInterval = 7 * 86_400

    /// Why an order cannot be built.
    public enum Problem: Error, Equatable, Sendable {
        case size(Double)
        case price(Double)
    }

    public static func goodTilBlock(latestHeight: UInt32) -> UInt32 { latestHeight + shortTermBlocks }

    /// The subticks of the worst price an order accepts: `reference` moved against the order by
    /// `slippageBps` (a BUY pays at most this much, a SELL takes at least this much), computed in
    /// decimal so 61,000 + 0.5% is 61,305 and not a tick below.
    public static func worstSubticks(market: DydxMarket, reference: Double, side: TradeSide, slippageBps: Double)
        -> UInt64?
    {
        guard let price = DydxMarket.decimal(reference), slippageBps.isFinite, (0..<10_000).contains(slippageBps),
            let bps = Decimal(string: "\(slippageBps)", locale: Locale(identifier: "en_US_POSIX"))
        else { return nil }
        let factor = side == .long ? (10_000 + bps) / 10_000 : (10_000 - bps) / 10_000
        return market.subticks(exactPrice: price * factor)
    }

    static func orderID(owner: String, clientID: UInt32, flags: UInt32, market: DydxMarket) -> DydxOrderId {
        var subaccount = DydxSubaccountId()
        subaccount.owner = owner
        subaccount.number = 0
        var id = DydxOrderId()
        id.subaccountID = subaccount
        id.clientID = clientID
        id.orderFlags = flags
        id.clobPairID = market.clobPairID
        return id
    }

    /// A short-term IOC order of `size` at the worst price `slippageBps` from the oracle price.
    public static func market(
        owner: String, clientID: UInt32, market: DydxMarket, side: TradeSide, size: Double, slippageBps: Double,
        latestHeight: UInt32, reduceOnly: Bool = false
    ) throws(Problem) -> DydxOrder {
        guard let quantums = market.quantums(size: size) else { throw .size(size) }
        guard
            let subticks = worstSubticks(
                market: market, reference: market.oraclePrice, side: side, slippageBps: slippageBps)
        else { throw .price(market.oraclePrice) }
        var order = DydxOrder()
        order.orderID = orderID(owner: owner, clientID: clientID, flags: Flags.shortTerm, market: market)
        order.side = side == .long ? .buy : .sell
        order.quantums = quantums
        order.subticks = subticks
        order.goodTilBlock = goodTilBlock(latestHeight: latestHeight)
        order.timeInForce = .ioc
        order.reduceOnly = reduceOnly
        return order
    }

    /// A reduce-only conditional order closing a `position` side's `size` when the oracle price
    /// reaches `trigger`: TAKE_PROFIT or STOP_LOSS, executed as IOC with its worst price
    /// `slippageBps` beyond the trigger.
    public static func conditional(
        _ condition: DydxOrder.ConditionType, owner: String, clientID: UInt32, market: DydxMarket,
        position: TradeSide, size: Double, trigger: Double, slippageBps: Double, now: Date
    ) throws(Problem) -> DydxOrder {
        let side: TradeSide = position == .long ? .short : .long
        guard let quantums = market.quantums(size: size) else { throw .size(size) }
        guard let triggerSubticks = market.subticks(price: trigger) else { throw .price(trigger) }
        guard let subticks = worstSubticks(market: market, reference: trigger, side: side, slippageBps: slippageBps)
        else { throw .price(trigger) }
        var order = DydxOrder()
        order.orderID = orderID(owner: owner, clientID: clientID, flags: Flags.conditional, market: market)
        order.side = side == .long ? .buy : .sell
        order.quantums = quantums
        order.subticks = subticks
        order.goodTilBlockTime = UInt32(now.addingTimeInterval(conditionalLifetime).timeIntervalSince1970)
        order.timeInForce = .ioc
        order.reduceOnly = true
        order.conditionType = condition
        order.conditionalOrderTriggerSubticks = triggerSubticks
        return order
    }

    /// Cancels a conditional (stateful) order: `good_til_block_time` at least the order's own.
    public static func cancel(_ order: DydxOrder) -> DydxMsgCancelOrder {
        var cancel = DydxMsgCancelOrder()
        cancel.orderID = order.orderID
        if order.orderID.orderFlags == Flags.shortTerm {
            cancel.goodTilBlock = order.goodTilBlock
        } else {
            cancel.goodTilBlockTime = order.goodTilBlockTime
        }
        return cancel
    }
}
