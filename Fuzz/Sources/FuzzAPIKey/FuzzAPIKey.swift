import Crypto
import Foundation
import FuzzSupport
import TMWSRBAC
import TMWSStorage

// Feeds arbitrary bytes to the API-key shape check, the hashing path and `authenticate` against
// an in-memory store holding one agent with one key.
//
// Invariants:
// - nothing crashes, whatever the bytes;
// - `isWellFormed` accepts exactly `tmws_ak_` + 43 base64url characters (checked against a naive
//   reference), the same for a `String` and a `Substring`;
// - `Digest.sha256Hex` is 64 lowercase hex digits and equals SHA-256 of the UTF-8 bytes;
// - `authenticate` succeeds exactly for the issued key, for its agent and key id, and every other
//   input fails with `unauthenticated` (never `unavailable`, never another code).

/// Deterministic bytes 0, 1, 2, … so that the issued key is known and can seed the corpus:
/// `tmws_ak_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8`.
private struct CountingRandom: SecureRandom {
    func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0) } }
}

private struct Fixture: Sendable {
    let authenticator: APIKeyAuthenticator
    let key: String
    let agentID: UUID
    let keyID: UUID
}

private let fixture: Fixture = {
    let now = Date(timeIntervalSince1970: 1_767_225_600)
    let setUp = blocking { () async throws -> Fixture in
        let store = MemoryStore(clock: { now })
        let agent = try await store.createAgent(NewAgent(name: "fuzz-agent", namespace: "fuzz"))
        // The clock never moves, so after the first use `authenticate` never writes again.
        let authenticator = APIKeyAuthenticator(store: store, random: CountingRandom(), clock: { now })
        let issued = try await authenticator.issueKey(for: agent.id)
        return Fixture(authenticator: authenticator, key: issued.key, agentID: agent.id, keyID: issued.record.id)
    }
    return try! setUp.get()
}()

private let prefix = Array("tmws_ak_".utf8)

private func referenceWellFormed(_ bytes: some Collection<UInt8>) -> Bool {
    guard bytes.count == prefix.count + 43, Array(bytes.prefix(prefix.count)) == prefix else { return false }
    let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    return bytes.dropFirst(prefix.count).allSatisfy { alphabet.contains($0) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAPIKey(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let text = String(decoding: bytes, as: UTF8.self)

    let wellFormed = APIKeyAuthenticator.isWellFormed(text)
    fuzzCheck(wellFormed == referenceWellFormed(text.utf8), "isWellFormed disagrees with the reference (\(wellFormed))")
    fuzzCheck(APIKeyAuthenticator.isWellFormed(text[...]) == wellFormed, "isWellFormed differs for a Substring")
    if wellFormed {
        fuzzCheck(text.utf8.elementsEqual(bytes), "a well-formed key is not the input bytes")
    }

    let hash = Digest.sha256Hex(text)
    fuzzCheck(
        hash.utf8.count == 64 && hash.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) },
        "the hash is not 64 lowercase hex digits")
    fuzzCheck(hash == Digest.hex(SHA256.hash(data: Array(text.utf8))), "the hash is not SHA-256 of the UTF-8 bytes")

    let authenticator = fixture.authenticator
    let outcome = blocking { try await authenticator.authenticate(text) }
    switch outcome {
    case .success(let principal):
        fuzzCheck(text == fixture.key, "a key other than the issued one authenticated")
        fuzzCheck(principal.agentID == fixture.agentID && principal.keyID == fixture.keyID, "the wrong principal")
    case .failure(let error):
        fuzzCheck(text != fixture.key, "the issued key failed to authenticate: \((error as? AccessError)?.code.description ?? "?")")
        fuzzCheck((error as? AccessError)?.code == .unauthenticated, "a bad key failed with another error than unauthenticated")
    }
    return 0
}

@main
enum FuzzAPIKeyMain {
    static func main() {
        exit(runLibFuzzer(fuzzAPIKey))
    }
}
