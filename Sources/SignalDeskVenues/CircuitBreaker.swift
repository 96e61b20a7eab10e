import Foundation

/// Stops calling a venue that keeps failing: after `threshold` consecutive failures the circuit
/// opens and calls fail at once for `cooldown`; then one trial call is let through (half open),
/// which closes the circuit on success or opens it again on failure.
public actor CircuitBreaker {
    public enum State: String, Sendable {
        case closed, open
        case halfOpen = "half_open"
    }

    let threshold: Int
    let cooldown: Duration
    private let clock = ContinuousClock()
    private var failures = 0
    private var openedAt: ContinuousClock.Instant?
    private var trialInFlight = false

    public init(threshold: Int = 5, cooldown: Duration = .seconds(30)) {
        self.threshold = threshold
        self.cooldown = cooldown
    }

    public var state: State {
        guard let openedAt else { return .closed }
        return clock.now - openedAt >= cooldown ? .halfOpen : .open
    }

    /// Whether a call may go out now. In half-open state only one trial is allowed at a time.
    public func allow() -> Bool {
        switch state {
        case .closed: return true
        case .open: return false
        case .halfOpen:
            guard !trialInFlight else { return false }
            trialInFlight = true
            return true
        }
    }

    public func recordSuccess() {
        failures = 0
        openedAt = nil
        trialInFlight = false
    }

    public func recordFailure() {
        trialInFlight = false
        if openedAt != nil {
            openedAt = clock.now
            return
        }
        failures += 1
        if failures >= threshold { openedAt = clock.now }
    }
}

/// A venue behind a circuit breaker: calls are refused with ``VenueError/circuitOpen(venue:)``
/// while the breaker is open, and failures that speak about the venue's health trip it.
public struct GuardedVenue: Venue {
    public let base: any Venue
    public let breaker: CircuitBreaker

    public init(_ base: any Venue, breaker: CircuitBreaker = CircuitBreaker()) {
        self.base = base
        self.breaker = breaker
    }

    public var name: String { base.name }

    private func guarded<T: Sendable>(_ call: () async throws(VenueError) -> T) async throws(VenueError) -> T {
        guard await breaker.allow() else { throw .circuitOpen(venue: base.name) }
        do {
            let result = try await call()
            await breaker.recordSuccess()
            return result
        } catch {
            if error.countsAgainstVenue { await breaker.recordFailure() } else { await breaker.recordSuccess() }
            throw error
        }
    }

    public func placeOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError) -> OrderResult
    {
        try await guarded { () async throws(VenueError) in try await base.placeOrder(order, credentials: credentials) }
    }

    public func queryOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError) -> OrderResult?
    {
        try await guarded { () async throws(VenueError) in
            try await base.queryOrder(clientOrderID: clientOrderID, symbol: symbol, credentials: credentials)
        }
    }

    public func cancelOrder(clientOrderID: String, symbol: String, credentials: VenueCredentials)
        async throws(VenueError)
    {
        try await guarded { () async throws(VenueError) in
            try await base.cancelOrder(clientOrderID: clientOrderID, symbol: symbol, credentials: credentials)
        }
    }

    public func testOrder(_ order: OrderRequest, credentials: VenueCredentials) async throws(VenueError)
        -> TestOrderResult
    {
        try await guarded { () async throws(VenueError) in try await base.testOrder(order, credentials: credentials) }
    }
}
