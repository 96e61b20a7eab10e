import Vapor

/// `/ops/backoffice/*` (issue 25, group 6): the read-only back office for admins and viewers.
struct BackofficeController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.opsReaders.get("ops", "backoffice", "summary", use: Self.summary)
        routes.opsReaders.get("ops", "backoffice", "users", use: Self.users)
    }

    @Sendable static func summary(req: Request) async throws -> Backoffice.Summary {
        try await Backoffice(app: req.application, db: req.db).summary(now: req.application.wallClock.now())
    }

    @Sendable static func users(req: Request) async throws -> [Backoffice.UserRow] {
        try await Backoffice(app: req.application, db: req.db).users(now: req.application.wallClock.now())
    }
}
