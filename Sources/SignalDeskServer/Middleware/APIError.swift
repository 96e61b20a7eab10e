import Vapor

/// An error with the exact status and `detail` a client should see.
///
/// Handlers throw this for every answer contract.md names; ``APIErrorMiddleware`` renders it as
/// `{"detail": ...}` and adds `headers` (for example `Retry-After`).
struct APIError: Error, Sendable {
    let status: HTTPResponseStatus
    let detail: Detail
    var headers: HTTPHeaders = [:]

    enum Detail: Sendable, Encodable {
        case message(String)
        case items([ValidationItem])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .message(let text): try container.encode(text)
            case .items(let items): try container.encode(items)
            }
        }
    }

    /// One problem of a request body, in the FastAPI shape crypto-saas clients parse.
    struct ValidationItem: Sendable, Encodable, Equatable {
        let loc: [String]
        let msg: String
        let type: String
    }

    init(_ status: HTTPResponseStatus, _ message: String, headers: HTTPHeaders = [:]) {
        self.status = status
        self.detail = .message(message)
        self.headers = headers
    }

    init(_ status: HTTPResponseStatus, items: [ValidationItem]) {
        self.status = status
        self.detail = .items(items)
    }

    static func unprocessable(_ message: String) -> APIError {
        APIError(.unprocessableEntity, message)
    }
}
