import JSON

extension DialogueRecord {
    /// Why one corpus element is not a record (the rest of the file may still be fine).
    public struct Problem: Error, Equatable {
        public var reason: String
    }

    /// `value` as a record: an object whose `id`, `dialogue` and `summary` are strings, each given once
    /// and free of lone surrogate escapes (`irregularities`, from a lenient parse). Other fields are
    /// allowed and ignored. Every problem is named, in a fixed order, so a report is the same each run.
    public static func validated(_ value: JSONValue, irregularities: [JSONIrregularity] = []) -> Result<DialogueRecord, Problem> {
        guard case .object(let fields) = value else {
            return .failure(Problem(reason: "record is \(value.kindDescription), not an object"))
        }
        let names = ["id", "dialogue", "summary"]
        var problems = irregularities.compactMap { irregularity -> String? in
            guard irregularity.kind == .duplicateKey, irregularity.keyPath.count == 1,
                  let key = irregularity.keyPath.first, names.contains(key) else { return nil }
            return "duplicate field '\(key)'"
        }
        var values: [String] = []
        for name in names {
            switch fields[name] {
            case nil:
                problems.append("missing field '\(name)'")
            case .string(let text)?:
                if irregularities.contains(JSONIrregularity(kind: .loneSurrogate, keyPath: [name])) {
                    problems.append("field '\(name)' contains a lone UTF-16 surrogate escape, not representable in UTF-8")
                } else {
                    values.append(text)
                }
            case let other?:
                problems.append("field '\(name)' is \(other.kindDescription), not a string")
            }
        }
        guard problems.isEmpty else { return .failure(Problem(reason: problems.joined(separator: ", "))) }
        return .success(DialogueRecord(id: values[0], dialogue: values[1], summary: values[2]))
    }
}
