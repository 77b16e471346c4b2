import Foundation

/// Conversions between `Date` and the timestamp text SQLite uses, `YYYY-MM-DD HH:MM:SS.SSS` (UTC).
///
/// Every timestamp a store writes has millisecond precision, so both backends return identical
/// values. Formatting and parsing are plain arithmetic: no `DateFormatter` on the hot path.
public enum Timestamp {
    /// Milliseconds since 1970 of a date, rounded down.
    @inlinable
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// The date at a number of milliseconds since 1970.
    @inlinable
    public static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// A date truncated to whole milliseconds, as a store keeps it.
    @inlinable
    public static func truncated(_ date: Date) -> Date {
        self.date(milliseconds: milliseconds(date))
    }

    /// Formats a date as `YYYY-MM-DD HH:MM:SS.SSS` in UTC.
    public static func sqliteText(_ date: Date) -> String {
        let ms = milliseconds(date)
        let (days, msOfDay) = floorDivide(ms, 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        var bytes = [UInt8](repeating: 0, count: 23)
        func put(_ value: Int64, at index: Int, width: Int) {
            var value = value
            for offset in stride(from: width - 1, through: 0, by: -1) {
                bytes[index + offset] = UInt8(48 + value % 10)
                value /= 10
            }
        }
        put(year, at: 0, width: 4)
        bytes[4] = UInt8(ascii: "-")
        put(month, at: 5, width: 2)
        bytes[7] = UInt8(ascii: "-")
        put(day, at: 8, width: 2)
        bytes[10] = UInt8(ascii: " ")
        put(msOfDay / 3_600_000, at: 11, width: 2)
        bytes[13] = UInt8(ascii: ":")
        put(msOfDay / 60_000 % 60, at: 14, width: 2)
        bytes[16] = UInt8(ascii: ":")
        put(msOfDay / 1000 % 60, at: 17, width: 2)
        bytes[19] = UInt8(ascii: ".")
        put(msOfDay % 1000, at: 20, width: 3)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Formats a date as ISO 8601 UTC to the second, `YYYY-MM-DDTHH:MM:SSZ` — the form tool
    /// results and `--json` output use.
    public static func iso8601(_ date: Date) -> String {
        // `YYYY-MM-DD HH:MM:SS.SSS` → `YYYY-MM-DDTHH:MM:SSZ`, byte by byte (Foundation's
        // replacingOccurrences was a visible share of a tool call's CPU).
        var bytes = Array(sqliteText(date).utf8.dropLast(4))
        bytes[10] = UInt8(ascii: "T")
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses SQLite timestamp text: `YYYY-MM-DD HH:MM:SS` with an optional fraction of up to
    /// nine digits, a `T` instead of the space, and an optional `Z` or `+00:00` suffix (the forms
    /// SQLite, SQLAlchemy and GRDB write). Returns `nil` for anything else.
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    static func parse(utf8 b: UnsafeBufferPointer<UInt8>) -> Date? {
        guard b.count >= 19, b.count <= 35 else { return nil }
        func digits(_ start: Int, _ count: Int) -> Int64? {
            var value: Int64 = 0
            for i in start..<(start + count) {
                let c = b[i]
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int64(c - 48)
            }
            return value
        }
        guard b[4] == 45, b[7] == 45, b[10] == 32 || b[10] == 84, b[13] == 58, b[16] == 58,
            let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
            let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var millis: Int64 = 0
        if index < b.count, b[index] == 46 {
            index += 1
            var scale: Int64 = 100
            let start = index
            while index < b.count, b[index] >= 48, b[index] <= 57 {
                millis += Int64(b[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start, index - start <= 9 else { return nil }
        }
        let rest = b.count - index
        if rest == 1 {
            guard b[index] == 90 else { return nil }
        } else if rest == 6 {
            guard b[index] == 43 || b[index] == 45, digits(index + 1, 2) == 0, b[index + 3] == 58,
                digits(index + 4, 2) == 0
            else { return nil }
        } else if rest != 0 {
            return nil
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let total = ((days * 24 + hour) * 60 + minute) * 60 + second
        return date(milliseconds: total * 1000 + millis)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    // Howard Hinnant's civil-from-days and days-from-civil algorithms.
    private static func civil(fromDays z: Int64) -> (Int64, Int64, Int64) {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
