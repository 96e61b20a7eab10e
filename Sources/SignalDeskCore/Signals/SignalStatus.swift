/// The states of a signal (contract.md "Signals").
public enum SignalStatus: String, Sendable, CaseIterable, Codable {
    case created = "CREATED"
    case executing = "EXECUTING"
    case opened = "OPENED"
    case completed = "COMPLETED"
    case rejected = "REJECTED"
    case failed = "FAILED"
    case expired = "EXPIRED"
}

/// What can happen to a signal.
public enum SignalEvent: Sendable, Equatable {
    /// A claimer (client or worker) takes it; leases it until the lease runs out.
    case claim
    /// A position was opened from it.
    case open
    /// Its position was closed.
    case complete
    /// A close/exit signal closed the user's position (close signals open nothing).
    case closedPosition
    /// A pretrade check failed.
    case reject
    /// The venue refused or errored.
    case fail
    /// Its lease ran out while executing; `previousLeases` is how many times it was claimed.
    case leaseExpired(previousLeases: Int)
}

/// A transition the lifecycle does not allow. Carries both ends for the error message.
public struct IllegalSignalTransition: Error, Equatable, Sendable {
    public let from: SignalStatus
    public let event: SignalEvent

    public init(from: SignalStatus, event: SignalEvent) {
        self.from = from
        self.event = event
    }
}

extension SignalStatus {
    /// The state after `event`, or an error for a transition the lifecycle does not allow.
    ///
    /// `CREATED → EXECUTING → OPENED → COMPLETED`; `EXECUTING → REJECTED | FAILED`; an
    /// `EXECUTING` signal whose lease runs out returns to `CREATED` after its first claim and
    /// becomes `EXPIRED` after any later one.
    public func applying(_ event: SignalEvent) throws(IllegalSignalTransition) -> SignalStatus {
        switch (self, event) {
        case (.created, .claim): return .executing
        case (.executing, .open): return .opened
        case (.executing, .reject): return .rejected
        case (.executing, .fail): return .failed
        case (.executing, .leaseExpired(let leases)): return leases <= 1 ? .created : .expired
        case (.opened, .complete): return .completed
        case (.executing, .closedPosition): return .completed
        case (.created, _), (.executing, _), (.opened, _), (.completed, _), (.rejected, _), (.failed, _), (.expired, _):
            throw IllegalSignalTransition(from: self, event: event)
        }
    }

    /// Final states: nothing happens to the signal any more.
    public var isTerminal: Bool {
        switch self {
        case .completed, .rejected, .failed, .expired: true
        case .created, .executing, .opened: false
        }
    }
}
