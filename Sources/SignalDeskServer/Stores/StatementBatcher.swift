import NIOConcurrencyHelpers
import PostgresNIO

/// Runs concurrent requests for one statement in groups, the way a database groups commits: the
/// first request runs at once; requests that arrive while a group runs wait for it and then run
/// together as the next group (up to `maxGroup`). Nothing waits for a timer, so a lone request is
/// not delayed, and under load one statement (and for writes one commit) serves many requests:
/// the webhook accept path looks up endpoints and stores alerts this way.
///
/// When a group has been running for longer than `slowGroup` (its statement waits for a
/// connection while PostgreSQL restarts, say), the requests queued behind it, or the next one to
/// arrive, start another group beside it, up to `maxConcurrentGroups`, so one slow statement does
/// not hold back every request behind it.
/// Groups are not run side by side otherwise: that would split them and cost PostgreSQL a
/// statement and a commit each (measured: 0.51 instead of 0.36 ms of its CPU per alert).
///
/// `run` gets the items of one group and returns one output per item, in order. When a group fails
/// with an error PostgreSQL raised for the statement (a value it refused), its items are retried
/// one by one, so one bad item cannot fail the others; any other failure (the database is
/// unreachable, the pool timed out) is every item's answer at once.
///
/// A group that has not finished after `groupDeadline` is answered with ``StatementOverdue``
/// (503) and left behind, and the next group runs: after PostgreSQL was stopped under load, a
/// database call was seen to never complete (docs/benchmarks.md, chaos), and one such call must
/// not stall every later request. If the abandoned statement commits after all, its alerts were
/// answered 503 and are stored; their senders retry with the same alert ids and get the stored
/// signals as duplicates.
final class StatementBatcher<Item: Sendable, Output: Sendable>: Sendable {
    typealias Run = @Sendable ([Item]) async throws -> [Output]

    private typealias Entry = (item: Item, continuation: CheckedContinuation<Output, any Error>)

    private struct State {
        var queue: [Entry] = []
        var running = 0
        /// When the current group of each running drain started, by drain.
        var started: [Int: ContinuousClock.Instant] = [:]
        var nextDrain = 0
    }

    struct MismatchedOutputs: Error {}

    let maxGroup: Int
    let maxConcurrentGroups: Int
    let slowGroup: Duration
    let groupDeadline: Duration
    private let run: Run
    private let retriesAlone: @Sendable (any Error) -> Bool
    private let state = NIOLockedValueBox(State())

    /// `retriesAlone` tells the errors after which a group's items are retried one by one.
    init(
        maxGroup: Int = 64, maxConcurrentGroups: Int = 4, slowGroup: Duration = .milliseconds(200),
        groupDeadline: Duration = .seconds(5),
        retriesAlone: @escaping @Sendable (any Error) -> Bool = StatementBatcher.isStatementError, run: @escaping Run
    ) {
        precondition(maxGroup > 0 && maxConcurrentGroups > 0)
        self.maxGroup = maxGroup
        self.maxConcurrentGroups = maxConcurrentGroups
        self.slowGroup = slowGroup
        self.groupDeadline = groupDeadline
        self.retriesAlone = retriesAlone
        self.run = run
    }

    /// Runs `item` with the next group and returns its output.
    func submit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let drain = state.withLockedValue { state -> Int? in
                state.queue.append((item, continuation))
                return claimDrain(&state)
            }
            if let drain { Task { await self.drain(drain) } }
        }
    }

    /// Whether queued requests may start a group now, and if so the new drain's id: one group at a
    /// time while groups come and go; another one beside them only when a group has been running
    /// for longer than `slowGroup`, up to `maxConcurrentGroups`.
    private func claimDrain(_ state: inout State) -> Int? {
        let now = ContinuousClock.now
        let stalled = state.started.values.contains { now - $0 > slowGroup }
        guard !state.queue.isEmpty, state.running == 0 || (stalled && state.running < maxConcurrentGroups) else {
            return nil
        }
        state.running += 1
        state.nextDrain += 1
        return state.nextDrain
    }

    /// Runs groups until the queue is empty.
    private func drain(_ id: Int) async {
        while true {
            let group = state.withLockedValue { state -> [Entry] in
                let taken = Array(state.queue.prefix(maxGroup))
                state.queue.removeFirst(taken.count)
                if taken.isEmpty {
                    state.running -= 1
                    state.started[id] = nil
                } else {
                    state.started[id] = .now
                }
                return taken
            }
            if group.isEmpty { return }
            // Once the group has been running for `slowGroup`, the requests queued behind it may
            // start another group: they must not wait for a later arrival, which never comes when
            // every sender is itself waiting in the queue.
            let watch = Task { [slowGroup] in
                try await Task.sleep(for: slowGroup + .milliseconds(1))
                let next = state.withLockedValue { claimDrain(&$0) }
                if let next { Task { await self.drain(next) } }
            }
            await execute(group)
            watch.cancel()
        }
    }

    private func execute(_ group: [Entry]) async {
        do {
            let (run, items) = (self.run, group.map(\.item))
            let outputs = try await Deadline.value(within: groupDeadline, orThrow: StatementOverdue()) {
                try await run(items)
            }
            guard outputs.count == group.count else { throw MismatchedOutputs() }
            for (entry, output) in zip(group, outputs) { entry.continuation.resume(returning: output) }
        } catch {
            if group.count > 1, retriesAlone(error) {
                for entry in group { await execute([entry]) }
            } else {
                for entry in group { entry.continuation.resume(throwing: error) }
            }
        }
    }

    /// An error PostgreSQL raised for the statement itself (not for the connection): the kind one
    /// item's values can cause.
    static func isStatementError(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server else { return false }
        return !DatabaseErrors.isUnreachable(error)
    }
}

/// A grouped statement did not finish within its batcher's deadline (answered 503, like an
/// unreachable database).
struct StatementOverdue: Error {}
