import CBotan

/// Keccak-256 and RIPEMD-160, computed by Botan 2 (Debian's `libbotan-2-dev`) through its C API.
///
/// Keccak-256 is the original Keccak submission Ethereum uses (`Keccak-1600(256)`), not SHA3-256:
/// the two differ in their padding byte. SHA-256 and SHA-512 come from swift-crypto.
public enum WalletDigest {
    /// Keccak-256 of `bytes` (32 bytes).
    public static func keccak256<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        digest("Keccak-1600(256)", outputCount: 32, of: Array(bytes))
    }

    /// RIPEMD-160 of `bytes` (20 bytes).
    public static func ripemd160<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        digest("RIPEMD-160", outputCount: 20, of: Array(bytes))
    }

    private static func digest(_ name: String, outputCount: Int, of input: [UInt8]) -> [UInt8] {
        var hash: botan_hash_t?
        // Botan reports an error only for an unknown algorithm name or an allocation failure:
        // both are a broken installation, not something a caller can handle.
        guard botan_hash_init(&hash, name, 0) == 0, let hash else {
            fatalError("Botan has no \(name): the installed libbotan-2 is incomplete")
        }
        defer { botan_hash_destroy(hash) }
        var output = [UInt8](repeating: 0, count: outputCount)
        let updated = input.withUnsafeBufferPointer { botan_hash_update(hash, $0.baseAddress, $0.count) }
        let finished = output.withUnsafeMutableBufferPointer { botan_hash_final(hash, $0.baseAddress) }
        precondition(updated == 0 && finished == 0, "Botan \(name) failed")
        return output
    }
}
