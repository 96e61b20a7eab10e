import Fluent
import Foundation
import SignalDeskCore
import Testing
import VaporTesting

@testable import SignalDeskServer

/// The positions list is written by `JSONWriter`; it must be the JSON that `JSONEncoder` (as
/// configured for every other answer) writes for the same `PositionOut` values: the same keys,
/// strings (escapes and date texts included) and numbers. Key order is not compared: Foundation's
/// encoder on Linux does not keep one from run to run.
@Suite struct JSONWriterTests {
    @Test(arguments: TestDatabase.all)
    func positionsListIsWhatJSONEncoderWrites(_ database: TestDatabase) async throws {
        try await withTestApp(database) { app in
            let client = Client(app: app)
            let (token, _) = try await client.signIn("ana@trading.co")
            let owner = try #require(try await User.query(on: app.db).filter(\.$email == "ana@trading.co").first())
            let values: [(Double, Double?, Double?, String?, Double)] = [
                (0.001, 29_700.5, nil, nil, 30_000),
                (12.5, nil, 0.000_000_123, "stop/\"take\"\n\u{1}", 1e17),
                (1, 95, 110, "max_hold", -3.25),
            ]
            for (index, (qty, stop, take, reason, entry)) in values.enumerated() {
                let position = Position()
                position.$user.id = try owner.requireID()
                position.symbol = "BTCUSDT"
                position.exchange = "BINANCE"
                position.side = index % 2 == 0 ? .long : .short
                position.qty = qty
                position.entryPrice = entry
                position.stopLoss = stop
                position.takeProfit = take
                position.status = reason == nil ? .open : .closed
                position.openedAt = Date(timeIntervalSince1970: 1_790_000_000.987 + Double(index) * 3600)
                position.openedDay = "2026-09-21"
                position.closedAt = reason == nil ? nil : Date(timeIntervalSince1970: 1_790_100_000.5)
                position.exitPrice = reason == nil ? nil : 30_100.75
                position.realizedPnL = reason == nil ? nil : -0.1
                position.fees = 0.02
                position.closeReason = reason
                try await position.create(on: app.db)
            }
            let answer = try await client.send(.GET, "positions", token: token)
            #expect(answer.status == .ok)
            #expect(answer.headers.contentType == .json)
            let stored = try await Position.query(on: app.db).sort(\.$openedAt, .descending).sort(\.$id, .descending)
                .all()
            // Byte for byte what every other answer's encoder writes (sorted keys, lower-case UUIDs).
            let expected = try JSONCoding.encode(try stored.map(PositionOut.init))
            #expect(
                Array(answer.body.readableBytesView) == expected,
                "\(String(decoding: answer.body.readableBytesView, as: UTF8.self).prefix(600))\n\(String(decoding: expected, as: UTF8.self).prefix(600))"
            )
            // Dates to the second in UTC, as the encoder's .iso8601 strategy writes them.
            #expect(
                String(decoding: answer.body.readableBytesView, as: UTF8.self).contains(
                    #""opened_at":"2026-09-21T14:13:20Z""#))
        }
    }

    @Test func uuidsAreWrittenInLowerCase() throws {
        var uuids = (0..<200).map { _ in UUID() }
        uuids.append(UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        uuids.append(UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)))
        for uuid in uuids {
            var json = JSONWriter()
            json.beginObject()
            json.field("id", uuid)
            json.field("none", UUID?.none)
            json.endObject()
            #expect(
                String(decoding: json.bytes, as: UTF8.self) == #"{"id":"\#(uuid.uuidString.lowercased())","none":null}"#
            )
        }
    }

    @Test func auditDetailsAreTheTextJSONEncoderWrites() throws {
        let samples: [[String: AuditValue]] = [
            [:],
            [
                "symbol": "BTC/USDT", "qty": .double(0.001), "price": .double(30_000), "count": 3, "ok": true,
                "alert_id": .null,
            ],
            [
                "reason": "a \"quoted\" / slashed\nline\t\u{1}é", "big": .double(1e17), "small": .double(1.23e-7),
                "negative": -5,
            ],
            ["b": "2", "a": "1", "A": "0", "_": .bool(false), "api_key": "must be redacted"],
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for details in samples {
            let expected = String(decoding: try encoder.encode(AuditLog.sanitized(details)), as: UTF8.self)
            #expect(try AuditLog.detailsJSON(details) == expected)
        }
        #expect(throws: JSONWriter.Failure.self) { try AuditLog.detailsJSON(["price": .double(.nan)]) }
    }
}
