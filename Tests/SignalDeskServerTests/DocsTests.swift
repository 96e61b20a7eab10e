import Foundation
import Testing
import Vapor
import VaporTesting

@testable import SignalDeskServer

@Suite struct DocsTests {
    static let operationKeys: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    /// `METHOD /path` of a registered route, parameters written `{name}` as OpenAPI does.
    static func operation(_ route: Route) -> String {
        let path =
            "/"
            + route.path.map { component in
                switch component {
                case .parameter(let name): "{\(name)}"
                default: component.description
                }
            }.joined(separator: "/")
        return "\(route.method.rawValue) \(path)"
    }

    /// The document and the router agree both ways: every registered route (method and path) is
    /// documented, and the document holds no operation the server does not route. A route added
    /// without its documentation, or documentation left behind by a removed route, fails here.
    @Test func openAPIDocumentsEveryRegisteredRouteAndNothingElse() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            try await app.testing().test(.GET, "openapi.json") { res in
                #expect(res.status == .ok)
                let document = res.json()
                #expect(document["openapi"] as? String == "3.1.0")
                let paths = try #require(document["paths"] as? [String: [String: Any]])
                let registered = Set(app.routes.all.map(Self.operation))
                let documented = Set(
                    paths.flatMap { path, item in
                        item.keys.filter(Self.operationKeys.contains).map { "\($0.uppercased()) \(path)" }
                    })
                #expect(registered.count == app.routes.all.count, "a route is registered twice")
                let undocumented = registered.subtracting(documented).sorted()
                #expect(undocumented.isEmpty, "registered but not in openapi.json: \(undocumented)")
                let unrouted = documented.subtracting(registered).sorted()
                #expect(unrouted.isEmpty, "in openapi.json but not registered: \(unrouted)")
            }
        }
    }

    /// Each operation is complete: a summary, at least one response with a description, every
    /// `{parameter}` of its path declared `in: path`, and every `$ref` pointing at a component.
    @Test func everyOperationIsComplete() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            let res = try await app.testing().sendRequest(.GET, "openapi.json")
            let document = res.json()
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            for (path, item) in paths {
                let pathParameters = Set(
                    path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
                for (method, value) in item where Self.operationKeys.contains(method) {
                    let name = "\(method.uppercased()) \(path)"
                    let operation = try #require(value as? [String: Any], "\(name)")
                    #expect((operation["summary"] as? String)?.isEmpty == false, "\(name) has no summary")
                    let responses = operation["responses"] as? [String: Any] ?? [:]
                    #expect(!responses.isEmpty, "\(name) has no responses")
                    for (status, response) in responses {
                        let response = response as? [String: Any] ?? [:]
                        #expect(
                            response["description"] is String || response["$ref"] is String,
                            "\(name) \(status) has no description")
                    }
                    let declared = Set(
                        ((operation["parameters"] as? [[String: Any]]) ?? []).filter { $0["in"] as? String == "path" }
                            .compactMap { $0["name"] as? String })
                    #expect(declared == pathParameters, "\(name) declares path parameters \(declared.sorted())")
                }
            }
            // Every reference resolves.
            var references: [String] = []
            func collect(_ value: Any) {
                if let object = value as? [String: Any] {
                    if let ref = object["$ref"] as? String { references.append(ref) }
                    object.values.forEach(collect)
                } else if let array = value as? [Any] {
                    array.forEach(collect)
                }
            }
            collect(document)
            let components = document["components"] as? [String: [String: Any]] ?? [:]
            for ref in Set(references) {
                let parts = ref.split(separator: "/").map(String.init)
                #expect(
                    parts.count == 4 && parts[0] == "#" && parts[1] == "components"
                        && components[parts[2]]?[parts[3]] != nil,
                    "\(ref) does not resolve")
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
