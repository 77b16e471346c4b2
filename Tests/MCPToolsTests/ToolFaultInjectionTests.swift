import Foundation
import MCP
import TMWSLicenseCore
import TMWSMCPServing
import TMWSMCPTools
import TMWSRBAC
import TMWSStorage
import TMWSStorageConformance
import TMWSTestSupport
import Testing

/// Every tool fails closed when storage fails: with each storage operation the call needs failing
/// (and with all of them failing), under every fault kind, the tool answers an `isError` result
/// with code `UNAVAILABLE` — never a success, never a VALID verdict — and writes nothing it was
/// asked for; once storage heals, the same server instance serves the same call successfully.
@Suite struct ToolFaultInjectionTests {
    typealias Operation = InterceptingStore.Operation

    static let faults: [InterceptingStore.Fault] = [.unavailable, .diskFull, .busy, .corrupt]
    static let backends: [StoreBackend] = [.memory, .sqliteFile]

    /// Operations whose failure must not fail a call: bookkeeping (the API key's last use) and the
    /// best-effort DENY row written after a failed permission check.
    static let bestEffort: Set<Operation> = [.recordAPIKeyUse, .appendAuditEvent]

    /// A tool, the agent that calls it, and the storage operations its call needs.
    enum ToolCall: String, CaseIterable, Sendable {
        case generate = "generate_license_key"
        case validate = "validate_license_key"
        case revoke = "revoke_license_key"
        case usage = "get_usage_history"
        case info = "get_license_info"
        case list = "list_licenses"
        case whoami
        case audit = "query_audit_log"

        var caller: Caller {
            switch self {
            case .generate, .usage, .info, .list: .editor
            case .validate, .whoami: .viewer
            case .revoke, .audit: .admin
            }
        }

        /// Every operation the call needs; ``ToolFaultInjectionTests/theOperationListsAreComplete(_:_:)``
        /// checks that nothing else is needed.
        var operations: [Operation] {
            switch self {
            case .generate: [.resolveAPIKey, .checkAgent, .insertLicense]
            // One step in production (key, permission check and usage row in one transaction on
            // SQLite), which performs the other three: a fault on any of them fails it.
            case .validate: [.recordAuthenticatedValidation, .resolveAPIKey, .checkAgent, .recordValidation]
            case .revoke: [.resolveAPIKey, .checkAgent, .revokeLicense]
            case .usage: [.resolveAPIKey, .license, .checkAgent, .usageHistory]
            case .info: [.resolveAPIKey, .license, .checkAgent]
            case .list: [.resolveAPIKey, .checkAgent, .licenses]
            case .whoami: [.resolveAPIKey, .agentByID]
            case .audit: [.resolveAPIKey, .checkAgent, .auditEvents]
            }
        }

        func arguments(_ license: FaultHarness.License) -> [String: Value] {
            let id = Value.string(license.id)
            switch self {
            case .generate: return ["tier": "PRO", "expires_days": 365]
            case .validate: return ["key": .string(license.key), "feature_accessed": "export"]
            case .revoke: return ["license_id": id, "reason": "fault injection"]
            case .usage, .info: return ["license_id": id]
            case .list, .whoami, .audit: return [:]
            }
        }

        /// Checks the content of a successful call.
        func expectGood(_ content: [String: Value], _ license: FaultHarness.License) {
            switch self {
            case .generate: #expect(content["license_key"]?.stringValue?.hasPrefix("TMWS-PRO-") == true)
            case .validate: #expect(content["valid"] == true && content["code"] == "VALID")
            case .revoke: #expect(content["already_revoked"] == false && content["license_id"] == .string(license.id))
            case .usage: #expect(content["items"]?.arrayValue?.isEmpty == true)
            case .info: #expect(content["status"] == "active" && content["validation_count"] == 0)
            case .list: #expect(content["items"]?.arrayValue?.count == 1)
            case .whoami: #expect(content["name"] == "agent-viewer")
            case .audit: #expect(content["items"]?.arrayValue?.isEmpty == false)
            }
        }
    }

    /// One case of the matrix: a backend, a tool, and the operation made to fail (`nil`: all of them).
    struct Case: Sendable, CustomTestStringConvertible {
        let backend: StoreBackend
        let tool: ToolCall
        let failing: Operation?

        var testDescription: String { "\(tool.rawValue), \(failing.map { "\($0) fails" } ?? "all storage fails"), \(backend)" }
    }

    static let cases: [Case] = backends.flatMap { backend in
        ToolCall.allCases.flatMap { tool in
            ([nil] + tool.operations.map(Optional.some)).map { Case(backend: backend, tool: tool, failing: $0) }
        }
    }

    /// 2 backends × (32 tool–operation pairs) × 4 faults = 256 cases.
    @Test(arguments: ToolFaultInjectionTests.cases, ToolFaultInjectionTests.faults)
    func failsClosedAndRecovers(_ c: Case, _ fault: InterceptingStore.Fault) async throws {
        try await FaultHarness.with(c.backend) { h in
            let arguments = c.tool.arguments(h.license)
            let before = try await h.domainState()
            if let operation = c.failing {
                h.faults.fail([operation], with: fault)
            } else {
                h.faults.failAll(with: fault)
            }
            let failed = try await h.call(c.tool.rawValue, arguments, as: c.tool.caller)
            h.faults.heal()
            try expectFailure(failed, "UNAVAILABLE", tool: c.tool.rawValue)
            #expect(failed.structuredContent?.objectValue?["valid"] == nil)
            #expect(try await h.domainState() == before, "the failed call wrote what it was asked for")

            let served = try await h.call(c.tool.rawValue, arguments, as: c.tool.caller)
            c.tool.expectGood(try expectSuccess(served, tool: c.tool.rawValue), h.license)
        }
    }

    /// With every operation failing except those a tool's list names (and the best-effort ones), the
    /// call still succeeds: the lists above name every operation a call needs.
    @Test(arguments: ToolFaultInjectionTests.backends, ToolFaultInjectionTests.ToolCall.allCases)
    func theOperationListsAreComplete(_ backend: StoreBackend, _ tool: ToolCall) async throws {
        try await FaultHarness.with(backend) { h in
            h.faults.fail(Operation.allCases.filter { !tool.operations.contains($0) && !Self.bestEffort.contains($0) }, with: .unavailable)
            let served = try await h.call(tool.rawValue, tool.arguments(h.license), as: tool.caller)
            tool.expectGood(try expectSuccess(served, tool: tool.rawValue), h.license)
        }
    }
}

/// A server whose service and authenticator reach storage through a ``InterceptingStore``,
/// driven by an SDK client over the in-memory transport. Agents, keys and one license (owned by
/// the editor) are set up while storage is healthy.
struct FaultHarness {
    struct License: Sendable {
        let id: String
        let key: String
    }

    /// What a failed call must not have changed: the licenses, their usage, and the audit events
    /// other than permission checks (a check may be recorded, or its DENY after a storage failure).
    struct DomainState: Equatable {
        let licenses: [TMWSStorage.License]
        let usage: [UsageRecord]
        let events: [AuditEventType]
    }

    let handle: TemporaryStore
    let faults: InterceptingStore
    let keys: [Caller: String]
    let client: ToolClient
    let license: License

    static func with<T>(_ backend: StoreBackend, _ body: (FaultHarness) async throws -> T) async throws -> T {
        let harness = try await FaultHarness(backend)
        return try await withTeardown(harness, { await $0.close() }, body)
    }

    private init(_ backend: StoreBackend) async throws {
        let clock = TestClock()
        handle = try await backend.makeStore(clock: clock.now)
        let base = handle.store
        faults = InterceptingStore(base)
        let context = ServiceContext(store: faults, clock: clock.now)
        let authenticator = APIKeyAuthenticator(store: faults, clock: clock.now)
        var keys: [Caller: String] = [:]
        for caller in Caller.allCases {
            let agent = try await base.createAgent(
                NewAgent(name: "agent-\(caller.rawValue)", namespace: caller.namespace, role: caller.role.rawValue))
            keys[caller] = try await APIKeyAuthenticator(store: base, clock: clock.now).issueKey(for: agent.id).key
        }
        self.keys = keys
        client = ToolClient(
            LicenseToolHandler(
                licenses: LicenseService(context: context, signer: MCPHarness.signer), agents: AgentAdministration(context: context),
                audit: AuditService(context: context), authenticator: authenticator, clock: clock.now))
        let generated = try expectSuccess(
            try await client.callTool("generate_license_key", ["tier": "PRO"], key: keys[.editor]), tool: "generate_license_key")
        license = License(
            id: try #require(generated["license_id"]?.stringValue), key: try #require(generated["license_key"]?.stringValue))
    }

    func close() async {}

    func call(_ tool: String, _ arguments: [String: Value], as caller: Caller) async throws -> CallTool.Result {
        try await client.callTool(tool, arguments, key: keys[caller])
    }

    /// Read from the wrapped store, past the faults.
    func domainState() async throws -> DomainState {
        let base = faults.base
        let licenses = try await base.licenses(matching: LicenseFilter(), page: PageRequest(limit: 100)).items
        let id = try #require(UUID(uuidString: license.id))
        let events = try await base.auditEvents(matching: AuditFilter(), page: PageRequest(limit: 1000)).items
        return DomainState(
            licenses: licenses, usage: try await base.allUsageHistory(licenseID: id),
            events: events.map(\.eventType).filter { $0 != .permissionCheck })
    }
}
