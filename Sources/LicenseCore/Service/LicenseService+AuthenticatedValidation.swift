import Foundation
import TMWSRBAC
import TMWSStorage

extension LicenseService {
    /// Authenticates an API key and validates a license key as its agent: what
    /// `authenticator.authenticate(apiKey)` followed by ``validateLicenseKey(as:key:featureAccessed:)``
    /// do — the same errors in the same order, the same audit and usage rows — in one storage step
    /// where the backend allows it (`Store.recordAuthenticatedValidation(apiKeyHash:licenseID:featureAccessed:authorize:decide:)`:
    /// on SQLite one write transaction instead of a read and a write). The MCP tool uses it.
    /// - Returns: the authenticated caller and the verdict.
    /// - Throws: `unauthenticated` before anything else; then what ``validateLicenseKey(as:key:featureAccessed:)`` throws.
    public func validateLicenseKey(
        apiKey: String, authenticator: APIKeyAuthenticator, key: String, featureAccessed: String? = nil
    ) async throws(LicenseError) -> (principal: Principal, result: ValidationResult) {
        try await run("validate") {
            let apiKeyHash = try APIKeyAuthenticator.storedHash(ofPresented: apiKey)
            if let problem = Self.featureProblem(featureAccessed) {
                // Authentication is reported first, as on the two-step path.
                _ = try await authenticator.authenticate(apiKey)
                throw problem
            }
            let key = LicenseKey.presented(key)
            let parsed = LicenseKey(parsing: key)
            let outcome: AuthenticatedValidation<Authorizer.Check>?
            do {
                outcome = try await store.recordAuthenticatedValidation(
                    apiKeyHash: apiKeyHash, licenseID: parsed?.id, featureAccessed: featureAccessed,
                    authorize: authorizer.step(.licenseValidate), decide: verdict(for: parsed, key: key))
            } catch {
                // As on the two-step path: when the key still resolves, a DENY row and UNAVAILABLE;
                // when resolving fails too, UNAVAILABLE alone.
                let principal = try await authenticator.authenticate(apiKey)
                throw await authorizer.failure(.licenseValidate, for: principal, underlying: error)
            }
            guard let outcome else { throw AccessError.unauthenticated }
            await authenticator.noteUse(of: outcome.key.key)
            let principal = Principal(agentID: outcome.key.agent.id, keyID: outcome.key.key.id)
            return (principal, try validationResult(outcome.check, outcome.recorded))
        }
    }
}
