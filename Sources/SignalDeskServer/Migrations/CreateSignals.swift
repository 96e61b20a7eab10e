import Fluent

struct CreateSignals: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("signals")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("symbol", .string, .required)
            .field("module", .string, .required)
            .field("side", .string, .required)
            .field("exchange", .string, .required)
            .field("source", .string, .required)
            .field("order_type", .string, .required)
            .field("base_risk_percent", .double)
            .field("entry_price", .double)
            .field("stop_loss", .double)
            .field("take_profit", .double)
            .field("qty", .double)
            .field("status", .string, .required)
            .field("reason_codes", .string, .required)
            .field("webhook_id", .uuid)
            .field("alert_id", .string)
            .field("body_hash", .string)
            .field("lease_count", .int, .required)
            .field("leased_until", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            // Two instances agree on duplicates through the database, not through memory.
            .unique(on: "webhook_id", "alert_id")
            .create()
        try await database.createIndex(
            "idx_signals_user_status", on: "signals", columns: ["user_id", "status", "created_at"])
        try await database.createIndex("idx_signals_status_created", on: "signals", columns: ["status", "created_at"])
        try await database.createIndex(
            "idx_signals_webhook_body", on: "signals", columns: ["webhook_id", "body_hash", "created_at"])
    }

    func revert(on database: Database) async throws {
        try await database.schema("signals").delete()
    }
}

struct CreatePositions: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("positions")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("signal_id", .uuid, .references("signals", "id", onDelete: .setNull))
            .field("symbol", .string, .required)
            .field("exchange", .string, .required)
            .field("side", .string, .required)
            .field("qty", .double, .required)
            .field("entry_price", .double, .required)
            .field("stop_loss", .double)
            .field("take_profit", .double)
            .field("status", .string, .required)
            .field("opened_at", .datetime, .required)
            .field("opened_day", .string, .required)
            .field("closed_at", .datetime)
            .field("closed_day", .string)
            .field("exit_price", .double)
            .field("realized_pnl", .double)
            .field("fees", .double, .required)
            .field("close_reason", .string)
            .create()
        try await database.createIndex("idx_positions_user_status", on: "positions", columns: ["user_id", "status"])
        try await database.createIndex("idx_positions_user_opened", on: "positions", columns: ["user_id", "opened_at"])
        try await database.createIndex(
            "idx_positions_user_closed_day", on: "positions", columns: ["user_id", "closed_day"])
        try await database.createIndex("idx_positions_status_symbol", on: "positions", columns: ["status", "symbol"])
    }

    func revert(on database: Database) async throws {
        try await database.schema("positions").delete()
    }
}

/// Orders sent to a venue. The client order id is derived from the signal id and unique, so a
/// retried or resumed execution finds the order instead of placing it again.
struct CreateOrders: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("orders")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("signal_id", .uuid, .references("signals", "id", onDelete: .setNull))
            .field("position_id", .uuid, .references("positions", "id", onDelete: .setNull))
            .field("venue", .string, .required)
            .field("client_order_id", .string, .required)
            .field("venue_order_id", .string)
            .field("symbol", .string, .required)
            .field("side", .string, .required)
            .field("qty", .double, .required)
            .field("price", .double)
            .field("status", .string, .required)
            .field("filled_qty", .double)
            .field("average_price", .double)
            .field("error", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "client_order_id")
            .create()
        try await database.createIndex("idx_orders_signal", on: "orders", columns: ["signal_id"])
        try await database.createIndex("idx_orders_user_created", on: "orders", columns: ["user_id", "created_at"])
    }

    func revert(on database: Database) async throws {
        try await database.schema("orders").delete()
    }
}

/// One row per user and trading day (`YYYY-MM-DD` in TRADING_DAY_TZ).
struct CreateDailyRiskState: AsyncMigration {
    func prepare(on database: Database) async throws {
        try await database.schema("daily_risk_state")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("day", .string, .required)
            .field("trades_count", .int, .required)
            .field("realized_pnl", .double, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "user_id", "day")
            .create()
    }

    func revert(on database: Database) async throws {
        try await database.schema("daily_risk_state").delete()
    }
}
