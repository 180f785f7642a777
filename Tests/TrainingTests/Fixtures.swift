import Foundation

/// Tests/Fixtures/Training, found from this file's path (no SwiftPM resources).
let trainingFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/Training")

func loadFixture(_ name: String) throws -> Data {
    try Data(contentsOf: trainingFixtures.appendingPathComponent(name))
}
