import SignalDeskCore
import Vapor

/// Turns every error into `{"detail": ...}` with a fitting status.
///
/// Only messages written for clients reach a response: ``APIError`` details, decoding problems
/// (422, naming the field), and Vapor's own 4xx answers. Anything else (database, crypto, I/O)
/// is logged with the request id and answered 500 `Internal Server Error`, so no internal text,
/// query or secret can leak.
///
/// A future-based middleware, like the other two global ones: an `AsyncMiddleware` starts a task
/// for every request it sees, and each of those is a thread hop on the busiest paths.
struct APIErrorMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).flatMapErrorThrowing { error in
            Self.response(for: error, request: request)
        }
    }

    static func response(for error: any Error, request: Request) -> Response {
        let apiError = Self.apiError(for: error, request: request)
        if error is PasswordHashing.Unavailable || (error as? ServiceError) == .stopping {
            // Expected while the server stops (``HTTPServerDrain``): not an error, and during a
            // flood of logins there is one per queued login.
            request.logger.notice("Request answered 503: the server is shutting down")
        } else if apiError.status.code >= 500 {
            request.logger.error("Request failed: \(String(reflecting: error))")
        } else {
            request.logger.debug("Request refused with \(apiError.status.code)")
        }
        struct Body: Encodable { let detail: APIError.Detail }
        var headers = apiError.headers
        headers.contentType = .json
        let body: ByteBuffer
        do {
            body = ByteBuffer(bytes: try JSONCoding.encode(Body(detail: apiError.detail)))
        } catch {
            body = ByteBuffer(string: #"{"detail":"Internal Server Error"}"#)
        }
        return Response(status: apiError.status, headers: headers, body: .init(buffer: body))
    }

    static func apiError(for error: any Error, request: Request) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as DecodingError:
            return APIError(.unprocessableEntity, items: [DecodingProblem.item(for: error)])
        case let error as ValidationsError:
            return APIError(.unprocessableEntity, error.description)
        case let error as any AbortError:
            return Self.apiError(forAbort: error, request: request)
        case _ where DatabaseErrors.meaning(of: error) == .unavailable, is StatementOverdue:
            return Self.databaseUnavailable
        case is PasswordHashing.Unavailable, ServiceError.stopping:
            return Self.shuttingDown
        case _ where DatabaseErrors.meaning(of: error) == .refusedText:
            // The client sent it, and the failed statement changed nothing.
            return APIError(.badRequest, "Text values must not contain NUL characters")
        default:
            return APIError(.internalServerError, "Internal Server Error")
        }
    }

    /// The database cannot be reached (or every connection is busy past the pool's timeout): the
    /// failing statement (and its transaction) changed nothing, and a retry in a moment may
    /// succeed. Not a 500: the server itself is fine.
    static let databaseUnavailable = APIError(
        .serviceUnavailable, "Service temporarily unavailable: the database cannot be reached",
        headers: ["Retry-After": "5"])

    /// A password check that can no longer run because the server is stopping (``HTTPServerDrain``).
    static let shuttingDown = APIError(
        .serviceUnavailable, "Service temporarily unavailable: the server is shutting down",
        headers: ["Retry-After": "5"])

    /// Vapor's own `AbortError`s (`Abort`, `RouteNotFound`, ...) carry messages meant for clients
    /// below 500; at 500 and above their reason may be internal and is replaced.
    private static func apiError(forAbort abort: any AbortError, request: Request) -> APIError {
        switch abort.status {
        case .unsupportedMediaType:
            let type = request.headers.contentType.map { "\($0.type)/\($0.subType)" } ?? "none"
            return APIError(.unsupportedMediaType, "Unsupported Content-Type: \(type)", headers: abort.headers)
        case .payloadTooLarge:
            let limit = request.application.routes.defaultMaxBodySize.value
            return APIError(.payloadTooLarge, "Request body larger than \(limit) bytes")
        case .notFound where request.route == nil || abort is RouteNotFound:
            return APIError(.notFound, "Not Found")
        default:
            guard abort.status.code < 500 else { return APIError(.internalServerError, "Internal Server Error") }
            return APIError(abort.status, abort.reason, headers: abort.headers)
        }
    }
}

/// Describes a `DecodingError` by field, without echoing the value that failed.
enum DecodingProblem {
    static func item(for error: DecodingError) -> APIError.ValidationItem {
        switch error {
        case .keyNotFound(let key, let context):
            return .init(loc: location(context.codingPath + [key]), msg: "Field required", type: "missing")
        case .typeMismatch(let type, let context):
            return .init(loc: location(context.codingPath), msg: "Expected \(describe(type))", type: "type_error")
        case .valueNotFound(let type, let context):
            return .init(
                loc: location(context.codingPath), msg: "Expected \(describe(type)), got null", type: "missing")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return .init(loc: ["body"], msg: "Malformed request body", type: "json_invalid")
        case .dataCorrupted(let context):
            return .init(loc: location(context.codingPath), msg: "Invalid value", type: "value_error")
        @unknown default:
            return .init(loc: ["body"], msg: "Invalid request body", type: "value_error")
        }
    }

    /// The field as the client sends it (`trading_enabled`, `volume_24h_usdt`), not the Swift
    /// property it decodes into.
    private static func location(_ path: [any CodingKey]) -> [String] {
        ["body"] + path.map { $0.intValue.map(String.init) ?? SnakeCaseKey.snakeCased($0.stringValue) }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        default: "a value of type \(type)"
        }
    }
}
