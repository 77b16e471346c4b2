import Foundation
import TMWSMCP
import Testing

/// The wire format of the transport's events.
struct ServerSentEventTests {
    static func text(_ event: ServerSentEvent) -> String { String(decoding: event.formatted(), as: UTF8.self) }

    @Test func aMessageIsOneEventWithItsIDAndType() {
        let event = ServerSentEvent.message(Data(#"{"jsonrpc":"2.0","id":1,"result":{}}"#.utf8), id: "7")
        #expect(Self.text(event) == "id: 7\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n")
    }

    @Test(arguments: [(nil, "id: 3\ndata: \n\n"), (500, "id: 3\nretry: 500\ndata: \n\n")] as [(Int?, String)])
    func aPrimingEventHasAnIDAndEmptyData(retry: Int?, wire: String) {
        #expect(Self.text(.priming(id: "3", retry: retry)) == wire)
    }

    @Test func lineBreaksSplitTheDataIntoLinesButOtherSeparatorsStay() {
        let data = Data("{\n\"a\":\r\n1,\r\"b\":\"x\u{2028}y\u{85}z\"}".utf8)
        #expect(
            Self.text(.message(data, id: "1"))
                == "id: 1\nevent: message\ndata: {\ndata: \"a\":\ndata: 1,\ndata: \"b\":\"x\u{2028}y\u{85}z\"}\n\n")
    }
}
