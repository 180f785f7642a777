import Foundation

/// A fresh directory under the system temp dir, removed by the test's teardown.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rouge-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file
    }

    /// JSONL rows from (id, text) pairs under the given text field.
    @discardableResult
    func writeRows(_ name: String, field: String, _ rows: [(String, String)]) throws -> URL {
        let lines = try rows.map { id, text -> String in
            String(decoding: try JSONSerialization.data(withJSONObject: ["id": id, field: text], options: [.sortedKeys]), as: UTF8.self)
        }
        return try write(name, lines.joined(separator: "\n") + "\n")
    }
}

/// Small dialogue-summary-like data for evaluation tests.
enum SampleData {
    static let references: [(String, String)] = [
        ("1", "Amanda baked cookies and will bring Jerry some tomorrow."),
        ("2", "Olivia and Olivier are voting for liberals in this election."),
        ("3", "Tim will call Kim back after his meeting.\nKim is worried."),
        ("4", "Edward thinks he is in love with Bella. Rachel wants Edward to open his door."),
        ("5", "Sam is confused, because he overheard Rick complaining about him."),
        ("6", "Neville will meet Don at 5 pm on Friday at the bus-stop."),
    ]
    static let base: [(String, String)] = [
        ("1", "Amanda will bring cookies."),
        ("2", "Olivia is voting."),
        ("3", "Tim will call Kim."),
        ("4", "Rachel wants Edward to open the door."),
        ("5", "Sam overheard Rick."),
        ("6", "Neville will meet Don."),
    ]
    static let lora: [(String, String)] = [
        ("1", "Amanda baked cookies and will bring Jerry some tomorrow."),
        ("2", "Olivia and Olivier are voting for liberals."),
        ("3", "Tim will call Kim back after the meeting."),
        ("4", "Edward is in love with Bella. Rachel wants Edward to open his door."),
        ("5", "Sam is confused because Rick complained about him."),
        ("6", "Neville will meet Don at 5 pm on Friday."),
    ]
}
