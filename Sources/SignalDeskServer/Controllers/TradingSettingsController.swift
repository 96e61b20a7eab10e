import Fluent
import SignalDeskCore
import Vapor

/// Risk profiles and strategy runtime policies as data (issue 25, groups 11 and 12; crypto-saas's
/// paths): admins read them and change them; every limit check reads them (``TradingSettings``).
struct TradingSettingsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let admin = routes.adminOnly.grouped("ops", "admin")
        admin.get("risk", "profiles", use: Self.profiles)
        admin.put("risk", "profiles", ":profile_name", use: Self.updateProfile)
        admin.get("strategy-runtime-policies", use: Self.policies)
        admin.put("strategy-runtime-policies", ":strategy_id", ":exchange", use: Self.updatePolicy)
    }

    /// What was set, as the audit row's flat details: the answer's scalar fields (crypto-saas logs
    /// the stored row). Nothing in these bodies is secret.
    static func auditDetails<T: Encodable>(_ value: T) throws -> [String: AuditValue] {
        guard case .object(let fields)? = JSONValue.parse(try JSONCoding.encode(value)) else { return [:] }
        return fields.compactMapValues { field in
            switch field {
            case .string(let text): .string(text)
            case .number(let number): .double(number)
            case .bool(let flag): .bool(flag)
            case .null: .null
            case .array, .object: nil
            }
        }
    }

    // MARK: risk profiles

    /// A profile as crypto-saas lists it: `profile_name` beside the limits' fields.
    struct ProfileOut: Content {
        let profileName: String
        let limits: TradingSettings.ProfileBody

        init(name: String, limits: RiskProfile.Limits) {
            profileName = name
            self.limits = TradingSettings.ProfileBody(limits)
        }

        func encode(to encoder: any Encoder) throws {
            try limits.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(profileName, forKey: .profileName)
        }

        init(from decoder: any Decoder) throws {
            profileName = try decoder.container(keyedBy: Keys.self).decode(String.self, forKey: .profileName)
            limits = try TradingSettings.ProfileBody(from: decoder)
        }

        enum Keys: String, CodingKey {
            case profileName
        }
    }

    @Sendable static func profiles(req: Request) async throws -> [ProfileOut] {
        try await req.application.tradingSettings.current(on: req.db).profiles.all.map {
            ProfileOut(name: $0.name, limits: $0.limits)
        }
    }

    /// `PUT /ops/admin/risk/profiles/{name}`: creates or replaces a profile; every field required
    /// (422 when one is missing or of the wrong type), 400 `<field> out of range` (nothing changes).
    @Sendable static func updateProfile(req: Request) async throws -> ProfileOut {
        let caller = try req.caller
        let body = try req.content.decode(TradingSettings.ProfileBody.self)
        let name: String
        let limits: RiskProfile.Limits
        do {
            name = try RiskProfileUpdate.name(req.parameters.get("profile_name") ?? "")
            limits = try RiskProfileUpdate.checked(body.limits)
        } catch {
            throw APIError(.badRequest, error.message)
        }
        let stored = TradingSettings.ProfileBody(limits)
        let text = String(decoding: try JSONCoding.encode(stored), as: UTF8.self)
        let out = ProfileOut(name: name, limits: limits)
        let now = req.application.wallClock.now()
        try await req.application.stores.transactions.run(on: req.db) { tx in
            try await RuntimeConfigStore().upsert(
                kind: .riskProfile, name: name, body: text, by: caller.id, now: now, on: tx)
            try await AuditLog.record(
                AuditAction.riskProfileConfigUpdated, userID: caller.id, entityType: "risk_profile", entityID: name,
                details: try auditDetails(out), on: tx)
        }
        req.application.tradingSettings.invalidate()
        return out
    }

    // MARK: strategy runtime policies

    struct PolicyOut: Content {
        let strategyId: StrategyID
        let exchange: Exchange
        let policy: TradingSettings.PolicyBody
        @NullEncodable var updatedAt: Date?

        init(_ key: StrategyPolicyCatalog.Key, policy: StrategyRuntimePolicy, updatedAt: Date?) {
            strategyId = key.strategy
            exchange = key.exchange
            self.policy = TradingSettings.PolicyBody(policy)
            self.updatedAt = updatedAt
        }

        /// Flat, as crypto-saas answers: the policy's fields beside `strategy_id` and `exchange`.
        func encode(to encoder: any Encoder) throws {
            try policy.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(strategyId, forKey: .strategyId)
            try container.encode(exchange, forKey: .exchange)
            try container.encode(updatedAt, forKey: .updatedAt)
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            strategyId = try container.decode(StrategyID.self, forKey: .strategyId)
            exchange = try container.decode(Exchange.self, forKey: .exchange)
            updatedAt = try container.decodeIfPresent(Date.self, forKey: .updatedAt)
            policy = try TradingSettings.PolicyBody(from: decoder)
        }

        enum Keys: String, CodingKey {
            case strategyId, exchange, updatedAt
        }
    }

    /// Every strategy on every exchange, ordered by strategy then exchange.
    @Sendable static func policies(req: Request) async throws -> [PolicyOut] {
        let settings = try await req.application.tradingSettings.current(on: req.db)
        return StrategyID.allCases.sorted { $0.rawValue < $1.rawValue }.flatMap { strategy in
            Exchange.allCases.sorted { $0.rawValue < $1.rawValue }.map { exchange in
                let key = StrategyPolicyCatalog.Key(strategy, exchange)
                return PolicyOut(
                    key, policy: settings.policies.policy(strategy, on: exchange),
                    updatedAt: settings.policyUpdatedAt[key])
            }
        }
    }

    /// `PUT /ops/admin/strategy-runtime-policies/{strategy}/{exchange}`: every field required (422),
    /// 400 `<field> out of range`, 422 for a strategy or exchange that does not exist.
    @Sendable static func updatePolicy(req: Request) async throws -> PolicyOut {
        let caller = try req.caller
        var problems: [APIError.ValidationItem] = []
        let strategy = StrategyID(rawValue: (req.parameters.get("strategy_id") ?? "").uppercased())
        if strategy == nil {
            problems.append(
                .init(
                    loc: ["path", "strategy_id"],
                    msg: "strategy_id must be one of: \(StrategyID.allCases.map(\.rawValue).joined(separator: ", "))",
                    type: "enum"))
        }
        let exchange = Exchange(rawValue: (req.parameters.get("exchange") ?? "").uppercased())
        if exchange == nil {
            problems.append(
                .init(
                    loc: ["path", "exchange"],
                    msg: "exchange must be one of: \(Exchange.allCases.map(\.rawValue).joined(separator: ", "))",
                    type: "enum"))
        }
        guard problems.isEmpty, let strategy, let exchange else {
            throw APIError(.unprocessableEntity, items: problems)
        }
        let body = try req.content.decode(TradingSettings.PolicyBody.self)
        let policy: StrategyRuntimePolicy
        do {
            policy = try StrategyRuntimePolicyUpdate.checked(body.policy)
        } catch {
            throw APIError(.badRequest, error.message)
        }
        let key = StrategyPolicyCatalog.Key(strategy, exchange)
        let now = req.application.wallClock.now()
        let text = String(decoding: try JSONCoding.encode(TradingSettings.PolicyBody(policy)), as: UTF8.self)
        let out = PolicyOut(key, policy: policy, updatedAt: now)
        try await req.application.stores.transactions.run(on: req.db) { tx in
            try await RuntimeConfigStore().upsert(
                kind: .strategyPolicy, name: TradingSettings.policyName(key), body: text, by: caller.id, now: now,
                on: tx)
            try await AuditLog.record(
                AuditAction.strategyRuntimePolicyUpdated, userID: caller.id, entityType: "strategy_runtime_policy",
                entityID: TradingSettings.policyName(key), details: try auditDetails(out), on: tx)
        }
        req.application.tradingSettings.invalidate()
        return out
    }
}
