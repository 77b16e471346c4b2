/// Argument checks shared by every backend, so that they reject the same input the same way.
package enum Validation {
    static let maximumNameLength = 256

    package static func agent(_ agent: NewAgent) throws(StorageError) {
        try text(agent.name, "agent name")
        try text(agent.namespace, "namespace")
        try text(agent.role, "role")
        try text(agent.tier, "tier")
    }

    package static func text(_ value: String, _ what: String) throws(StorageError) {
        guard !value.isEmpty, value.utf8.count <= maximumNameLength else {
            throw StorageError(.invalidArgument, "the \(what) must be 1 to \(maximumNameLength) bytes long")
        }
    }
}
