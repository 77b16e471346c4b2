extension SessionHTTPTransport {
    /// How much of a session's sent events is kept for resumption with `Last-Event-ID`.
    ///
    /// Every stream starts with a priming event and every answered request adds its response, so a
    /// session's events grow by two per call; only the newest are kept. A client asking to resume
    /// from an event older than those gets the 400 "Invalid Last-Event-ID" an unknown id gets.
    public struct ReplayLimits: Sendable, Equatable {
        /// The most events kept (at least 1).
        public var events: Int
        /// The most message bytes kept; the newest message is kept even when it alone is larger.
        public var bytes: Int

        /// Limits of `events` events and `bytes` bytes.
        public init(events: Int, bytes: Int) {
            self.events = events
            self.bytes = bytes
        }

        /// 256 events and 1 MiB: the last hundred or so calls of a session, at most 1 MiB.
        public static let standard = ReplayLimits(events: 256, bytes: 1 << 20)
    }
}
