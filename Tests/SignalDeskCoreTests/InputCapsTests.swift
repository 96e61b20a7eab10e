import Testing

@testable import SignalDeskCore

@Suite struct InputCapsTests {
    @Test func quantitiesUpToOneMillion() {
        #expect(InputCaps.acceptsQty(0.0001))
        #expect(InputCaps.acceptsQty(1_000_000))
        #expect(!InputCaps.acceptsQty(1_000_000.0001))
        #expect(!InputCaps.acceptsQty(1_000_001))
        #expect(!InputCaps.acceptsQty(0))
        #expect(!InputCaps.acceptsQty(-1))
        #expect(!InputCaps.acceptsQty(.infinity))
        #expect(!InputCaps.acceptsQty(.nan))
    }

    @Test func openedMinutesUpToSevenDays() {
        #expect(InputCaps.acceptsOpenedMinutes(0))
        #expect(InputCaps.acceptsOpenedMinutes(10_080))
        #expect(!InputCaps.acceptsOpenedMinutes(10_081))
        #expect(!InputCaps.acceptsOpenedMinutes(10_080.5))
        #expect(!InputCaps.acceptsOpenedMinutes(-1))
        #expect(!InputCaps.acceptsOpenedMinutes(.nan))
    }
}
