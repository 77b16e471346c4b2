import Foundation
import TMWSLicenseCore
import TMWSStorage
import TMWSTestSupport
import Testing

/// A seeded property test: 1,000,000 random mutations of valid keys — bit flips, truncations,
/// insertions, deletions, case changes, unicode — and not one of them validates against the
/// license it names. Deterministic (SplitMix64 with a fixed seed), so a failure reproduces.
@Suite struct KeyMutationPropertyTests {
    static let signer = LicenseSigner(secret: try! SigningSecret(Array("tmws-test-vector-secret-0123456789abcdef".utf8)))
    static let unicode: [Character] = ["é", "ß", "０", "９", "ａ", "Ｆ", "\u{0}", "\u{200B}", "🔑", "\u{301}", "ı", "İ"]

    static func mutate(_ key: String, using rng: inout SplitMix64) -> String {
        var chars = Array(key)
        let index = Int.random(in: 0..<chars.count, using: &rng)
        switch Int.random(in: 0..<7, using: &rng) {
        case 0:  // flip one bit of an ASCII byte
            let byte = chars[index].asciiValue ?? 0x41
            chars[index] = Character(Unicode.Scalar(byte ^ UInt8(1 << Int.random(in: 0..<7, using: &rng))))
        case 1:  // truncate
            chars = Array(chars.prefix(index))
        case 2:  // insert a printable ASCII character
            chars.insert(Character(Unicode.Scalar(UInt8.random(in: 0x20...0x7e, using: &rng))), at: index)
        case 3:  // delete
            chars.remove(at: index)
        case 4:  // change case of everything or of one character
            if Bool.random(using: &rng) {
                return Bool.random(using: &rng) ? key.uppercased() : key.lowercased()
            }
            chars[index] = Character(chars[index].isUppercase ? chars[index].lowercased() : chars[index].uppercased())
        case 5:  // replace with unicode
            chars[index] = unicode.randomElement(using: &rng)!
        default:  // replace with another hex digit (stays well-formed where the position is hex)
            chars[index] = "0123456789abcdef".randomElement(using: &rng)!
        }
        return String(chars)
    }

    @Test func aMillionMutationsOfValidKeysNeverValidate() {
        var rng = SplitMix64(state: 0x5eed_2026_1126)
        let now = Date(timeIntervalSince1970: 1_767_225_600)
        let issued: [(LicenseTier, Date?)] = [(.free, now + 86_400 * 30), (.pro, now + 86_400 * 365), (.enterprise, nil), (.pro, nil)]
        var parsedMutations = 0
        var validMutations = 0
        for round in 0..<1_000_000 {
            let (tier, expiry) = issued[round % issued.count]
            let id = UUID(uuid: (0x55, 0x0e, 0x84, 0x00, 0xe2, 0x9b, 0x41, 0xd4, 0xa7, 0x16, 0x44, 0x66, UInt8(round % 251), 0x44, 0, UInt8(round % 4)))
            let original = Self.signer.key(tier: tier, id: id, expiresAt: expiry).text
            let license = License(
                id: id, ownerID: id, namespace: "ns", tier: tier.rawValue, keyHash: LicenseSigner.hash(original),
                issuedAt: now, expiresAt: expiry, createdAt: now)
            let mutated = Self.mutate(original, using: &rng)
            guard mutated != original else { continue }
            guard let parsed = LicenseKey(parsing: mutated) else { continue }
            parsedMutations += 1
            // The license the mutated key names, if it still names this one; otherwise NOT_FOUND.
            let named = parsed.id == id ? license : nil
            if Verdict.decide(key: parsed, keyHash: LicenseSigner.hash(mutated), license: named, signer: Self.signer, now: now) == .valid {
                validMutations += 1
            }
        }
        #expect(validMutations == 0)
        #expect(parsedMutations > 10_000, "the mutations must exercise the verifier, not only the parser")
    }
}
