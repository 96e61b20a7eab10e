/// Where a signal came from, which decides who executes it (contract.md "Signals"): signals
/// from webhooks are executed by the server's worker; `api` signals follow the client-driven
/// lifecycle (claim, open_from_signal, close) and the worker never touches them.
public enum SignalSource: String, Sendable, CaseIterable, Codable {
    /// `POST /signals`.
    case api
    /// `POST /webhooks/tradingview/{uuid}` and its alias.
    case tradingview
    /// `POST /webhook` (HMAC-signed body).
    case hmac

    /// Whether the execution worker runs signals of this source.
    public var isExecutedByWorker: Bool { self != .api }
}

extension SignalStatus {
    /// Signals not decided yet: waiting for a claimer or being executed.
    public static let pending: [SignalStatus] = [.created, .executing]
}
