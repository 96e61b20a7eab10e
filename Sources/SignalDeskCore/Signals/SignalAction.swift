/// What a signal asks for, as stored in `signals.action`: open a position, or close the user's
/// open position in the symbol (close/exit alerts).
public enum SignalAction: String, Sendable, CaseIterable, Codable {
    case open
    case close
}
