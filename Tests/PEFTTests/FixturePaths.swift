import Foundation

/// Tests/Fixtures/PEFT, found from this file's path (no SwiftPM resources).
let loraFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/PEFT")

func loadFixture(_ name: String) throws -> Data {
    try Data(contentsOf: loraFixtures.appendingPathComponent(name))
}

/// A fresh empty directory under the system temporary directory.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lora-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
