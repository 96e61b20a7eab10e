import Foundation
import NIOConcurrencyHelpers
import Vapor

/// How a fake answers the next calls: normally, with an HTTP error, or too late.
public enum FakeBehavior: Sendable, Equatable {
    case normal
    case status(Int, body: String)
    /// Answers normally, but only after this long (longer than the client's timeout = a timeout).
    case delay(Duration)
    /// Accepts the order, then answers too late: the client sees a timeout although the order exists.
    case acceptThenDelay(Duration)
}

/// A local HTTP server standing in for an exchange in tests: verifies requests the way the real
/// service does, records what it accepted, and answers as its ``behavior`` says.
public final class FakeServer: Sendable {
    let app: Application
    public let port: Int
    private let state = NIOLockedValueBox<(behavior: FakeBehavior, requests: [String])>((.normal, []))

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public var behavior: FakeBehavior {
        get { state.withLockedValue { $0.behavior } }
        set { state.withLockedValue { $0.behavior = newValue } }
    }

    /// `METHOD path` of every request that reached a handler.
    public var requests: [String] { state.withLockedValue { $0.requests } }

    init(app: Application, port: Int) {
        self.app = app
        self.port = port
    }

    /// Starts a server on 127.0.0.1 and a free port with the routes `install` registers.
    static func start(_ install: (Application, FakeServerContext) throws -> Void) async throws -> FakeServer {
        let app = try await Application.make(.testing)
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = 0
        app.logger.logLevel = .error
        let context = FakeServerContext()
        try install(app, context)
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        guard let port = app.http.server.shared.localAddress?.port else { throw Abort(.internalServerError) }
        let server = FakeServer(app: app, port: port)
        context.server.withLockedValue { $0 = server }
        return server
    }

    public func shutdown() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }

    func record(_ request: Request) {
        state.withLockedValue { $0.requests.append("\(request.method.rawValue) \(request.url.path)") }
    }

    /// Applies the behavior before a handler runs: an error answer to send instead, or nil to go on
    /// (after sleeping, for ``FakeBehavior/delay(_:)``).
    func before() async -> Response? {
        switch behavior {
        case .normal, .acceptThenDelay: return nil
        case .status(let code, let body):
            return Response(
                status: HTTPResponseStatus(statusCode: code), headers: ["Content-Type": "application/json"],
                body: .init(string: body))
        case .delay(let duration):
            try? await Task.sleep(for: duration)
            return nil
        }
    }

    /// After an order was accepted: sleeps for ``FakeBehavior/acceptThenDelay(_:)``.
    func afterAccepting() async {
        if case .acceptThenDelay(let duration) = behavior { try? await Task.sleep(for: duration) }
    }

    /// Records the request, applies ``behavior`` and runs `body` for the normal answer.
    func handle(_ request: Request, accepting: Bool, _ body: () -> Response) async -> Response {
        record(request)
        if let early = await before() { return early }
        let response = body()
        if accepting { await afterAccepting() }
        return response
    }
}

/// Gives route handlers access to their server once it has started.
final class FakeServerContext: Sendable {
    let server = NIOLockedValueBox<FakeServer?>(nil)
    var current: FakeServer? { server.withLockedValue { $0 } }
}
