/// Runs `body` with a resource and then tears it down, whether `body` returns or throws — the
/// shape every in-process harness here needs.
func withTeardown<Resource, T>(
    _ resource: Resource, _ teardown: (Resource) async -> Void, _ body: (Resource) async throws -> T
) async throws -> T {
    do {
        let result = try await body(resource)
        await teardown(resource)
        return result
    } catch {
        await teardown(resource)
        throw error
    }
}
