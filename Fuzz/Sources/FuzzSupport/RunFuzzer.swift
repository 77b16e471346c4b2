import CLibFuzzer

/// Hands the process to libFuzzer's driver, which parses its flags from the command line and
/// calls `testOneInput` on every input; returns its exit status.
///
/// Each fuzz target's `@main` calls this. SwiftPM links executables with their own entry point
/// (`<Module>_main`, aliased to `main`), so libFuzzer's `main` cannot be used as is; its driver can.
public func runLibFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}
