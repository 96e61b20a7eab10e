import Fluent
import SignalDeskCore
import Vapor

/// `POST /ops/admin/exit/tick` (issue 25, group 3; admin): one auto-exit tick, optionally under an
/// idempotency key (the tick runs once per key; a repeat gets its answer).
struct ExitTickController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.adminOnly.post("ops", "admin", "exit", "tick", use: Self.tick)
    }

    static let scope = "ops.exit_tick"

    @Sendable static func tick(req: Request) async throws -> Response {
        let caller = try req.caller
        var email = req.query[String.self, at: "user_email"]?.trimmingCharacters(in: .whitespaces).lowercased()
        if email?.isEmpty == true { email = nil }
        if let email, email.count > 320 {
            throw APIError(
                .unprocessableEntity,
                items: [
                    .init(
                        loc: ["query", "user_email"], msg: "user_email must be at most 320 characters",
                        type: "value_error")
                ])
        }
        let options = AutoExitTick.Options(
            dryRun: try QueryValue.bool(req, "dry_run", default: true),
            realOnly: try QueryValue.bool(req, "real_only", default: true),
            includeServiceUsers: try QueryValue.bool(req, "include_service_users", default: false),
            maxPositions: try QueryValue.int(req, "max_positions", default: 500, range: 1...5000), userEmail: email)
        let key = try IdempotencyKeyHeader.read(req.headers)
        let now = req.application.wallClock.now()
        let keys = IdempotencyKeys(db: req.db)
        var reservation: IdempotencyRecord?
        if let key {
            let taken = try await IdempotencyAnswers.refusing {
                try await keys.reserve(
                    userID: caller.id, scope: scope, key: key, fingerprint: try RequestFingerprint.of(options), now: now
                )
            }
            if let earlier = taken.earlier { return IdempotencyAnswers.replay(earlier) }
            reservation = taken.reservation
        }
        do {
            let answer = try await AutoExitTick(app: req.application, db: req.db).run(
                options, policy: req.application.appConfig.autoExitPolicy, callerID: caller.id, now: now)
            let text = String(decoding: try JSONCoding.encode(answer), as: UTF8.self)
            if let reservation { try await keys.finish(reservation, statusCode: 200, body: text) }
            return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: text))
        } catch {
            if let reservation { try? await keys.release(reservation) }
            throw error
        }
    }
}
