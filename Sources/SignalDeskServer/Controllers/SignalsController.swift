import Fluent
import SignalDeskCore
import Vapor

/// `/signals`: the client-driven lifecycle of API signals (create, list, claim).
struct SignalsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let signals = routes.authenticated.grouped("signals")
        signals.post(use: Self.create)
        signals.get(use: Self.list)
        signals.post("claim", use: Self.claim)
    }

    struct CreateBody: Content {
        let symbol: String
        let module: String
        let baseRiskPercent: Double
        let entryPrice: Double
        let stopLoss: Double
        let takeProfit: Double
        let side: String?
        let exchange: String?
    }

    @Sendable static func create(req: Request) async throws -> SignalOut {
        let caller = try req.caller
        let body = try req.content.decode(CreateBody.self)
        var problems: [APIError.ValidationItem] = []
        func problem(_ field: String, _ message: String) {
            problems.append(.init(loc: ["body", field], msg: message, type: "value_error"))
        }
        let symbol = body.symbol.trimmingCharacters(in: .whitespaces).uppercased()
        if symbol.isEmpty || symbol.count > 40 { problem("symbol", "symbol must be 1 to 40 characters") }
        let module = body.module.trimmingCharacters(in: .whitespaces)
        if module.isEmpty || module.count > 64 { problem("module", "module must be 1 to 64 characters") }
        for (field, text) in [("symbol", symbol), ("module", module)]
        where text.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) {
            problem(field, "\(field) must not contain control characters")
        }
        if !(body.baseRiskPercent.isFinite && body.baseRiskPercent > 0 && body.baseRiskPercent <= 100) {
            problem("base_risk_percent", "base_risk_percent must be greater than 0 and at most 100")
        }
        var side: TradeSide?
        if let given = body.side {
            side = TradeSide(parsing: given)
            if side == nil { problem("side", "side must be LONG or SHORT (or BUY/SELL)") }
        }
        let exchange = body.exchange.map { Exchange(parsing: $0) } ?? .binance
        if exchange == nil { problem("exchange", "exchange must be BINANCE, IBKR, BYBIT or DYDX") }
        var levels: SignalLevels?
        switch SignalLevels.validate(entry: body.entryPrice, stop: body.stopLoss, take: body.takeProfit, side: side) {
        case .success(let valid): levels = valid
        case .failure(let failure): problem(failure.field, failure.message)
        }
        guard problems.isEmpty, let levels, let exchange else { throw APIError(.unprocessableEntity, items: problems) }

        let signal = NewSignal(
            userID: caller.id, symbol: symbol, module: module, side: levels.side, exchange: exchange, source: .api,
            baseRiskPercent: body.baseRiskPercent, entryPrice: levels.entry, stopLoss: levels.stop,
            takeProfit: levels.take,
            createdAt: req.application.wallClock.now())
        let details: [String: AuditValue] = [
            "symbol": .string(symbol), "module": .string(module), "side": .string(levels.side.rawValue),
            "exchange": .string(exchange.rawValue), "source": .string(SignalSource.api.rawValue),
        ]
        do {
            try await req.application.stores.signalWrites.create(signal, auditDetails: details, on: req.db)
        } catch is SignalNotStored {
            throw Abort(.internalServerError, reason: "the new signal was not stored")
        }
        return SignalOut(signal)
    }

    /// `[SignalOut]`, newest first, a page at a time (docs/paging.md): `before` or `after` a
    /// signal id or an ISO-8601 time; `Link: <...>; rel="next"` and `X-Next-Cursor` when more rows
    /// lie beyond the page. Rows read column by column by the store and written by ``JSONWriter``:
    /// Fluent models and `Codable` cost over 200 µs per row (docs/benchmarks.md).
    @Sendable static func list(req: Request) async throws -> Response {
        let caller = try req.caller
        let limit = try QueryValue.int(req, "limit", default: 100, range: 1...500)
        var status: SignalStatus?
        if let raw = req.query[String.self, at: "status"] {
            guard let parsed = SignalStatus(rawValue: raw.uppercased()) else {
                throw APIError(
                    .unprocessableEntity,
                    items: [
                        .init(
                            loc: ["query", "status"],
                            msg:
                                "status must be one of: \(SignalStatus.allCases.map(\.rawValue).joined(separator: ", "))",
                            type: "enum")
                    ])
            }
            status = parsed
        }
        let given = try ListPaging.cursor(req)
        var cursor: SignalReadStore.Cursor?
        if let given {
            if let id = UUID(uuidString: given.text) {
                cursor = .signal(id)
            } else if let time = ISOTime.parse(given.text) {
                cursor = .time(time)
            } else {
                throw ListPaging.invalid(
                    given.name, "\(given.name) must be the id of one of your signals or an ISO-8601 time")
            }
        }
        let direction = given?.direction ?? .older
        let page: ListPage<SignalRow>
        do {
            page = try await SignalReadStore.list(
                userID: caller.id, status: status?.rawValue, cursor: cursor, direction: direction, limit: limit,
                on: req.db)
        } catch is ListCursorUnknown {
            throw ListPaging.invalid(given?.name ?? "before", "\(given?.name ?? "before") is not one of your signals")
        }
        var list = SignalListJSON(rows: page.rows.count)
        for row in page.rows { try SignalOut.write(row, to: &list) }
        let response = ListPaging.response(list.bytes())
        if page.hasMore, let edge = direction == .older ? page.rows.last : page.rows.first {
            ListPaging.linkNext(response, for: req, direction: direction, cursor: edge.id.uuidString.lowercased())
        }
        return response
    }

    @Sendable static func claim(req: Request) async throws -> [SignalOut] {
        let caller = try req.caller
        let limit = try QueryValue.int(req, "limit", default: 10, range: 1...100)
        let store = SignalClaims(app: req.application, db: req.db)
        _ = try await store.expireLeases()
        // While trading is halted, claims hand out nothing.
        let halted = try await req.application.killSwitch.state(on: req.db).enabled
        let claimed = halted ? [] : try await store.claim(.client(userID: caller.id), limit: limit)
        try await AuditLog.record(
            AuditAction.signalClaim, userID: caller.id, entityType: "signal", entityID: nil,
            details: ["claimed_count": .int(claimed.count), "limit": .int(limit)], on: req.db)
        return try claimed.map(SignalOut.init)
    }
}

/// The paging of the lists (docs/paging.md): the cursor parameters and the next page's headers.
enum ListPaging {
    /// A cursor as the request gave it: which parameter, its text, and the way it walks.
    struct Given {
        let name: String
        let text: String
        let direction: ListDirection
    }

    /// The request's `before` (or `aliases` of it) or `after`; both given is a 422.
    static func cursor(_ req: Request, beforeAliases aliases: [String] = []) throws -> Given? {
        var found: [Given] = []
        for name in ["before"] + aliases {
            if let text = req.query[String.self, at: name] {
                found.append(Given(name: name, text: text, direction: .older))
            }
        }
        if let text = req.query[String.self, at: "after"] {
            found.append(Given(name: "after", text: text, direction: .newer))
        }
        guard found.count <= 1 else {
            throw invalid(
                found[1].name, "give one of \((["before"] + aliases + ["after"]).joined(separator: ", ")), not several")
        }
        return found.first
    }

    /// A 422 for the query parameter `name`, in the contract's shape for invalid input.
    static func invalid(_ name: String, _ message: String) -> APIError {
        APIError(.unprocessableEntity, items: [.init(loc: ["query", name], msg: message, type: "value_error")])
    }

    /// A JSON list written by ``JSONWriter``.
    static func response(_ bytes: [UInt8]) -> Response {
        Response(
            status: .ok, headers: ["Content-Type": "application/json; charset=utf-8"],
            body: .init(buffer: ByteBuffer(bytes: bytes)))
    }

    /// The parameters every next link drops before it adds its own cursor.
    private static let cursorNames: Set<String> = ["before", "after", "before_id"]

    /// `Link: <path?query>; rel="next"` (the request's own path and query, its cursor replaced by
    /// `cursor` for the same way) and `X-Next-Cursor: cursor`.
    static func linkNext(_ response: Response, for req: Request, direction: ListDirection, cursor: String) {
        var items = (req.url.query ?? "").split(separator: "&").filter { item in
            let name = item.prefix(while: { $0 != "=" })
            return !cursorNames.contains(String(name).removingPercentEncoding ?? String(name))
        }.map { linkSafe($0) }
        items.append("\(direction == .older ? "before" : "after")=\(cursor)")
        response.headers.replaceOrAdd(
            name: "Link", value: "<\(linkSafe(req.url.path[...]))?\(items.joined(separator: "&"))>; rel=\"next\"")
        response.headers.replaceOrAdd(name: "X-Next-Cursor", value: cursor)
    }

    /// `text` with every byte a URI may not hold as it is percent-encoded (a link's target sits
    /// between `<` and `>`, inside a header).
    private static func linkSafe(_ text: Substring) -> String {
        var safe = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                safe.unicodeScalars.append(UnicodeScalar(byte))
            case _ where "-._~!$&'()*+,;=:@/?%".utf8.contains(byte):
                safe.unicodeScalars.append(UnicodeScalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                safe.unicodeScalars.append(contentsOf: ["%", hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            }
        }
        return safe
    }
}
