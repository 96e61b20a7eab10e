/// A 20-byte Ethereum account address, shown EIP-55 checksummed.
///
/// Parsing accepts `0x` followed by 40 hex digits in one case (all lower or all upper, which carry
/// no checksum) or in mixed case that is a correct EIP-55 checksum; a mixed-case text with a wrong
/// checksum is refused, since it is most likely a mistyped address. Two addresses are equal when
/// their bytes are, whatever case they were written in.
public struct EthereumAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 20 else { return nil }
        self.bytes = bytes
    }

    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 42, utf8[0] == UInt8(ascii: "0"),
            utf8[1] == UInt8(ascii: "x") || utf8[1] == UInt8(ascii: "X")
        else { return nil }
        let digits = String(decoding: utf8[2...], as: UTF8.self)
        guard let bytes = Hex.decode(digits) else { return nil }
        self.bytes = bytes
        let hasLower = digits.utf8.contains { (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        let hasUpper = digits.utf8.contains { (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) }
        if hasLower && hasUpper && checksummed != "0x" + digits {
            return nil
        }
    }

    /// The address of an uncompressed public key (65 bytes 0x04‖X‖Y, or the 64 bytes X‖Y): the
    /// last 20 bytes of Keccak-256(X‖Y).
    public init?(publicKey: [UInt8]) {
        let body: ArraySlice<UInt8>
        switch publicKey.count {
        case 65 where publicKey[0] == 0x04: body = publicKey[1...]
        case 64: body = publicKey[...]
        default: return nil
        }
        self.bytes = Array(WalletDigest.keccak256(body).suffix(20))
    }

    /// EIP-55: hex digit i is upper-cased when nibble i of Keccak-256(lower-case hex) is ≥ 8.
    public var checksummed: String {
        let lower = Array(Hex.encode(bytes).utf8)
        let hash = WalletDigest.keccak256(lower)
        var out = Array("0x".utf8)
        for (index, char) in lower.enumerated() {
            let nibble = index % 2 == 0 ? hash[index / 2] >> 4 : hash[index / 2] & 0x0F
            if char >= UInt8(ascii: "a") && nibble >= 8 {
                out.append(char - 32)
            } else {
                out.append(char)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The lower-case form, used as the stored key so that lookups ignore case.
    public var lowercased: String { "0x" + Hex.encode(bytes) }

    public var description: String { checksummed }
}
