import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import Testing
import Vapor

@testable import SignalDeskServer

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 11: SIGTERM stops accepting, finishes the requests in progress, then exits. The whole
/// process under load is checked by scripts/chaos/run.sh (scenario 5); this pins the order.
@Suite struct ShutdownTests {
    /// Holds every password check, once armed, until the test releases it (checks that start
    /// after the release pass at once).
    final class GatedHasher: PasswordHasher {
        let base: any PasswordHasher
        private let state = NIOLockedValueBox((armed: false, entered: 0))
        private let gate = DispatchSemaphore(value: 0)

        init(base: any PasswordHasher) { self.base = base }

        func arm() { state.withLockedValue { $0.armed = true } }
        var entered: Int { state.withLockedValue { $0.entered } }
        func release() {
            state.withLockedValue { $0.armed = false }
            gate.signal()
        }

        private func pass() {
            let held = state.withLockedValue { current in
                if current.armed { current.entered += 1 }
                return current.armed
            }
            if held { gate.wait() }
        }

        func hash<Password: DataProtocol>(_ password: Password) throws -> [UInt8] {
            pass()
            return try base.hash(password)
        }

        func verify<Password: DataProtocol, Digest: DataProtocol>(_ password: Password, created digest: Digest) throws
            -> Bool
        {
            pass()
            return try base.verify(password, created: digest)
        }
    }

    /// Whether something accepts TCP connections on the loopback port.
    static func acceptsConnections(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// A login whose password check is running when the shutdown starts completes with its token:
    /// the server stops listening first and waits for it while the database is still open. With
    /// Vapor's own order the databases stopped first, and the login, once its check returned,
    /// stopped the process on Fluent's force-unwrap of a shut-down database (or, with nothing to
    /// stop the listener, the shutdown never got past the held check: the time limit). A login
    /// still waiting for the hashing thread is answered 503 rather than run: the drain stops the
    /// hashing pool at once (without that it would be answered 200 after the first).
    @Test(.timeLimit(.minutes(1)), arguments: TestDatabase.all)
    func aRequestInProgressFinishesBeforeTheDatabasesStop(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            #expect(try await Client(app: app).register("draining@desk.io").status == .created)
            let hasher = GatedHasher(base: app.password)
            await app.installPasswordHashing(hasher: hasher, threads: 1)
            try await prepareForServing(app)
            try await app.asyncBoot()
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            defer { hasher.release() }

            hasher.arm()
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/auth/login")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: "username=draining%40desk.io&password=password-123"))
            let login = request
            func send() -> Task<(HTTPResponseStatus, ByteBuffer), any Error> {
                Task {
                    let response = try await HTTPClient.shared.execute(login, timeout: .seconds(50))
                    return (response.status, try await response.body.collect(upTo: 1 << 16))
                }
            }
            let running = send()
            while hasher.entered == 0 { try await Task.sleep(for: .milliseconds(10)) }
            // The second waits for the one hashing thread, which the first holds.
            let queued = send()
            while app.passwordHashing.inProgress < 2 { try await Task.sleep(for: .milliseconds(10)) }

            let stopping = Task { try await app.asyncShutdown() }
            // The listener closes first; the login is still held in its password check.
            while Self.acceptsConnections(port: port) { try await Task.sleep(for: .milliseconds(10)) }
            #expect(!app.didShutdown)
            hasher.release()

            let (status, body) = try await running.value
            #expect(status == .ok)
            let token = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            #expect((token?["access_token"] as? String)?.isEmpty == false)
            let (queuedStatus, queuedBody) = try await queued.value
            #expect(queuedStatus == .serviceUnavailable)
            #expect(String(buffer: queuedBody).contains("the server is shutting down"))
            try await stopping.value
            #expect(app.didShutdown)
        }
    }
}
