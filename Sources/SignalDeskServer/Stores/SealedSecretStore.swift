import Fluent
import Foundation
import SQLKit
import SignalDeskCore

/// The SQL of sealed values (every ``SealedTable``: exchange secrets, TOTP seeds, webhook secrets,
/// Telegram settings) that key rotation reads and re-seals and the security posture counts. The
/// same SQL on both databases, so one struct.
struct SealedSecretStore: Sendable {
    /// One row of a sealed table as rotation reads it.
    struct SealedRow: Sendable {
        let id: UUID
        /// The row's owner (``SealedTable/ownerColumn``): the user its values are bound to.
        let owner: UUID
        /// The row's `exchange` column: nil when the table has none, or holds an unknown exchange.
        let exchange: Exchange?
        /// Each sealed column of the table, in ``SealedTable/columns`` order, with its value.
        let values: [(column: String, sealed: String?)]
    }

    /// A new sealed value of one column, written only where the column still holds `old`.
    struct Change: Sendable {
        let column: String
        let old: String
        let new: String
    }

    /// The timestamps of a user's exchange secret (no sealed value is loaded).
    struct ExchangeSecretAge: Sendable, Equatable {
        let userID: UUID
        /// Nil for an exchange this build does not know.
        let exchange: Exchange?
        let updatedAt: Date?
    }

    /// Up to `limit` rows of `table` with an id after `after` (from the first when nil), in id order.
    func rows(of table: SealedTable, after: UUID?, limit: Int, on db: any Database) async throws -> [SealedRow] {
        var query = try db.sql(for: "SealedSecretStore").select().column("id")
            .column(SQLColumn(table.ownerColumn), as: "owner")
            .columns(table.columns.map { SQLColumn($0.name) })
            .from(table.name)
            .orderBy("id")
            .limit(limit)
        if table.hasExchangeColumn { query = query.column("exchange") }
        if let after { query = query.where("id", .greaterThan, SQLBind(after)) }
        return try await query.all().map { row in
            SealedRow(
                id: try row.decode(column: "id", as: UUID.self),
                owner: try row.decode(column: "owner", as: UUID.self),
                exchange: table.hasExchangeColumn
                    ? Exchange(rawValue: try row.decode(column: "exchange", as: String.self)) : nil,
                values: try table.columns.map { column in
                    (column.name, try row.decode(column: column.name, as: String?.self))
                })
        }
    }

    /// Writes `changes` to row `id` of `table` if every changed column still holds the value read,
    /// and sets the table's key id column (if any) to `keyID`. True when the row was written.
    func reseal(
        id: UUID, of table: SealedTable, changes: [Change], keyID: String, on db: any Database
    ) async throws -> Bool {
        var statement = try db.sql(for: "SealedSecretStore").update(table.name).where("id", .equal, SQLBind(id))
        for change in changes {
            statement = statement.set(SQLColumn(change.column), to: SQLBind(change.new))
                .where(SQLColumn(change.column), .equal, SQLBind(change.old))
        }
        if let keyIDColumn = table.keyIDColumn {
            statement = statement.set(SQLColumn(keyIDColumn), to: SQLBind(keyID))
        }
        return try await !statement.returning("id").all().isEmpty
    }

    /// Rows, across every sealed table, with at least one value that does not start with `prefix`
    /// (the sealed form's version and the active key id): what rotation would still re-seal.
    func rowsNotSealed(withPrefix prefix: String, on db: any Database) async throws -> Int {
        let sql = try db.sql(for: "SealedSecretStore")
        var total = 0
        for table in SealedTable.all {
            let count =
                try await sql.select()
                .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .from(table.name)
                .where { group in
                    for column in table.columns {
                        group.orWhere { clause in
                            clause.where(SQLColumn(column.name), .isNot, SQLLiteral.null)
                                .where(
                                    SQLFunction(
                                        "substr", args: SQLColumn(column.name), SQLLiteral.numeric("1"),
                                        SQLLiteral.numeric(String(prefix.utf8.count))),
                                    .notEqual, SQLBind(prefix))
                        }
                    }
                    return group
                }
                .first(decodingColumn: "n", as: Int.self) ?? 0
            total += count
        }
        return total
    }

    /// The users with a dYdX mnemonic stored, for `network` or (nil) either network. No sealed
    /// value is loaded.
    func dydxMnemonicOwners(network: DydxNetwork? = nil, on db: any Database) async throws -> Set<UUID> {
        var query = try db.sql(for: "SealedSecretStore").select().column("user_id").from("dydx_credentials")
        if let network { query = query.where("network", .equal, SQLBind(network.rawValue)) }
        return Set(try await query.all().map { try $0.decode(column: "user_id", as: UUID.self) })
    }

    /// Every exchange secret's owner, exchange and last update.
    func exchangeSecretAges(on db: any Database) async throws -> [ExchangeSecretAge] {
        try await db.sql(for: "SealedSecretStore").select().columns("user_id", "exchange", "updated_at")
            .from("exchange_secrets").all().map { row in
                ExchangeSecretAge(
                    userID: try row.decode(column: "user_id", as: UUID.self),
                    exchange: Exchange(rawValue: try row.decode(column: "exchange", as: String.self)),
                    updatedAt: try row.decode(column: "updated_at", as: Date?.self))
            }
    }
}
