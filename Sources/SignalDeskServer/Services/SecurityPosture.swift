import Fluent
import Foundation
import SignalDeskCore
import Vapor

/// The security posture of contract.md: 2FA coverage, secret age and secrets left on retired keys.
struct SecurityPosture {
    struct UserRow: Content, Equatable {
        let userId: UUID
        let email: String
        let role: UserRole
        let twoFactorEnabled: Bool
        let binanceSecretConfigured: Bool
        let ibkrSecretConfigured: Bool
        let bybitSecretConfigured: Bool
        /// A dYdX mnemonic is stored for either network (its age is not a rotation age: moving
        /// to a new mnemonic is moving funds, so `oldest_secret_age_days` counts API secrets only).
        let dydxSecretConfigured: Bool
        @NullEncodable var oldestSecretAgeDays: Int?
        let staleSecret: Bool

        /// The exchanges the user holds credentials for: API keys, or a dYdX mnemonic. The one
        /// reading of the four flags, for the dashboard, the back office and readiness.
        var exchangesConfigured: Set<Exchange> {
            var exchanges = Set<Exchange>()
            if binanceSecretConfigured { exchanges.insert(.binance) }
            if ibkrSecretConfigured { exchanges.insert(.ibkr) }
            if bybitSecretConfigured { exchanges.insert(.bybit) }
            if dydxSecretConfigured { exchanges.insert(.dydx) }
            return exchanges
        }
    }

    struct Summary: Content, Equatable {
        let totalUsers: Int
        let usersMissing2fa: Int
        let usersWithStaleSecrets: Int
        let secretsOnRetiredKeys: Int

        // Explicit, because snake_case conversion would write `users_missing2fa`.
        enum CodingKeys: String, CodingKey {
            case totalUsers = "totalUsers"
            case usersMissing2fa = "usersMissing_2fa"
            case usersWithStaleSecrets = "usersWithStaleSecrets"
            case secretsOnRetiredKeys = "secretsOnRetiredKeys"
        }
    }

    struct Report: Content {
        let generatedAt: Date
        let maxSecretAgeDays: Int
        let realOnly: Bool
        let summary: Summary
        let users: [UserRow]
    }

    let db: any Database
    let keyRing: KeyRing
    /// `app.stores.opsFacts`.
    let opsFacts: any OpsFactsStore

    /// `everyone`: the users, ordered by email, when the caller has them loaded already.
    func report(realOnly: Bool, maxSecretAgeDays: Int, now: Date, everyone: [OpsFacts.UserFacts]? = nil)
        async throws -> Report
    {
        let loaded: [OpsFacts.UserFacts]
        if let everyone { loaded = everyone } else { loaded = try await OpsFacts(db: db, store: opsFacts).users() }
        let users = loaded.filter { !realOnly || RealUser.isReal(email: $0.email) }
        // Only the columns the report needs: sealed values are never loaded here.
        let twoFactorUsers = try await TwoFactorStore().enabledUserIDs(on: db)
        let secrets = Dictionary(grouping: try await SealedSecretStore().exchangeSecretAges(on: db), by: \.userID)
        let dydxOwners = try await SealedSecretStore().dydxMnemonicOwners(on: db)

        let rows: [UserRow] = users.map { user in
            let id = user.id
            let mine = secrets[id] ?? []
            let oldest = mine.compactMap(\.updatedAt).min()
            let age = oldest.map { Int(now.timeIntervalSince($0) / 86_400) }
            return UserRow(
                userId: id, email: user.email, role: user.role, twoFactorEnabled: twoFactorUsers.contains(id),
                binanceSecretConfigured: mine.contains { $0.exchange == .binance },
                ibkrSecretConfigured: mine.contains { $0.exchange == .ibkr },
                bybitSecretConfigured: mine.contains { $0.exchange == .bybit },
                dydxSecretConfigured: dydxOwners.contains(id),
                oldestSecretAgeDays: age,
                staleSecret: age.map { $0 > maxSecretAgeDays } ?? false)
        }
        let summary = Summary(
            totalUsers: rows.count,
            usersMissing2fa: rows.filter(Self.missesTwoFactor).count,
            usersWithStaleSecrets: rows.filter(\.staleSecret).count,
            secretsOnRetiredKeys: try await secretsOnRetiredKeys())
        return Report(
            generatedAt: now, maxSecretAgeDays: maxSecretAgeDays, realOnly: realOnly, summary: summary, users: rows)
    }

    /// Admins and traders without 2FA, except wallet users: the dYdX clients' sign-in has no
    /// one-time-password step, so 2FA is their choice and cannot be required (docs/wallets.md).
    static func missesTwoFactor(_ row: UserRow) -> Bool {
        (row.role == .admin || row.role == .trader) && !row.twoFactorEnabled
            && !WalletAccountName.isWalletAccount(row.email)
    }

    /// Stored secrets (rows of every sealed table) with a value sealed under any key but the
    /// active one, across all users: what `keys rotate` would still have to re-seal.
    func secretsOnRetiredKeys() async throws -> Int {
        let prefix = "\(KeyRing.formatVersion).\(keyRing.activeKeyID)."
        return try await SealedSecretStore().rowsNotSealed(withPrefix: prefix, on: db)
    }
}
