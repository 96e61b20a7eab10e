import Fluent
import SignalDeskCore
import Vapor

/// `/users`: admins create and list accounts; everyone reads their own profile.
struct UsersController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.authenticated.get("users", "me", use: Self.me)
        let admin = routes.adminOnly.grouped("users")
        admin.post(use: Self.create)
        admin.get(use: Self.list)
    }

    struct CreateBody: Content {
        let email: String
        let password: String
        let displayName: String?
        let role: String?
    }

    struct UserOut: Content {
        let id: UUID
        let email: String
        @NullEncodable var displayName: String?
        let role: UserRole

        init(_ user: User) throws {
            self.id = try user.requireID()
            self.email = user.email
            self.displayName = user.displayName
            self.role = user.role
        }
    }

    struct MeOut: Content {
        let id: UUID
        let email: String
        @NullEncodable var displayName: String?
        let role: UserRole
        let twoFactorEnabled: Bool
        let riskProfile: String
    }

    @Sendable static func me(req: Request) async throws -> MeOut {
        let caller = try req.caller
        guard let user = try await User.find(caller.id, on: req.db) else { throw BearerAuthMiddleware.invalid }
        let twoFactor =
            try await TwoFactor.query(on: req.db)
            .filter(\.$user.$id == caller.id).filter(\.$enabled == true).count() > 0
        let limits = try await PositionBook(app: req.application, db: req.db).limits(for: user)
        return MeOut(
            id: caller.id, email: user.email, displayName: user.displayName, role: user.role,
            twoFactorEnabled: twoFactor, riskProfile: limits.profileName)
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let caller = try req.caller
        let body = try req.content.decode(CreateBody.self)
        var problems = AccountInput.problems(email: body.email, password: body.password)
        let role = body.role.map { UserRole(rawValue: $0.lowercased()) } ?? .trader
        if role == nil {
            problems.append(
                .init(
                    loc: ["body", "role"], msg: "role must be one of: admin, trader, viewer, disabled", type: "enum"))
        }
        guard problems.isEmpty, let role else { throw APIError(.unprocessableEntity, items: problems) }
        let email = EmailAddress.normalized(body.email)
        if try await User.query(on: req.db).filter(\.$email == email).first() != nil {
            throw APIError(.conflict, "Email already exists")
        }
        let displayName = body.displayName?.trimmingCharacters(in: .whitespacesAndNewlines)
        let user = User(
            email: email, passwordHash: try await req.passwordHashing.hash(body.password),
            displayName: displayName?.isEmpty == false ? displayName : nil, role: role)
        do {
            try await req.application.stores.transactions.run(on: req.db) { tx in
                try await user.create(on: tx)
                try await AuditLog.record(
                    AuditAction.userCreate, userID: caller.id, entityType: "user", entityID: user.id?.uuidString,
                    details: ["email": .string(email), "role": .string(role.rawValue)], on: tx)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw APIError(.conflict, "Email already exists")
        }
        return try await UserOut(user).encodeResponse(status: .created, for: req)
    }

    @Sendable static func list(req: Request) async throws -> [UserOut] {
        try await User.query(on: req.db).sort(\.$email).all().map(UserOut.init)
    }
}
