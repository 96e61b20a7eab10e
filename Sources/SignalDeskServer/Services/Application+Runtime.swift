import Vapor

extension Application {
    /// Whether an execution worker runs in this process. No worker exists yet (the execution
    /// engine issue adds it), so this reports false rather than pretending.
    var executionWorkerRunning: Bool { false }

}
