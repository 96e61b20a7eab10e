import Vapor

/// `GET /ops/console` (issue 25, group 8; crypto-saas's "Ops Console v1"): a page with a sign-in
/// screen (autofill off, the token kept in sessionStorage), a menu of read-only modules and a
/// module screen. It holds no data: each module is one GET the server authorizes by role.
/// `/ops/dashboard` stays API.md's dashboard page (crypto-saas later served the console shell
/// there too; docs/api.md says why SignalDesk does not).
struct OpsConsoleController: RouteCollection {
    let page: ByteBuffer

    init() throws {
        page = try DocsController.resource("console", ext: "html")
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("ops", "console") { [page] _ in
            Response(
                status: .ok,
                headers: OpsDashboardController.pageHeaders,
                body: .init(buffer: page))
        }
    }
}
