import Foundation
import TMWSStorage
import Testing

/// The signing-key rules every backend applies, without storage: one active key, rotation retires
/// it, a retired key retires again as a no-op, and only retired keys can be removed.
@Suite struct SigningKeyStepsTests {
    let now = Date(timeIntervalSince1970: 1_796_652_000)
    let new = NewSigningKey(kid: "k2", publicKey: "pk2", sealedPrivateKey: "v1.sealed2")
    var active: SigningKey { SigningKey(kid: "k1", publicKey: "pk1", sealedPrivateKey: "v1.sealed1", status: .active, createdAt: now - 60) }

    @Test func addingWithoutAnActiveKeyMakesItActive() throws {
        let step = try SigningKeySteps.add(new, active: nil, kidTaken: false, retiringActive: false, at: now)
        #expect(step.retired == nil)
        #expect(step.added == SigningKey(kid: "k2", publicKey: "pk2", sealedPrivateKey: "v1.sealed2", status: .active, createdAt: now))
    }

    @Test func rotatingRetiresTheActiveKeyAndCreatingRefuses() throws {
        let step = try SigningKeySteps.add(new, active: active, kidTaken: false, retiringActive: true, at: now)
        #expect(step.retired?.kid == "k1" && step.retired?.status == .retired && step.retired?.retiredAt == now)
        #expect(step.added.status == .active)
        let refused = #expect(throws: StorageError.self) {
            _ = try SigningKeySteps.add(new, active: active, kidTaken: false, retiringActive: false, at: now)
        }
        #expect(refused?.code == .conflict)
        let taken = #expect(throws: StorageError.self) {
            _ = try SigningKeySteps.add(new, active: nil, kidTaken: true, retiringActive: true, at: now)
        }
        #expect(taken?.code == .conflict)
    }

    @Test func retiringAndRemoving() throws {
        let retired = try SigningKeySteps.retire(active, kid: "k1", at: now)
        #expect(retired.changed && retired.key.status == .retired && retired.key.retiredAt == now)
        let again = try SigningKeySteps.retire(retired.key, kid: "k1", at: now + 60)
        #expect(!again.changed && again.key.retiredAt == now, "retiring a retired key changes nothing")
        #expect(try SigningKeySteps.remove(retired.key, kid: "k1") == retired.key)
        let activeRemoval = #expect(throws: StorageError.self) { _ = try SigningKeySteps.remove(active, kid: "k1") }
        #expect(activeRemoval?.code == .conflict)
        for error in [
            #expect(throws: StorageError.self) { _ = try SigningKeySteps.retire(nil, kid: "nope", at: now) },
            #expect(throws: StorageError.self) { _ = try SigningKeySteps.remove(nil, kid: "nope") },
        ] {
            #expect(error?.code == .notFound)
        }
    }
}
