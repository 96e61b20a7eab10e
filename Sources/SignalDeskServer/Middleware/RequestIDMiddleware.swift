import Vapor

/// Gives every request an id in its log lines and in the `X-Request-ID` response header.
///
/// A client's own `X-Request-ID` is kept when it is a short token; anything else is replaced so
/// a client cannot write arbitrary text into the logs.
struct RequestIDMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let id = Self.isAcceptable(request.id) ? request.id : UUID().uuidString.lowercased()
        request.logger[metadataKey: "request-id"] = .string(id)
        return next.respond(to: request).map { response in
            response.headers.replaceOrAdd(name: "X-Request-ID", value: id)
            return response
        }
    }

    static func isAcceptable(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            }
    }
}
