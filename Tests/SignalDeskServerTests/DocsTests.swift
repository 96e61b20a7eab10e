import Foundation
@testable import SignalDeskServer
import Testing
import VaporTesting

@Suite struct DocsTests {
    @Test func openAPIDocumentsEveryRoute() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            try await app.testing().test(.GET, "openapi.json") { res in
                #expect(res.status == .ok)
                let document = res.json()
                #expect(document["openapi"] as? String == "3.1.0")
                let paths = try #require(document["paths"] as? [String: [String: Any]])
                for route in app.routes.all {
                    let path = "/" + route.path.map { component in
                        switch component {
                        case .parameter(let name): "{\(name)}"
                        default: component.description
                        }
                    }.joined(separator: "/")
                    let method = route.method.rawValue.lowercased()
                    #expect(paths[path]?[method] != nil, "\(method.uppercased()) \(path) is not in openapi.json")
                }
            }
        }
    }

    @Test func docsPageRendersWithoutExternalAssets() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            try await app.testing().test(.GET, "docs") { res in
                #expect(res.status == .ok)
                #expect(res.headers.contentType?.subType == "html")
                let html = res.body.string
                #expect(html.contains("/openapi.json"))
                #expect(!html.contains("http://") && !html.contains("https://"))
                #expect(res.headers.first(name: "Content-Security-Policy")?.contains("default-src 'self'") == true)
            }
        }
    }
}
