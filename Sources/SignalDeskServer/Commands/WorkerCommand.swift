import Foundation
import Vapor

/// `signaldesk worker`: the execution worker, position monitor, lease sweeper, audit sealer and
/// notification sender without the HTTP server, for scale-out (several may run against one
/// PostgreSQL). ``prepareForWorking(_:)`` registers the loops before the application boots; this
/// command only keeps the process alive until SIGINT or SIGTERM, after which the application's
/// shutdown stops the loops (each finishes its current step).
struct WorkerCommand: AsyncCommand {
    struct Signature: CommandSignature {
        init() {}
    }

    var help: String { "Runs the execution worker, position monitor and notification sender (no HTTP server)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let (stop, continuation) = AsyncStream<Void>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler { continuation.yield() }
            source.resume()
            sources.append(source)
        }
        app.logger.notice("Execution worker started")
        for await _ in stop { break }
        sources.forEach { $0.cancel() }
        app.logger.notice("Execution worker stopping")
    }
}
