import Fluent
import JWT
import SignalDeskCore
import Vapor

/// Authenticates `Authorization: Bearer <access token>`.
///
/// The token must verify (HS256, our key, not expired; `alg: none` and foreign keys fail), and
/// its session family must still be live and its user not disabled: one query joins both, so
/// logout, revoke-all and role changes take effect on the next request (``CallerStore``).
struct BearerAuthMiddleware: AsyncMiddleware {
    static let invalid = APIError(
        .unauthorized, "Invalid authentication credentials", headers: ["WWW-Authenticate": "Bearer"])

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let token = request.headers.bearerAuthorization?.token else {
            throw APIError(.unauthorized, "Not authenticated", headers: ["WWW-Authenticate": "Bearer"])
        }
        let claims: AccessClaims
        do {
            claims = try await request.application.jwt.keys.verify(token, as: AccessClaims.self)
        } catch {
            throw Self.invalid
        }
        guard let userID = UUID(uuidString: claims.uid), let family = UUID(uuidString: claims.sid) else {
            throw Self.invalid
        }
        let user = try await request.application.stores.callers.caller(
            userID: userID, family: family, now: request.application.wallClock.now(), on: request.db)
        guard let user, let stored = UserRole(rawValue: user.role), stored != .disabled else { throw Self.invalid }
        // SUPERUSER_EMAILS (crypto-saas's setting): these accounts pass every admin check.
        let superusers = request.application.appConfig.superuserEmails
        let role = AccountPolicy.isSuperuser(email: user.email, superusers: superusers) ? .admin : stored
        request.auth.login(
            AuthenticatedUser(
                id: userID, email: user.email, role: role, displayName: user.displayName, sessionFamily: family))
        return try await next.respond(to: request)
    }
}

/// Lets only the given roles through (403 `Insufficient permissions` otherwise).
struct RoleGuard: AsyncMiddleware {
    let allowed: Set<UserRole>

    init(_ allowed: UserRole...) {
        self.allowed = Set(allowed)
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard allowed.contains(try request.caller.role) else {
            throw APIError(.forbidden, "Insufficient permissions")
        }
        return try await next.respond(to: request)
    }
}

extension RoutesBuilder {
    /// Routes for any signed-in user.
    var authenticated: any RoutesBuilder { grouped(BearerAuthMiddleware()) }

    /// Routes for admins only.
    var adminOnly: any RoutesBuilder { grouped(BearerAuthMiddleware(), RoleGuard(.admin)) }

    /// Read-only ops routes: admins and viewers.
    var opsReaders: any RoutesBuilder { grouped(BearerAuthMiddleware(), RoleGuard(.admin, .viewer)) }
}
