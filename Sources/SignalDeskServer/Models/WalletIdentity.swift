import Fluent
import Foundation

/// The Ethereum address a wallet user signs in with (lower-case; shown EIP-55 checksummed).
final class WalletIdentity: Model, @unchecked Sendable {
    static let schema = "wallet_identities"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "address") var address: String
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(userID: UUID, address: String, createdAt: Date) {
        self.$user.id = userID
        self.address = address
        self.createdAt = createdAt
    }
}

/// A sign-in message the server issued for an address.
final class WalletNonce: Model, @unchecked Sendable {
    static let schema = "wallet_nonces"

    @ID(key: .id) var id: UUID?
    @Field(key: "nonce") var nonce: String
    @Field(key: "address") var address: String
    @Field(key: "message") var message: String
    @Field(key: "issued_at") var issuedAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?

    init() {}

    init(nonce: String, address: String, message: String, issuedAt: Date, expiresAt: Date) {
        self.nonce = nonce
        self.address = address
        self.message = message
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }
}

/// A user's sealed dYdX mnemonic for one network and the address derived from it.
final class DydxCredential: Model, @unchecked Sendable {
    static let schema = "dydx_credentials"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "network") var network: String
    @Field(key: "mnemonic_sealed") var mnemonicSealed: String
    @Field(key: "address") var address: String
    @Field(key: "key_id") var keyID: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}
}
