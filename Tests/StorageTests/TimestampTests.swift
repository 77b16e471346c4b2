import Foundation
import TMWSStorage
import Testing

@Suite struct TimestampTests {
    @Test(arguments: [
        (0.0, "1970-01-01 00:00:00.000"),
        (1_767_225_600.0, "2026-01-01 00:00:00.000"),
        (1_798_761_599.999, "2026-12-31 23:59:59.999"),
        (951_782_400.5, "2000-02-29 00:00:00.500"),
        (-1.0, "1969-12-31 23:59:59.000"),
    ])
    func formatsAndParses(_ seconds: Double, _ text: String) throws {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(Timestamp.sqliteText(date) == text)
        #expect(Timestamp.parse(text) == Timestamp.truncated(date))
    }

    @Test func parsesOtherWritersForms() {
        let expected = Date(timeIntervalSince1970: 1_767_225_600.123)
        for text in ["2026-01-01 00:00:00.123", "2026-01-01T00:00:00.123Z", "2026-01-01 00:00:00.123456", "2026-01-01 00:00:00.123+00:00"] {
            #expect(Timestamp.parse(text) == expected, "\(text)")
        }
        #expect(Timestamp.parse("2026-01-01 00:00:00") == Date(timeIntervalSince1970: 1_767_225_600))
    }

    @Test(arguments: [
        "", "2026-01-01", "2026-13-01 00:00:00", "2026-01-01 25:00:00", "2026-01-01 00:00:00.", "2026-01-01 00:00:00+01:00", "２０２６-01-01 00:00:00",
        "2026-01-01 00:00:00.123 junk",
    ])
    func rejectsGarbage(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }
}
