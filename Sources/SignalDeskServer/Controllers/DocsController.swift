import Foundation
import Vapor

/// Serves the OpenAPI 3.1 document kept in the repository and a page that renders it with no
/// external assets.
struct DocsController: RouteCollection {
    let openAPI: ByteBuffer
    let docsPage: ByteBuffer

    init() throws {
        self.openAPI = try Self.resource("openapi", ext: "json")
        self.docsPage = try Self.resource("docs", ext: "html")
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("openapi.json") { _ in
            Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(buffer: openAPI))
        }
        routes.get("docs") { _ in
            Response(
                status: .ok,
                headers: [
                    "Content-Type": "text/html; charset=utf-8",
                    "Content-Security-Policy":
                        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'",
                ],
                body: .init(buffer: docsPage)
            )
        }
    }

    struct MissingResource: Error, CustomStringConvertible {
        let name: String
        var description: String { "bundled resource \(name) is missing; reinstall the server with its resources" }
    }

    static func resource(_ name: String, ext: String) throws -> ByteBuffer {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources") else {
            throw MissingResource(name: "\(name).\(ext)")
        }
        return ByteBuffer(data: try Data(contentsOf: url))
    }
}
