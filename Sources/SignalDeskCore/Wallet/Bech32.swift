/// BIP-173 bech32 encoding (the address text of Cosmos chains such as dYdX v4).
public enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]

    /// `hrp` + "1" + the data's 5-bit groups + a 6-character checksum.
    public static func encode(hrp: String, data: [UInt8]) -> String {
        let values = convertTo5Bits(data)
        let checksum = checksum(hrp: Array(hrp.utf8), values: values)
        return hrp + "1" + String(decoding: (values + checksum).map { charset[Int($0)] }, as: UTF8.self)
    }

    private static func convertTo5Bits(_ data: [UInt8]) -> [UInt8] {
        var accumulator: UInt32 = 0
        var bits = 0
        var out: [UInt8] = []
        for byte in data {
            accumulator = accumulator << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(UInt8(accumulator >> UInt32(bits) & 31))
            }
        }
        if bits > 0 {
            out.append(UInt8(accumulator << UInt32(5 - bits) & 31))
        }
        return out
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        var check: UInt32 = 1
        for value in values {
            let top = check >> 25
            check = (check & 0x1ff_ffff) << 5 ^ UInt32(value)
            for index in 0..<5 where (top >> UInt32(index)) & 1 == 1 {
                check ^= generator[index]
            }
        }
        return check
    }

    private static func checksum(hrp: [UInt8], values: [UInt8]) -> [UInt8] {
        let expanded = hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
        let modulus = polymod(expanded + values + [0, 0, 0, 0, 0, 0]) ^ 1
        return (0..<6).map { UInt8(modulus >> UInt32(5 * (5 - $0)) & 31) }
    }
}
