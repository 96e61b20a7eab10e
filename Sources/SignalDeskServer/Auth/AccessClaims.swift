import Foundation
import JWT

/// The claims of an access token (contract.md): `sub` email, `uid`, `role`, `iat`, `exp` (60 min),
/// `jti`, and `sid`, the session family the token was issued from; revoking the family revokes
/// the token.
struct AccessClaims: JWTPayload {
    static let lifetime: TimeInterval = 60 * 60

    var sub: SubjectClaim
    var uid: String
    var role: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var jti: IDClaim
    var sid: String

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}
