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

    /// The database is only asked when the cached state is older than ``cacheSeconds`` (an
    /// autoclosure, so that a request does not even build its database handle otherwise).
    func state(on db: @autoclosure () -> any Database, now: Date = Date()) async throws -> State {
        if let cached = cache.withLockedValue({ $0 }), now.timeIntervalSince(cached.readAt) < Self.cacheSeconds {
            return cached.state
        }
        var state = State.released
        if let row = try await Setting.find(Self.key, on: db()) {
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
