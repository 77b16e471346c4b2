import TMWSStorage
import Testing

/// Enumerated words are read in any ASCII letter case, on both faces, and nothing else is folded.
@Suite struct InputNameTests {
    @Test(arguments: [("active", "active"), ("ACTIVE", "active"), ("Revoked", "revoked"), ("eXpIrEd", "expired")])
    func anyLetterCaseNamesTheCanonicalSpelling(_ text: String, _ expected: String) {
        #expect(LicenseStatus(inputName: text)?.rawValue == expected)
        #expect(InputName.match(text, among: LicenseStatus.allCases.map(\.rawValue)) == expected)
    }

    @Test(arguments: ["", "activ", "actives", " active", "active\n", "\u{FF41}ctive", "ACT\u{0130}VE", "act\u{0131}ve"])
    func lookAlikesAndNearMissesNameNothing(_ text: String) {
        #expect(LicenseStatus(inputName: text) == nil)
    }

    @Test func theKelvinSignIsNotTheLetterK() {
        #expect(InputName.match("\u{212A}", among: ["k", "K"]) == nil)
        #expect(InputName.match("K", among: ["k"]) == "k")
    }
}
