/// Comparison of secrets whose running time depends only on the lengths, never on where the inputs differ.
public enum ConstantTime {
    /// True when `a` and `b` hold the same bytes. Every byte of the longer input is read.
    public static func equals<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
    where A.Element == UInt8, B.Element == UInt8 {
        var difference: UInt8 = a.count == b.count ? 0 : 1
        let length = max(a.count, b.count)
        var ia = a.makeIterator()
        var ib = b.makeIterator()
        for _ in 0..<length {
            let x = ia.next() ?? 0
            let y = ib.next() ?? 0
            difference |= x ^ y
        }
        return difference == 0
    }

    /// String form of ``equals(_:_:)`` over the UTF-8 bytes.
    public static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }
}
