import Crypto
import Fluent
import JWT
import SignalDeskCore
import Vapor

/// The pair of tokens login and refresh answer with.
struct TokenPair: Content {
    let accessToken: String
    let tokenType: String
    let refreshToken: String
    let expiresIn: Int
}

/// Issues, rotates and revokes sessions. Refresh tokens are random 256-bit values stored only as
/// SHA-256 digests; a rotated token that comes back is a sign of theft and revokes its family.
struct TokenService {
    static let refreshLifetime: TimeInterval = 30 * 24 * 60 * 60

    let app: Application
    let db: any Database

    enum RefreshFailure: Error {
        case unknown, expired
        /// A revoked token was presented again; its family (of this user) is now revoked.
        case reused(userID: UUID)
    }

    /// A new session family for `user` and its first token pair.
    func issue(for user: User, now: Date? = nil) async throws -> TokenPair {
        let now = now ?? app.wallClock.now()
        return try await issue(for: user, family: UUID(), now: now, on: db)
    }

    /// Exchanges a refresh token for a new pair in the same family; the used token is revoked.
    func refresh(_ refreshToken: String, now: Date? = nil) async throws(RefreshFailure) -> (TokenPair, User) {
        let now = now ?? app.wallClock.now()
        do {
            guard
                let session = try await Session.query(on: db).filter(\.$tokenHash == Self.digest(refreshToken)).first(),
                let sessionID = session.id
            else { throw RefreshFailure.unknown }
            if session.revokedAt != nil {
                // A rotated token presented again: whoever holds the family now may be a thief.
                if session.replacedBy != nil {
                    try await revokeFamily(session.familyID, now: now)
                    throw RefreshFailure.reused(userID: session.$user.id)
                }
                throw RefreshFailure.unknown
            }
            guard session.expiresAt > now else { throw RefreshFailure.expired }
            guard let user = try await User.find(session.$user.id, on: db), user.role != .disabled else {
                throw RefreshFailure.unknown
            }
            let newSessionID = UUID()
            let pair = try await app.stores.transactions.run(on: db) { tx in
                // Only one of two concurrent refreshes with the same token may win.
                let claimed = try await SessionStore().revokeForRotation(
                    sessionID: sessionID, replacement: newSessionID, now: now, on: tx)
                guard claimed else { throw RefreshFailure.reused(userID: user.id ?? session.$user.id) }
                return try await issue(for: user, family: session.familyID, sessionID: newSessionID, now: now, on: tx)
            }
            return (pair, user)
        } catch let failure as RefreshFailure {
            throw failure
        } catch {
            app.logger.error("Refresh failed: \(String(reflecting: error))")
            throw RefreshFailure.unknown
        }
    }

    /// Revokes the family of `refreshToken` (logout). Returns the user it belonged to, if any.
    func logout(_ refreshToken: String, now: Date? = nil) async throws -> UUID? {
        let now = now ?? app.wallClock.now()
        guard let session = try await Session.query(on: db).filter(\.$tokenHash == Self.digest(refreshToken)).first()
        else { return nil }
        try await revokeFamily(session.familyID, now: now)
        return session.$user.id
    }

    /// Revokes every live session of `userID`; access tokens issued from them stop working.
    func revokeAll(userID: UUID, now: Date? = nil) async throws -> Int {
        let now = now ?? app.wallClock.now()
        let live = try await Session.query(on: db).filter(\.$user.$id == userID).filter(\.$revokedAt == nil).count()
        try await Session.query(on: db)
            .filter(\.$user.$id == userID).filter(\.$revokedAt == nil)
            .set(\.$revokedAt, to: now)
            .update()
        return live
    }

    private func revokeFamily(_ family: UUID, now: Date) async throws {
        try await Session.query(on: db)
            .filter(\.$familyID == family).filter(\.$revokedAt == nil)
            .set(\.$revokedAt, to: now)
            .update()
    }

    private func issue(
        for user: User, family: UUID, sessionID: UUID = UUID(), now: Date, on db: any Database
    ) async throws -> TokenPair {
        let userID = try user.requireID()
        let refreshToken = Base64URL.encode(SecureBytes.random(count: 32))
        try await Session(
            id: sessionID, userID: userID, familyID: family, tokenHash: Self.digest(refreshToken),
            expiresAt: now.addingTimeInterval(Self.refreshLifetime), createdAt: now
        ).create(on: db)
        // Whole seconds: `iat`/`exp` are written as integers, as crypto-saas's PyJWT writes them.
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = AccessClaims(
            sub: .init(value: user.email), uid: userID.uuidString.lowercased(), role: user.role.rawValue,
            iat: .init(value: issuedAt), exp: .init(value: issuedAt.addingTimeInterval(AccessClaims.lifetime)),
            jti: .init(value: UUID().uuidString.lowercased()), sid: family.uuidString.lowercased())
        let accessToken = try await app.jwt.keys.sign(claims, kid: JWKIdentifier(string: JWTKeys.kid))
        return TokenPair(
            accessToken: accessToken, tokenType: "bearer", refreshToken: refreshToken,
            expiresIn: Int(AccessClaims.lifetime))
    }

    static func digest(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Array(token.utf8)))
    }
}

/// The key id access tokens are signed with.
enum JWTKeys {
    static let kid = "signaldesk-hs256"

    static func install(on app: Application, secret: String) async {
        await app.jwt.keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
    }
}
