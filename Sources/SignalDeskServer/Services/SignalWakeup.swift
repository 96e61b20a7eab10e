import Fluent
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Wakes a background loop at once (the execution worker on an accepted signal, the position
/// monitor on a new price). `wait()` returns on the next `signal()`, at once when one came since
/// the last wait, or when the waiting task is cancelled.
final class SignalWakeup: Sendable {
    private struct State {
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
        var pending = false
    }

    private let state = NIOLockedValueBox(State())

    func signal() {
        let toWake = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            let waiting = Array(state.waiters.values)
            state.waiters.removeAll()
            if waiting.isEmpty { state.pending = true }
            return waiting
        }
        toWake.forEach { $0.resume() }
    }

    func wait() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.resume()
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
