import Fluent
import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// HTTP shortcuts shared by the identity tests.
struct Client {
    let app: Application

    func send(
        _ method: HTTPMethod, _ path: String, token: String? = nil, json: [String: Any]? = nil,
        form: [String: String]? = nil, headers extra: HTTPHeaders = [:]
    ) async throws -> TestingHTTPResponse {
        var headers = extra
        if let token { headers.bearerAuthorization = .init(token: token) }
        var body: ByteBuffer?
        if let json {
            headers.contentType = .json
            body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
        } else if let form {
            headers.contentType = .urlEncodedForm
            var components = URLComponents()
            components.queryItems = form.map { URLQueryItem(name: $0.key, value: $0.value) }
            let encoded = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
            body = ByteBuffer(string: encoded)
        }
        return try await app.testing().sendRequest(method, path, headers: headers, body: body)
    }

    @discardableResult
    func register(_ email: String, password: String = "password-123") async throws -> TestingHTTPResponse {
        try await send(.POST, "auth/register", json: ["email": email, "password": password])
    }

    func login(_ email: String, password: String = "password-123", otp: String? = nil) async throws
        -> TestingHTTPResponse
    {
        var form = ["username": email, "password": password]
        if let otp { form["otp"] = otp }
        return try await send(.POST, "auth/login", form: form)
    }

    /// Registers (or creates with `role`) and logs in; returns the access and refresh tokens.
    func signIn(_ email: String, role: UserRole = .trader, password: String = "password-123") async throws -> (
        access: String, refresh: String
    ) {
        if role == .trader {
            try await register(email, password: password)
        } else {
            try await User(email: email, passwordHash: try app.password.hash(password), role: role).create(on: app.db)
        }
        let response = try await login(email, password: password)
        guard response.status == .ok else {
            throw TestFailure("login failed: \(response.status) \(response.body.string)")
        }
        let body = response.json()
        return (body["access_token"] as! String, body["refresh_token"] as! String)
    }

    func auditActions(userEmail: String? = nil) async throws -> [String] {
        var query = AuditEntry.query(on: app.db).sort(\.$id)
        if let userEmail, let user = try await User.query(on: app.db).filter(\.$email == userEmail).first() {
            query = query.filter(\.$userID == user.id)
        }
        return try await query.all().map(\.action)
    }
}

/// The TOTP code for a base32 seed, `steps` steps from now.
func totp(_ base32: String, steps: Int = 0) -> String {
    TOTP.code(secret: Base32.decode(base32)!, at: Date().addingTimeInterval(Double(steps * 30)))!
}

/// The decoded payload of a JWT.
func jwtPayload(_ token: String) -> [String: Any] {
    let part = token.split(separator: ".")[1]
    guard let bytes = Base64URL.decode(String(part)),
        let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
    else { return [:] }
    return object
}
