// Parses and validates the JSON header of a safetensors file before any tensor byte is trusted.
import Failures
import Foundation
import JSON

struct SafeTensorsHeader {
    var tensors: [String: TensorInfo]
    var metadata: [String: String]

    /// Same cap as the reference Rust implementation: a larger header is refused unread.
    static let maxHeaderBytes = 100 * 1024 * 1024

    /// `header` is the JSON text; `dataSize` the number of bytes after it.
    static func parse(_ header: UnsafeRawBufferPointer, dataSize: Int, file: String) throws -> SafeTensorsHeader {
        func fail(_ problem: String) -> PipelineError { PipelineError.badInput(problem, path: file) }
        let json: JSONValue
        do { json = try JSONValue.parse(Data(header)) } catch let error as PipelineError {
            throw fail("header is not well-formed JSON (\(error.message))")
        }
        guard case .object(let root) = json else { throw fail("header is not a JSON object") }

        var metadata: [String: String] = [:]
        var tensors: [String: TensorInfo] = [:]
        for (name, value) in root {
            if name == "__metadata__" {
                guard case .object(let map) = value else { throw fail("__metadata__ is not an object") }
                for (key, item) in map {
                    guard case .string(let text) = item else { throw fail("__metadata__[\(key)] is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard case .object(let entry) = value else { throw fail("tensor '\(name)' entry is not an object") }
            guard case .string(let dtypeName)? = entry["dtype"] else { throw fail("tensor '\(name)' has no dtype") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw fail("tensor '\(name)' has unsupported dtype \(dtypeName)")
            }
            guard case .array(let shapeValues)? = entry["shape"] else { throw fail("tensor '\(name)' has no shape") }
            var shape: [Int] = []
            var count = 1
            for item in shapeValues {
                guard let dim = exactInt(item), dim >= 0 else { throw fail("tensor '\(name)' has a bad shape") }
                let (product, overflow) = count.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw fail("tensor '\(name)' shape overflows") }
                shape.append(dim)
                count = product
            }
            guard case .array(let offsets)? = entry["data_offsets"], offsets.count == 2,
                  let begin = exactInt(offsets[0]), let end = exactInt(offsets[1]) else {
                throw fail("tensor '\(name)' has no valid data_offsets")
            }
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail("tensor '\(name)' offsets [\(begin), \(end)] fall outside the \(dataSize)-byte data section")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
            guard !overflow, bytes == end - begin else {
                throw fail("tensor '\(name)' \(dtypeName)\(shape) needs \(overflow ? "too many" : String(bytes)) bytes but offsets span \(end - begin)")
            }
            tensors[name] = TensorInfo(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
        }

        let ordered = tensors.values.filter { !$0.byteRange.isEmpty }.sorted { $0.byteRange.lowerBound < $1.byteRange.lowerBound }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.byteRange.lowerBound < previous.byteRange.upperBound {
            throw fail("tensors '\(previous.name)' and '\(next.name)' overlap")
        }
        return SafeTensorsHeader(tensors: tensors, metadata: metadata)
    }

    /// An exact integer: an int, or a float with an integral value (as Python may write `2.0`), never a boolean.
    private static func exactInt(_ value: JSONValue) -> Int? {
        switch value {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int(d)
        default: return nil
        }
    }
}
