import Foundation
import NIOCore
import PostgresNIO
import TMWSStorage

/// A `timestamptz` value at a whole millisecond, encoded and decoded through integers.
///
/// postgres-nio's own `Date` coding goes through floating point and truncates, so a millisecond
/// timestamp can be stored one microsecond early — enough to break keyset pagination and the
/// ordering of equal times. The stores keep milliseconds (`Timestamp`); this keeps them exact.
struct PostgresTimestamp: PostgresNonThrowingEncodable, PostgresDecodable {
    /// Milliseconds from 1970 to PostgreSQL's epoch, 2000-01-01.
    private static let epochOffset: Int64 = 946_684_800_000

    var date: Date

    init(_ date: Date) { self.date = date }

    static var psqlType: PostgresDataType { .timestamptz }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeInteger((Timestamp.milliseconds(date) - Self.epochOffset) * 1000)
    }

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard type == .timestamptz || type == .timestamp, format == .binary else { throw PostgresDecodingError.Code.typeMismatch }
        guard buffer.readableBytes == 8, let microseconds = buffer.readInteger(as: Int64.self) else {
            throw PostgresDecodingError.Code.failure
        }
        let (quotient, remainder) = microseconds.quotientAndRemainder(dividingBy: 1000)
        self.date = Timestamp.date(milliseconds: (remainder < 0 ? quotient - 1 : quotient) + Self.epochOffset)
    }
}

extension Date {
    /// This date as a millisecond-exact PostgreSQL timestamp.
    var postgres: PostgresTimestamp { PostgresTimestamp(self) }
}
