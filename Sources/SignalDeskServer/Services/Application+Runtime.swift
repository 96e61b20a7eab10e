import Vapor

extension Application {
    /// Whether an execution worker runs in this process.
    var executionWorkerRunning: Bool { executionWorker?.isRunning ?? false }

}
