import Failures
import Foundation

/// One line of `rouge-per-example.jsonl`.
public struct PerExampleRecord: Codable, Equatable, Sendable {
    public var system: String
    public var id: String
    public var rouge1: Score
    public var rouge2: Score
    public var rougeL: Score
    public var rougeLsum: Score

    public init(system: String, example: ScoredExample) {
        self.system = system
        id = example.id
        rouge1 = example.scores.rouge1
        rouge2 = example.scores.rouge2
        rougeL = example.scores.rougeL
        rougeLsum = example.scores.rougeLsum
    }

    public var scores: ExampleScores {
        ExampleScores(rouge1: rouge1, rouge2: rouge2, rougeL: rougeL, rougeLsum: rougeLsum)
    }
}

/// The result of an evaluation: the metrics and every example's scores, and their files.
public struct RougeReport: Sendable {
    public static let metricsFileName = "rouge.json"
    public static let perExampleFileName = "rouge-per-example.jsonl"

    public var metrics: RougeMetrics
    /// System name -> scores in the baseline's example order.
    public var examples: [String: [ScoredExample]]

    public init(metrics: RougeMetrics, examples: [String: [ScoredExample]]) {
        self.metrics = metrics
        self.examples = examples
    }

    /// `rouge.json`: pretty-printed with sorted keys, so commits diff line by line.
    public func metricsJSON() -> Data {
        Self.encodeMetrics(metrics)
    }

    static func encodeMetrics(_ metrics: RougeMetrics) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain value types cannot fail.
        var data = try! encoder.encode(metrics)
        data.append(0x0A)
        return data
    }

    /// `rouge-per-example.jsonl`: one line per system and example, systems in order.
    public func perExampleJSONL() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for name in metrics.systemOrder {
            for example in examples[name] ?? [] {
                data.append(try! encoder.encode(PerExampleRecord(system: name, example: example)))
                data.append(0x0A)
            }
        }
        return data
    }

    /// Writes both files into `directory` (created if needed), each atomically.
    @discardableResult
    public func write(to directory: URL) throws(PipelineError) -> (metrics: URL, perExample: URL) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw PipelineError(.io, "cannot create directory: \(error.localizedDescription)", path: directory.path)
        }
        let metricsURL = directory.appendingPathComponent(Self.metricsFileName)
        let perExampleURL = directory.appendingPathComponent(Self.perExampleFileName)
        for (url, data) in [(metricsURL, metricsJSON()), (perExampleURL, perExampleJSONL())] {
            do { try data.write(to: url, options: .atomic) } catch {
                throw PipelineError(.io, "cannot write: \(error.localizedDescription)", path: url.path)
            }
        }
        return (metricsURL, perExampleURL)
    }

    /// Reads `rouge.json` content.
    public static func decodeMetrics(_ data: Data, path: String) throws(PipelineError) -> RougeMetrics {
        let metrics: RougeMetrics
        do { metrics = try JSONDecoder().decode(RougeMetrics.self, from: data) } catch {
            throw PipelineError(.badInput, "not a ROUGE metrics file (\(Self.describe(error)))", path: path)
        }
        guard metrics.format == RougeMetrics.currentFormat else {
            throw PipelineError(.badInput, "unsupported metrics format \"\(metrics.format)\"", path: path)
        }
        return metrics
    }

    /// Reads `rouge-per-example.jsonl` content: system -> examples in file order.
    public static func decodePerExample(_ data: Data, path: String) throws(PipelineError) -> [String: [ScoredExample]] {
        let decoder = JSONDecoder()
        var out: [String: [ScoredExample]] = [:]
        var seen: Set<[String]> = []
        var lineNumber = 0
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            let record: PerExampleRecord
            do { record = try decoder.decode(PerExampleRecord.self, from: Data(line)) } catch {
                throw PipelineError(.badInput, "line \(lineNumber): not a per-example record (\(describe(error)))", path: path)
            }
            guard seen.insert([record.system, record.id]).inserted else {
                throw PipelineError(.badInput, "line \(lineNumber): duplicate id \"\(record.id)\" for system \"\(record.system)\"", path: path)
            }
            out[record.system, default: []].append(ScoredExample(id: record.id, scores: record.scores))
        }
        return out
    }

    /// A one-line reason from a decoding error.
    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \"\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\""
        case DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty:
            return "bad value at \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\""
        default:
            return "invalid JSON"
        }
    }
}
