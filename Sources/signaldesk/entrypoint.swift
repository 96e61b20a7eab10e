import SignalDeskServer

@main
enum Entrypoint {
    static func main() async {
        await SignalDeskMain.run()
    }
}
