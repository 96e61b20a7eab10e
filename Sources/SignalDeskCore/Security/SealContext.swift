/// What a sealed value belongs to: its owner (a user id) and its purpose (for example
/// `exchange:BINANCE:api_secret`). It is authenticated with the ciphertext, so a value moved to
/// another owner or field does not open.
public struct SealContext: Sendable, Equatable {
    public let owner: String
    public let purpose: String

    public init(owner: String, purpose: String) {
        self.owner = owner
        self.purpose = purpose
    }

    var associatedData: [UInt8] {
        // Lengths make the encoding unambiguous whatever characters owner and purpose hold.
        Array("\(owner.utf8.count):\(owner)|\(purpose.utf8.count):\(purpose)".utf8)
    }
}
