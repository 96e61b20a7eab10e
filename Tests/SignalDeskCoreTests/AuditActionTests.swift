import Foundation
import SignalDeskCore
import Testing

/// The audit action names are part of the contract: every name docs/contract.md gives for what
/// SignalDesk serves is one of `AuditAction`'s, and the families map to their names.
@Suite struct AuditActionTests {
    /// Every `audit `name`` of docs/contract.md up to the sections not served yet (from "dYdX v4
    /// venue" on), with
    /// `a|b` and `{a,b}` expanded.
    static func contractNames() throws -> Set<String> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/contract.md"), encoding: .utf8)
        // Everything but the dYdX v4 venue's section (issue 23, not served yet).
        let beforeVenue = text.components(separatedBy: "## dYdX v4 venue").first ?? text
        let subscriptions = text.components(separatedBy: "## Subscriptions").dropFirst().first ?? ""
        let served = beforeVenue + subscriptions
        var names: Set<String> = []
        let pattern = try NSRegularExpression(pattern: #"[Aa]udit `([^`]+)`(?: / `([^`]+)`)?"#)
        for match in pattern.matches(in: served, range: NSRange(served.startIndex..., in: served)) {
            for group in 1..<match.numberOfRanges {
                guard let range = Range(match.range(at: group), in: served) else { continue }
                names.formUnion(expand(String(served[range])))
            }
        }
        return names
    }

    static func expand(_ name: String) -> [String] {
        if let open = name.firstIndex(of: "{"), let close = name.firstIndex(of: "}") {
            let prefix = name[..<open], suffix = name[name.index(after: close)...]
            return name[name.index(after: open)..<close].split(separator: ",").map { String(prefix + $0 + suffix) }
        }
        if let bar = name.firstIndex(of: "|"), let dot = name[..<bar].lastIndex(of: ".") {
            let stem = name[...dot]
            return [String(name[..<bar]), String(stem + name[name.index(after: bar)...])]
        }
        return [name]
    }

    @Test func everyNameTheContractGivesIsAnAction() throws {
        let names = try Self.contractNames()
        #expect(names.count >= 30, "\(names.count) names read from docs/contract.md")
        let actions = Set(AuditAction.allCases.map(\.rawValue))
        #expect(names.subtracting(actions).isEmpty, "missing: \(names.subtracting(actions).sorted())")
    }

    @Test func namesAreDottedLowerCaseAndFamiliesMap() {
        for action in AuditAction.allCases {
            #expect(
                action.rawValue.range(of: #"^[a-z0-9_]+(\.[a-z0-9_]+)+$"#, options: .regularExpression) != nil,
                "\(action)")
        }
        for exchange in Exchange.allCases {
            let stem = "execution.\(exchange.rawValue.lowercased()).test_order"
            #expect(AuditAction.testOrder(exchange, succeeded: true).rawValue == stem + ".success")
            #expect(AuditAction.testOrder(exchange, succeeded: false).rawValue == stem + ".error")
        }
        let blocks: [(OpenBlock, String)] = [
            (.maxOpenPositions, "max_open_positions"), (.cooldown(minutes: 30), "cooldown"), (.dailyStop, "daily_stop"),
            (.maxTrades, "max_trades"), (.riskPerTrade, "risk_per_trade"),
        ]
        for (block, name) in blocks {
            #expect(AuditAction.openBlocked(block).rawValue == "position.open.blocked." + name)
        }
    }
}
