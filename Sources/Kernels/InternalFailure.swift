// A failure inside the engine that nothing the user gave can be blamed for and that cannot be thrown (a product, an
// activation chunk): out of memory, say. One line and exit 70 (EX_SOFTWARE), like a missing OpenBLAS.
import Foundation

public enum InternalFailure {
    public static func exit(_ message: String) -> Never {
        FileHandle.standardError.write(Data("\(ProcessInfo.processInfo.processName): error: \(message)\n".utf8))
        Foundation.exit(70)
    }
}
