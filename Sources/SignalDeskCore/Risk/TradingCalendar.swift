import Foundation

/// The trading day: the calendar date in TRADING_DAY_TZ (America/Bogota by default).
public struct TradingCalendar: Sendable {
    public let timeZone: TimeZone

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
    }

    /// `yyyy-MM-dd` of `date` in the trading time zone.
    public func day(of date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// The instant the trading day `offset` days before the one containing `date` began.
    public func startOfDay(_ date: Date, daysBefore offset: Int = 0) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = calendar.startOfDay(for: date)
        return calendar.date(byAdding: .day, value: -offset, to: start) ?? start
    }
}
