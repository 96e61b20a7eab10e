import Foundation
import Vapor

/// `signaldesk subscriptions expire`: the subscription sweep once (issue 24; `serve` and `worker`
/// also run it every hour): marks ended periods `expired` and queues the reminders that are due.
struct SubscriptionsCommand: AsyncCommandGroup {
    var help: String { "Manages subscriptions (SUBSCRIPTION_REQUIRED)." }
    var commands: [String: any AnyAsyncCommand] { ["expire": SubscriptionsExpireCommand()] }
}

struct SubscriptionsExpireCommand: AsyncCommand {
    struct Signature: CommandSignature {
        init() {}
    }

    var help: String {
        "Marks active or trialing subscriptions whose period ended as expired, queues the due reminders, prints JSON."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let result = try await SubscriptionGate(app: app).sweep(now: app.wallClock.now())
        context.console.print(#"{"expired":\#(result.expired),"reminded":\#(result.reminded)}"#)
    }
}
