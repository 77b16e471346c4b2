import Foundation
import TMWSStorage
import Testing

extension StoreConformance {
    static func pingSucceeds(_ f: ConformanceFixture) async throws {
        try await f.store.ping()
    }
}
