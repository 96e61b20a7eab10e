import SignalDeskCore

/// Where sealed values live: each table, its owner column and its sealed columns with the field
/// each holds. Rotation and posture walk this list, so a new sealed column is added here once.
struct SealedTable: Sendable {
    struct Column: Sendable {
        let name: String
        /// The field of a row, given its `exchange` column when the table has one.
        let field: @Sendable (_ exchange: Exchange?) -> SealedField?
    }

    let name: String
    let ownerColumn: String
    let hasExchangeColumn: Bool
    /// A column recording the key id of the row's values, kept in step on rotation.
    let keyIDColumn: String?
    let columns: [Column]

    static let all: [SealedTable] = [
        SealedTable(
            name: "exchange_secrets", ownerColumn: "user_id", hasExchangeColumn: true, keyIDColumn: "key_id",
            columns: [
                Column(name: "api_key_sealed") { $0.map(SealedField.exchangeAPIKey) },
                Column(name: "api_secret_sealed") { $0.map(SealedField.exchangeAPISecret) },
            ]),
        SealedTable(
            name: "two_factor", ownerColumn: "user_id", hasExchangeColumn: false, keyIDColumn: nil,
            columns: [Column(name: "secret_sealed") { _ in .totpSeed }]),
        SealedTable(
            name: "webhook_endpoints", ownerColumn: "user_id", hasExchangeColumn: false, keyIDColumn: nil,
            columns: [Column(name: "secret_sealed") { _ in .webhookSecret }]),
        SealedTable(
            name: "users", ownerColumn: "id", hasExchangeColumn: false, keyIDColumn: nil,
            columns: [
                Column(name: "telegram_bot_token_sealed") { _ in .telegramBotToken },
                Column(name: "telegram_chat_id_sealed") { _ in .telegramChatID },
            ]),
        SealedTable(
            name: "dydx_credentials", ownerColumn: "user_id", hasExchangeColumn: false, keyIDColumn: "key_id",
            columns: [Column(name: "mnemonic_sealed") { _ in .dydxMnemonic }]),
    ]
}
