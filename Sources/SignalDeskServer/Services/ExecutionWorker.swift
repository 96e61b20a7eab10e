import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Turns accepted webhook signals into orders. Claims `CREATED` webhook signals atomically (so
/// several workers, in one process or many, never execute one signal twice), at most
/// WORKER_CONCURRENCY at a time; woken at once by an accepted alert in this process, and polling
/// otherwise. Executes nothing while the kill switch is engaged.
final class ExecutionWorker: LifecycleHandler, Sendable {
    let pollInterval: Duration
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let running = NIOLockedValueBox(false)

    init(pollInterval: Duration = .seconds(1)) {
        self.pollInterval = pollInterval
    }

    var isRunning: Bool { running.withLockedValue { $0 } }

    func didBootAsync(_ application: Application) async throws {
        application.executionWorker = self
        running.withLockedValue { $0 = true }
        let poll = pollInterval
        let started = Task { [weak application] in
            while !Task.isCancelled {
                guard let application else { return }
                var worked = false
                do {
                    worked = try await ExecutionWorker.runOnce(app: application)
                } catch {
                    application.logger.warning("Execution worker: \(String(reflecting: error))")
                }
                if worked { continue }
                let wakeup = application.signalWakeup
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { try? await Task.sleep(for: poll) }
                    group.addTask { await wakeup.wait() }
                    await group.next()
                    group.cancelAll()
                }
            }
        }
        task.withLockedValue { $0 = started }
    }

    func shutdownAsync(_ application: Application) async {
        running.withLockedValue { $0 = false }
        let current = task.withLockedValue { $0 }
        current?.cancel()
        application.signalWakeup.signal()
        await current?.value
    }

    /// Claims and executes one batch. True when there was work.
    static func runOnce(app: Application) async throws -> Bool {
        guard try await !app.killSwitch.state(on: app.db).enabled else { return false }
        let store = SignalStore(app: app, db: app.db)
        _ = try await store.expireLeases()
        let claimed = try await store.claim(.worker, limit: app.appConfig.workerConcurrency)
        guard !claimed.isEmpty else { return false }
        await withTaskGroup(of: Void.self) { group in
            for signal in claimed {
                group.addTask { await SignalExecution(app: app).execute(signal) }
            }
        }
        return true
    }
}

/// Closes open positions whose exit rules are met (stop, take, the strategy's maximum hold), on
/// every new price and every 15 s, with `close_reason` set to the first reason met.
final class PositionMonitor: LifecycleHandler, Sendable {
    let interval: Duration
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(interval: Duration = .seconds(15)) {
        self.interval = interval
    }

    func didBootAsync(_ application: Application) async throws {
        let interval = self.interval
        let started = Task { [weak application] in
            while !Task.isCancelled {
                guard let application else { return }
                do {
                    try await PositionMonitor.sweep(app: application)
                } catch {
                    application.logger.warning("Position monitor: \(String(reflecting: error))")
                }
                let wakeup = application.priceWakeup
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { try? await Task.sleep(for: interval) }
                    group.addTask { await wakeup.wait() }
                    await group.next()
                    group.cancelAll()
                }
            }
        }
        task.withLockedValue { $0 = started }
    }

    func shutdownAsync(_ application: Application) async {
        // Wait for the loop to stop: the database shuts down right after this.
        let current = task.withLockedValue { $0 }
        current?.cancel()
        application.priceWakeup.signal()
        await current?.value
    }

    /// Evaluates every open position with a known price once; returns how many were closed.
    @discardableResult
    static func sweep(app: Application, now: Date = Date()) async throws -> Int {
        var closed = 0
        for position in try await Position.query(on: app.db).filter(\.$status == .open).all() {
            guard let price = await app.marketPrices.last(position.symbol),
                let exchange = SignalDeskCoreExchange(rawValue: position.exchange)
            else { continue }
            let strategy = try await EffectiveStrategy.load(userID: position.$user.id, exchange: exchange, on: app.db)
            let outcome = ExitRules.evaluate(position: position, price: price, strategy: strategy, exchange: exchange, now: now)
            guard let reason = outcome.reasons.first else { continue }
            let id = try position.requireID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            if try await SignalExecution(app: app).closePosition(position, clientOrderID: "mx" + id, reason: reason, signal: nil) {
                closed += 1
            }
        }
        return closed
    }
}

extension Application {
    private struct WorkerKey: StorageKey {
        typealias Value = ExecutionWorker
    }

    private struct PriceWakeupKey: StorageKey {
        typealias Value = SignalWakeup
    }

    /// The execution worker of this process, once it runs.
    var executionWorker: ExecutionWorker? {
        get { storage[WorkerKey.self] }
        set { storage[WorkerKey.self] = newValue }
    }

    /// Woken by every new price (the position monitor waits on it).
    var priceWakeup: SignalWakeup {
        get {
            guard let value = storage[PriceWakeupKey.self] else { fatalError("configure() installs the price wakeup") }
            return value
        }
        set { storage[PriceWakeupKey.self] = newValue }
    }
}
