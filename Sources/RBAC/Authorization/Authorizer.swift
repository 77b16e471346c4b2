import Foundation
import Synchronization
import TMWSStorage

/// Checks permissions against storage, auditing every decision.
///
/// Each check reads the calling agent from storage (V-RBAC-1: a role change or a suspension takes
/// effect on the next check; nothing the caller claims is trusted), applies ``Policy``, and appends
/// exactly one `security_audit_logs` row with `event_type = 'permission_check'` and details
/// `{"operation", "role", "result", "reason"}` (V-RBAC-2) — the read, the decision and the row in
/// one atomic storage step. It fails secure (V-RBAC-4): when storage fails the check is denied,
/// an error is thrown, and a DENY row is still attempted.
///
/// ```swift
/// let authorizer = Authorizer(store: store)
/// let agent = try await authorizer.require(.licenseRead, for: principal,
///                                          on: Resource(ownerID: license.ownerID, namespace: license.namespace))
/// ```
public struct Authorizer: Sendable {
    public let store: any AuditStore

    public init(store: any AuditStore) {
        self.store = store
    }

    /// The outcome of a check: the decision and the agent as read in the same step.
    public struct Check: Sendable {
        public let decision: AccessDecision
        /// The caller's agent record, or `nil` when it does not exist.
        public let agent: Agent?
    }

    /// Checks an operation given as text; unknown operations are denied.
    /// - Throws: ``AccessError`` `unavailable` when storage fails (the check is then denied).
    public func check(_ operation: String, for principal: Principal, on resource: Resource? = nil) async throws(AccessError) -> Check {
        try await run(operation: operation, principal: principal) { subject, _ in
            Policy.decide(subject: subject, operation: operation, resource: resource)
        }
    }

    /// Checks a known permission.
    /// - Throws: ``AccessError`` `unavailable` when storage fails (the check is then denied).
    public func check(_ permission: Permission, for principal: Principal, on resource: Resource? = nil) async throws(AccessError) -> Check {
        try await run(operation: permission.rawValue, principal: principal) { subject, _ in
            Policy.decide(subject: subject, permission: permission, resource: resource)
        }
    }

    /// Checks a permission on a resource derived from the caller's own record (as read in the same
    /// atomic step), e.g. "licenses the caller owns" or "the caller's namespace".
    /// - Throws: ``AccessError`` `unavailable` when storage fails (the check is then denied).
    public func check(
        _ permission: Permission, for principal: Principal, resource: @escaping @Sendable (Agent) -> Resource?
    ) async throws(AccessError) -> Check {
        try await run(operation: permission.rawValue, principal: principal) { subject, agent in
            Policy.decide(subject: subject, permission: permission, resource: agent.flatMap(resource))
        }
    }

    /// Checks a permission and returns the caller's agent when allowed.
    /// - Throws: ``AccessError`` `permissionDenied` (with the reason) when denied, `unavailable` when storage fails.
    @discardableResult
    public func require(_ permission: Permission, for principal: Principal, on resource: Resource? = nil) async throws(AccessError) -> Agent {
        try Self.allowed(permission, try await check(permission, for: principal, on: resource))
    }

    /// Checks a permission on a resource derived from the caller's record and returns the agent when allowed.
    /// - Throws: ``AccessError`` `permissionDenied` (with the reason) when denied, `unavailable` when storage fails.
    @discardableResult
    public func require(
        _ permission: Permission, for principal: Principal, resource: @escaping @Sendable (Agent) -> Resource?
    ) async throws(AccessError) -> Agent {
        try Self.allowed(permission, try await check(permission, for: principal, resource: resource))
    }

    /// The decision half of a check, for a store operation that runs it inside its own transaction
    /// (`Store.recordValidation(licenseID:agentID:featureAccessed:authorize:decide:)`):
    /// the same policy and the same audit row as ``check(_:for:on:)-(Permission,_,_)``.
    public func step(_ permission: Permission, for principal: Principal, on resource: Resource? = nil) -> @Sendable (Agent?, Date) -> AgentCheck<Check> {
        let agentID = principal.agentID
        return { agent, _ in Self.decide(permission, agentID: agentID, agent: agent, resource: resource) }
    }

    /// ``step(_:for:on:)`` for a caller whom the store resolves in the same step (an API key
    /// resolved inside the validation's transaction): the audit row's user is the agent passed in.
    public func step(_ permission: Permission, on resource: Resource? = nil) -> @Sendable (Agent?, Date) -> AgentCheck<Check> {
        { agent, _ in Self.decide(permission, agentID: agent?.id, agent: agent, resource: resource) }
    }

    private static func decide(_ permission: Permission, agentID: UUID?, agent: Agent?, resource: Resource?) -> AgentCheck<Check> {
        let subject = agent.map { Subject(id: $0.id, role: $0.role, namespace: $0.namespace, status: $0.status.rawValue) }
        let decision = Policy.decide(subject: subject, permission: permission, resource: resource)
        return AgentCheck(
            result: Check(decision: decision, agent: agent), allowed: decision.isAllowed,
            audit: auditEvent(operation: permission.rawValue, agentID: agentID, role: agent?.role, decision: decision))
    }

    /// Turns the result of a ``step(_:for:on:)`` into the agent, or a `permissionDenied` error.
    public func require(_ permission: Permission, _ check: Check) throws(AccessError) -> Agent {
        try Self.allowed(permission, check)
    }

    /// Fails secure after a storage failure in a step run elsewhere: tries to leave a DENY row and
    /// returns the `unavailable` error to throw.
    public func failure(_ permission: Permission, for principal: Principal, underlying: any Error) async -> AccessError {
        await failure(operation: permission.rawValue, agentID: principal.agentID, underlying: underlying)
    }

    private func failure(operation: String, agentID: UUID, underlying: any Error) async -> AccessError {
        let denial = Self.auditEvent(operation: operation, agentID: agentID, role: nil, decision: .deny(.storageUnavailable))
        _ = try? await store.appendAuditEvent(denial)
        return AccessError(
            .unavailable, reason: .storageUnavailable, "storage failed during the permission check; denied", underlying: underlying)
    }

    private static func allowed(_ permission: Permission, _ result: Check) throws(AccessError) -> Agent {
        guard result.decision.isAllowed, let agent = result.agent else {
            throw AccessError(
                .permissionDenied, reason: result.decision.reason,
                "\(permission.rawValue) denied: \(result.decision.reason.rawValue)")
        }
        return agent
    }

    private func run(
        operation: String, principal: Principal, decide: @escaping @Sendable (Subject?, Agent?) -> AccessDecision
    ) async throws(AccessError) -> Check {
        let agentID = principal.agentID
        do {
            return try await store.checkAgent(id: agentID) { agent, _ in
                let subject = agent.map {
                    Subject(id: $0.id, role: $0.role, namespace: $0.namespace, status: $0.status.rawValue)
                }
                let decision = decide(subject, agent)
                let event = Self.auditEvent(operation: operation, agentID: agentID, role: agent?.role, decision: decision)
                return (Check(decision: decision, agent: agent), event)
            }
        } catch {
            // Fail secure: deny, try to leave the DENY row, and surface the failure.
            throw await failure(operation: operation, agentID: agentID, underlying: error)
        }
    }

    static func auditEvent(operation: String, agentID: UUID?, role: String?, decision: AccessDecision) -> NewAuditEvent {
        var event = PermissionCheckEvents.shared.event(operation: String(operation.prefix(128)), role: role ?? "", decision: decision)
        event.userID = agentID
        return event
    }
}

/// The `permission_check` events already built, by operation, role and decision, with their details
/// encoded: a check runs inside its storage step (on SQLite, on the single writer), and building
/// and encoding the same four details for every check was a few percent of a validation there.
/// Few combinations occur; the table is emptied when it reaches ``capacity`` (operations given
/// as text and roles read from the database are not bounded by the policy).
final class PermissionCheckEvents: Sendable {
    private struct Key: Hashable {
        let operation: String
        let role: String
        let decision: AccessDecision
    }

    static let shared = PermissionCheckEvents()
    static let capacity = 512
    private let events = Mutex<[Key: NewAuditEvent]>([:])

    /// The event for a check (without its user).
    func event(operation: String, role: String, decision: AccessDecision) -> NewAuditEvent {
        let key = Key(operation: operation, role: role, decision: decision)
        // Swift's == equates canonically equivalent text (composed and decomposed é): reuse an
        // event only when its details hold the very bytes given, so the row records what was asked.
        if let known = events.withLock({ $0[key] }), known.details["operation"]?.utf8.elementsEqual(operation.utf8) == true,
            known.details["role"]?.utf8.elementsEqual(role.utf8) == true
        {
            return known
        }
        let event = NewAuditEvent(
            eventType: .permissionCheck, severity: decision.isAllowed ? .info : .warning, userID: nil,
            details: ["operation": operation, "role": role, "result": decision.result, "reason": decision.reason.rawValue]
        ).encodingDetails()
        events.withLock { events in
            if events.count >= Self.capacity { events.removeAll(keepingCapacity: true) }
            events[key] = event
        }
        return event
    }
}
