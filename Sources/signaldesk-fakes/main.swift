import Foundation
import SignalDeskFakes

/// Runs the fake Binance, Bybit, IBKR bridge, Telegram and dYdX servers on free loopback ports, for live
/// checks of the built server (scripts/checks/). Accounts come from `FAKE_ACCOUNTS`
/// (`key:secret,key:secret`); `FAKE_BINANCE_ACCEPT_THEN_DELAY` (seconds) makes Binance accept
/// orders and answer late; `GET /fake/orders` on Binance counts accepted orders and placements.
/// The servers' base URLs are written as one JSON object to the file
/// named by the first argument (or to standard output), then the process serves until it is killed.
let accounts: [String: String] = Dictionary(
    (ProcessInfo.processInfo.environment["FAKE_ACCOUNTS"] ?? "")
        .split(separator: ",")
        .compactMap { entry -> (String, String)? in
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        },
    uniquingKeysWith: { _, last in last })
guard !accounts.isEmpty else {
    FileHandle.standardError.write(Data("FAKE_ACCOUNTS must name at least one key:secret pair\n".utf8))
    exit(64)
}

let binance = try await FakeBinance.start(accounts: accounts)
// FAKE_BINANCE_ACCEPT_THEN_DELAY=SECONDS: Binance accepts every order, then answers that late
// (a client with a shorter timeout sees a timeout although the order exists).
if let seconds = ProcessInfo.processInfo.environment["FAKE_BINANCE_ACCEPT_THEN_DELAY"].flatMap(Double.init) {
    binance.behavior = .acceptThenDelay(.milliseconds(Int(seconds * 1000)))
}
let bybit = try await FakeBybit.start(accounts: accounts)
let ibkr = try await FakeIBKRBridge.start(accounts: accounts)
let telegram = try await FakeTelegram.start()
// The dYdX v4 node and indexer on one port (issue 23): serve as DYDX_NODE_REST_URL and DYDX_INDEXER_URL.
let dydx = try await FakeDydxChain.start()
let urls = """
    {"binance":"\(binance.baseURL)","bybit":"\(bybit.baseURL)","ibkr":"\(ibkr.baseURL)","telegram":"\(telegram.baseURL)",\
    "dydx":"\(dydx.baseURL)"}

    """
if let path = CommandLine.arguments.dropFirst().first {
    // Written whole and renamed, so a reader polling for the file never sees half of it.
    try Data(urls.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
} else {
    print(urls, terminator: "")
}
while true { try await Task.sleep(for: .seconds(3600)) }
