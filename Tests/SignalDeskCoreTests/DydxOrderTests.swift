import Crypto
import Foundation
import SignalDeskCore
import Testing

/// dYdX v4 orders and transactions (issue 23, step 2) against the vectors that
/// scripts/vectors/dydx_vectors.py prints (a hand-written protobuf encoder from REFERENCE.md's
/// field numbers, Python's Decimal, coincurve's signature).
@Suite struct DydxOrderTests {
    static let abandon = try! BIP39.mnemonic(Array(repeating: "abandon", count: 11).joined(separator: " ") + " about")
    static let btc = DydxMarket(
        ticker: "BTC-USD", clobPairID: 0, atomicResolution: -10, quantumConversionExponent: -9,
        stepBaseQuantums: 1_000_000, subticksPerTick: 100_000, oraclePrice: 60_000)

    @Test func quantumsAndSubticksByTheOfficialFormulas() {
        #expect(
            [0.01, 0.3, 0.0000001, 1.23456789].map { Self.btc.quantums(size: $0) } == [
                100_000_000, 3_000_000_000, 1_000_000, 12_345_000_000,
            ])
        #expect(
            [60_000, 60_600, 0.01, 12_345.678].map { Self.btc.subticks(price: $0) } == [
                6_000_000_000, 6_060_000_000, 100_000, 1_234_500_000,
            ])
        for bad in [0, -1, .nan, .infinity, 1e300] {
            #expect(Self.btc.quantums(size: bad) == nil, "\(bad)")
            #expect(Self.btc.subticks(price: bad) == nil, "\(bad)")
        }
        #expect(Self.btc.size(quantums: 100_000_000) == 0.01)
        #expect(Self.btc.price(subticks: 6_060_000_000) == 60_600)
        #expect(Self.btc.accepts(quantums: 100_000_000, subticks: 6_060_000_000))
        #expect(!Self.btc.accepts(quantums: 100_000_001, subticks: 6_060_000_000))
        #expect(!Self.btc.accepts(quantums: 100_000_000, subticks: 6_060_000_001))
        #expect(!Self.btc.accepts(quantums: 0, subticks: 6_060_000_000))
    }

    @Test func clientIDsDeriveFromTheClientOrderID() {
        let id = "sd0123456789abcdef0123456789abcdef"
        #expect(DydxClientID.of(id) == 754_667_449)
        #expect(DydxClientID.of(id, role: .takeProfit) == 1_676_316_878)
        #expect(DydxClientID.of(id, role: .stopLoss) != DydxClientID.of(id, role: .takeProfit))
        #expect(DydxClientID.of(id) == DydxClientID.of(id))
    }

    static func vectorOrder() throws -> DydxOrder {
        try DydxOrders.market(
            owner: "dydx19rl4cm2hmr8afy4kldpxz3fka4jguq0a4erelz", clientID: 0x0102_0304, market: btc, side: .long,
            size: 0.01, slippageBps: 100, latestHeight: 1000)
    }

    @Test func aSignedMarketOrderMatchesTheVector() throws {
        let key = try #require(DydxSigningKey(mnemonic: Self.abandon))
        #expect(key.address == "dydx19rl4cm2hmr8afy4kldpxz3fka4jguq0a4erelz")
        let order = try Self.vectorOrder()
        #expect(order.goodTilBlock == 1010)
        #expect(order.subticks == 6_060_000_000)
        let account = DydxTransaction.Account(number: 7, sequence: 3)
        let raw = try DydxTransaction.signed(
            [.place(order)], key: key, account: account, chainID: DydxNetwork.testnet.chainID)
        #expect(
            Data(raw).base64EncodedString()
                == "CnAKbgogL2R5ZHhwcm90b2NvbC5jbG9iLk1zZ1BsYWNlT3JkZXISSgpICjQKLQorZHlkeDE5cmw0Y20yaG1yOGFmeTRrbGRweHozZmthNGpndXEwYTRlcmVsehUEAwIBEAEYgMLXLyCAhtHJFijyBzgBElgKUApGCh8vY29zbW9zLmNyeXB0by5zZWNwMjU2azEuUHViS2V5EiMKIQJPTirZnDTWC5umKDyUMahBivhnMhKWH5ene2N3/NBbYhIECgIIARgDEgQQwIQ9GkBwcxNHZyR+1Iz1EANAO2HPw4QWXCzyRM7p4lhzsNitvDWjKkoWuN80ofUZ9pB0C0iZtrxDBz/EbYtbP00khpvP"
        )
        let decoded = try DydxTransaction.decode(raw)
        #expect(
            Hex.encode(
                try DydxTransaction.signBytes(
                    body: decoded.bodyBytes, authInfo: decoded.authInfoBytes, chainID: "dydx-testnet-4",
                    accountNumber: 7))
                == "0a700a6e0a202f6479647870726f746f636f6c2e636c6f622e4d7367506c6163654f72646572124a0a480a340a2d0a2b647964783139726c34636d32686d7238616679346b6c6470787a33666b61346a6775713061346572656c7a150403020110011880c2d72f208086d1c91628f207380112580a500a460a1f2f636f736d6f732e63727970746f2e736563703235366b312e5075624b657912230a21024f4e2ad99c34d60b9ba6283c9431a8418af8673212961f97a77b6377fcd05b6212040a0208011803120410c0843d1a0e647964782d746573746e65742d342007"
        )
        #expect(decoded.signerAddress == key.address)
        #expect(decoded.sequence == 3 && decoded.signMode == 1)
        #expect(decoded.messages == [.place(order)])
        #expect(decoded.signatureVerifies(chainID: "dydx-testnet-4", accountNumber: 7))
        // Another chain, account number or a changed byte: the signature no longer verifies.
        #expect(!decoded.signatureVerifies(chainID: "dydx-mainnet-1", accountNumber: 7))
        #expect(!decoded.signatureVerifies(chainID: "dydx-testnet-4", accountNumber: 8))
        var tampered = raw
        tampered[40] ^= 1
        let changed = try? DydxTransaction.decode(tampered)
        #expect(changed?.signatureVerifies(chainID: "dydx-testnet-4", accountNumber: 7) != true)
    }

    @Test func aWipedKeySignsNothing() throws {
        let key = try #require(DydxSigningKey(mnemonic: Self.abandon))
        key.wipe()
        #expect(key.isWiped)
        #expect(key.sign(digest: Array(repeating: 1, count: 32)) == nil)
        #expect(throws: DydxTransaction.Problem.signing) {
            try DydxTransaction.signed(
                [.place(try Self.vectorOrder())], key: key, account: .init(number: 1, sequence: 0), chainID: "x")
        }
    }

    @Test func takeProfitAndStopLossAreReduceOnlyConditionalOrders() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let owner = "dydx19rl4cm2hmr8afy4kldpxz3fka4jguq0a4erelz"
        let tp = try DydxOrders.conditional(
            .takeProfit, owner: owner, clientID: 9, market: Self.btc, position: .long, size: 0.01, trigger: 63_000,
            slippageBps: 100, now: now)
        #expect(tp.side == .sell && tp.reduceOnly && tp.timeInForce == .ioc)
        #expect(tp.orderID.orderFlags == 32 && tp.conditionType == .takeProfit)
        #expect(tp.conditionalOrderTriggerSubticks == 6_300_000_000)
        #expect(tp.subticks == 6_237_000_000)
        #expect(tp.goodTilBlockTime == 1_800_000_000 + 7 * 86_400)
        let sl = try DydxOrders.conditional(
            .stopLoss, owner: owner, clientID: 10, market: Self.btc, position: .short, size: 0.3, trigger: 61_000,
            slippageBps: 50, now: now)
        #expect(sl.side == .buy && sl.reduceOnly && sl.conditionType == .stopLoss)
        #expect(sl.quantums == 3_000_000_000 && sl.conditionalOrderTriggerSubticks == 6_100_000_000)
        #expect(sl.subticks == 6_130_500_000)

        let cancel = DydxOrders.cancel(tp)
        #expect(cancel.orderID == tp.orderID)
        #expect(cancel.goodTilBlockTime == tp.goodTilBlockTime)
        let key = try #require(DydxSigningKey(mnemonic: Self.abandon))
        let raw = try DydxTransaction.signed(
            [.cancel(cancel)], key: key, account: .init(number: 7, sequence: 4), chainID: "dydx-testnet-4")
        let decoded = try DydxTransaction.decode(raw)
        #expect(decoded.messages == [.cancel(cancel)])
        #expect(decoded.signatureVerifies(chainID: "dydx-testnet-4", accountNumber: 7))
    }

    @Test func marketOrdersBoundTheirWorstPrice() throws {
        let sell = try DydxOrders.market(
            owner: "o", clientID: 1, market: Self.btc, side: .short, size: 0.01, slippageBps: 100, latestHeight: 5)
        #expect(sell.side == .sell && sell.subticks == 5_940_000_000 && sell.goodTilBlock == 15)
        #expect(sell.goodTilBlock <= 5 + DydxOrders.shortBlockWindow)
        #expect(throws: DydxOrders.Problem.size(0)) {
            try DydxOrders.market(
                owner: "o", clientID: 1, market: Self.btc, side: .short, size: 0, slippageBps: 100, latestHeight: 5)
        }
    }

    @Test func garbageIsNotATransaction() {
        #expect(throws: DydxTransaction.Problem.self) { try DydxTransaction.decode([0xFF, 0x01, 0x02]) }
        #expect(throws: DydxTransaction.Problem.self) { try DydxTransaction.decode([]) }
    }
}
