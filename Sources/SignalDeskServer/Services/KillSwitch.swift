import Fluent
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// The platform kill switch: a stored setting, read through a short cache that a local change
/// invalidates at once (other instances see a change within ``KillSwitch/cacheSeconds``).
/// While engaged: webhooks answer 423, claims return nothing, opens answer 409, the worker
/// executes nothing.
final class KillSwitch: Sendable {
    static let key = "kill_switch"
    static let cacheSeconds: TimeInterval = 2

    struct State: Codable, Sendable, Equatable {
        var enabled: Bool
        var reason: String?
        var updatedAt: Date?
        var updatedBy: UUID?

        static let released = State(enabled: false, reason: nil, updatedAt: nil, updatedBy: nil)
    }

    private let cache = NIOLockedValueBox<(state: State, readAt: Date)?>(nil)

    func state(on db: any Database, now: Date = Date()) async throws -> State {
        if let cached = cache.withLockedValue({ $0 }), now.timeIntervalSince(cached.readAt) < Self.cacheSeconds {
            return cached.state
        }
        var state = State.released
        if let row = try await Setting.find(Self.key, on: db) {
            state = try JSONDecoder().decode(State.self, from: Data(row.value.utf8))
        }
        cache.withLockedValue { $0 = (state, now) }
        return state
    }

    func set(_ state: State, on db: any Database) async throws {
        let row = try await Setting.find(Self.key, on: db) ?? Setting()
        row.id = Self.key
        row.value = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        row.updatedBy = state.updatedBy
        row.updatedAt = state.updatedAt ?? Date()
        try await row.save(on: db)
        cache.withLockedValue { $0 = nil }
    }
}

extension Application {
    private struct KillSwitchKey: StorageKey {
        typealias Value = KillSwitch
    }

    var killSwitch: KillSwitch {
        get {
            guard let value = storage[KillSwitchKey.self] else { fatalError("configure() installs the kill switch") }
            return value
        }
        set { storage[KillSwitchKey.self] = newValue }
    }
}

/// Wakes the execution worker when a webhook signal was accepted (in process; PostgreSQL
/// deployments with separate workers also use LISTEN/NOTIFY).
final class SignalWakeup: Sendable {
    private let waiters = NIOLockedValueBox<[CheckedContinuation<Void, Never>]>([])
    private let pending = NIOLockedValueBox(false)

    func signal() {
        let toWake = waiters.withLockedValue { current -> [CheckedContinuation<Void, Never>] in
            defer { current.removeAll() }
            return current
        }
        if toWake.isEmpty { pending.withLockedValue { $0 = true } }
        toWake.forEach { $0.resume() }
    }

    /// Returns at once when a signal arrived since the last wait, else when the next one does.
    func wait() async {
        if pending.withLockedValue({ value -> Bool in defer { value = false }; return value }) { return }
        await withCheckedContinuation { continuation in
            waiters.withLockedValue { $0.append(continuation) }
        }
    }
}

extension Application {
    private struct WakeupKey: StorageKey {
        typealias Value = SignalWakeup
    }

    var signalWakeup: SignalWakeup {
        get {
            guard let value = storage[WakeupKey.self] else { fatalError("configure() installs the wakeup") }
            return value
        }
        set { storage[WakeupKey.self] = newValue }
    }
}
