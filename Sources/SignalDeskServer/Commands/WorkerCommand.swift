import Foundation
import Vapor

/// `signaldesk worker`: the execution worker, position monitor, lease sweeper and notification
/// sender without the HTTP server, for scale-out (several may run against one PostgreSQL).
/// Stops on SIGINT or SIGTERM.
struct WorkerCommand: AsyncCommand {
    struct Signature: CommandSignature {
        init() {}
    }

    var help: String { "Runs the execution worker (no HTTP server)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        if app.appConfig.autoMigrate { try await app.autoMigrate() }
        app.lifecycle.use(LeaseSweeper())
        app.lifecycle.use(AuditSealer())
        app.lifecycle.use(TelegramSender())
        app.lifecycle.use(PositionMonitor())
        app.lifecycle.use(ExecutionWorker())
        try await app.asyncBoot()
        app.logger.notice("Execution worker started")
        let (stop, continuation) = AsyncStream<Void>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler { continuation.yield() }
            source.resume()
            sources.append(source)
        }
        for await _ in stop { break }
        sources.forEach { $0.cancel() }
        app.logger.notice("Execution worker stopping")
    }
}
