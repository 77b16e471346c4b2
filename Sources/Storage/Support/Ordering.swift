import Foundation

// Helpers every backend orders by.

extension RandomAccessCollection {
    /// The index of the first element for which `predicate` holds, in a collection where it
    /// holds for a suffix (binary search; the common append-at-the-end case costs one comparison).
    package func partitionIndex(where predicate: (Element) -> Bool) -> Index {
        if let last = self.last, !predicate(last) { return endIndex }
        var low = startIndex
        var count = self.count
        while count > 0 {
            let half = count / 2
            let middle = index(low, offsetBy: half)
            if predicate(self[middle]) {
                count = half
            } else {
                low = index(after: middle)
                count -= half + 1
            }
        }
        return low
    }
}

extension Date {
    /// Milliseconds since 1970, as the stores order by.
    package var ms: Int64 { Timestamp.milliseconds(self) }
}
