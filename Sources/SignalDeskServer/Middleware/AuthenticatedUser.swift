import Vapor

/// The caller of an authenticated request: the user row as loaded for this request and the
/// session family of the token. Tenancy comes from here, never from a request body.
struct AuthenticatedUser: Authenticatable, Sendable {
    let id: UUID
    let email: String
    let role: UserRole
    let displayName: String?
    let sessionFamily: UUID
}

extension Request {
    /// The authenticated caller; routes behind ``BearerAuthMiddleware`` always have one.
    var caller: AuthenticatedUser {
        get throws {
            guard let user = auth.get(AuthenticatedUser.self) else {
                throw APIError(.unauthorized, "Not authenticated")
            }
            return user
        }
    }
}
