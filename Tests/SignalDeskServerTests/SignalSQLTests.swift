import SignalDeskCore
import Testing

@testable import SignalDeskServer

/// The lifecycle in SQL comes from Core: the same text the statements had when they spelled it out.
@Suite struct SignalSQLTests {
    @Test func statusesAndTheWorkerPredicateComeFromCore() {
        #expect(SignalSQL.executedByWorker() == "source <> 'api'")
        #expect(SignalSQL.executedByWorker(column: "NEW.source") == "NEW.source <> 'api'")
        #expect(SignalSQL.text([.created]) == "'CREATED'")
        #expect(SignalSQL.text(SignalStatus.pending + [.failed]) == "'CREATED', 'EXECUTING', 'FAILED'")
        #expect(SignalSource.allCases.filter(\.isExecutedByWorker) == [.tradingview, .hmac])
    }
}
