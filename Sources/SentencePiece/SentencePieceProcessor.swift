import Failures
import Foundation

/// One piece of an encoding with where it came from in the input.
public struct EncodedPiece: Sendable, Equatable {
    /// The piece as the reference library reports it: the normalised surface,
    /// `<0xNN>` for byte-fallback pieces, runs of unknown characters merged.
    public var piece: String
    public var id: Int32
    /// Byte offsets into the original UTF-8 input.
    public var originalRange: Range<Int>
}

/// A SentencePiece unigram model: encodes text to ids or pieces and decodes ids,
/// with results identical to the `sentencepiece` library's `Encode`/`Decode`.
/// Immutable after loading, so one instance can serve many threads.
public final class SentencePieceProcessor: Sendable {
    public let model: ModelProto
    private let normalizer: Normalizer
    private let denormalizer: Normalizer?
    private let unigram: UnigramModel
    private let types: [ModelProto.PieceType]
    /// Control, unknown and byte pieces, looked up before the trie (reserved_id_map_).
    private let reserved: [String: Int32]
    /// The id of `<0xNN>` for each byte, when the model has byte fallback.
    private let byteIds: [Int32]
    private let byteValues: [Int32: UInt8]

    /// The largest model file accepted; T5's is 0.8 MB.
    public static let maxModelBytes = 256 << 20

    public convenience init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw Self.unreadable(error, path: path)
        }
        if let size = attributes[.size] as? Int, size > Self.maxModelBytes {
            throw PipelineError(.badInput, "model file is \(size) bytes, more than the \(Self.maxModelBytes) accepted", path: path)
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw Self.unreadable(error, path: path)
        }
        try self.init(serialized: [UInt8](data), path: path)
    }

    /// A model file that cannot be read: missing (66) or refused by the disk (74).
    private static func unreadable(_ error: Error, path: String) -> PipelineError {
        // Foundation calls a folder read as a file "NSCocoaErrorDomain error 256": say what it is
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            return PipelineError(.missingInput, "is a folder, not a file", path: path)
        }
        let missing = PipelineError(classifying: error).status == .missingInput
        return PipelineError(missing ? .missingInput : .io, "cannot read the model file (\(reason(error)))", path: path)
    }

    private static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        if ns.domain == NSCocoaErrorDomain && ns.code == NSFileReadNoSuchFileError { return "no such file" }
        return ns.localizedDescription
    }

    /// Loads a serialized ModelProto; `path` only labels errors.
    public convenience init(serialized bytes: [UInt8], path: String? = nil) throws {
        do {
            let model = try ModelProto(serialized: bytes)
            try self.init(model: model)
        } catch let error as PipelineError {
            throw path.map { error.at(path: $0) } ?? error
        }
    }

    /// Validates the model as `ModelInterface::InitializePieces` does and builds the tries.
    public init(model: ModelProto) throws {
        func invalid(_ message: String) -> PipelineError { PipelineError(.badInput, message) }
        guard model.trainerSpec.modelType == .unigram else {
            throw invalid("model type \(model.trainerSpec.modelType) is not supported, only unigram")
        }
        guard !model.pieces.isEmpty else { throw invalid("the model has no pieces") }
        guard model.pieces.count <= Int(Int32.max) else { throw invalid("too many pieces") }

        var reserved: [String: Int32] = [:]
        var normal = Set<[UInt8]>()
        var userDefined: [[UInt8]] = []
        var unkId: Int32 = -1
        var byteIds = [Int32](repeating: -1, count: 256)
        var byteValues: [Int32: UInt8] = [:]
        let bytePieceNames = Dictionary(uniqueKeysWithValues: (0..<256).map { (Self.bytePiece(UInt8($0)), UInt8($0)) })
        for (index, piece) in model.pieces.enumerated() {
            let id = Int32(index)
            guard !piece.bytes.isEmpty else { throw invalid("piece \(id) is empty") }
            switch piece.type {
            case .normal, .userDefined, .unused:
                guard normal.insert(piece.bytes).inserted else { throw invalid("piece \(piece.text) is defined twice") }
                if piece.type == .userDefined { userDefined.append(piece.bytes) }
            case .unknown, .control, .byte:
                guard reserved.updateValue(id, forKey: piece.text) == nil else {
                    throw invalid("piece \(piece.text) is defined twice")
                }
            }
            if piece.type == .unknown {
                guard unkId < 0 else { throw invalid("more than one unknown piece") }
                unkId = id
            }
            if piece.type == .byte {
                guard model.trainerSpec.byteFallback else {
                    throw invalid("byte piece \(piece.text) found although byte_fallback is false")
                }
                guard let value = bytePieceNames[piece.text] else { throw invalid("byte piece \(piece.text) is invalid") }
                byteIds[Int(value)] = id
                byteValues[id] = value
            }
        }
        guard unkId >= 0 else { throw invalid("the model defines no unknown piece") }
        if model.trainerSpec.byteFallback && byteIds.contains(-1) {
            throw invalid("byte_fallback is set but the model lacks some of the 256 byte pieces")
        }
        guard !normal.isEmpty else { throw invalid("the model has no normal pieces") }

        self.model = model
        self.reserved = reserved
        self.byteIds = byteIds
        self.byteValues = byteValues
        self.types = model.pieces.map(\.type)
        self.normalizer = try Normalizer(spec: model.normalizerSpec,
                                         treatWhitespaceAsSuffix: model.trainerSpec.treatWhitespaceAsSuffix,
                                         userDefinedSymbols: userDefined)
        self.unigram = try UnigramModel(pieces: model.pieces, unkId: unkId)
        if let spec = model.denormalizerSpec, !spec.precompiledCharsmap.isEmpty {
            self.denormalizer = try Normalizer(spec: spec)
        } else {
            self.denormalizer = nil
        }
    }

    static func bytePiece(_ byte: UInt8) -> String {
        let hex = Array("0123456789ABCDEF")
        return "<0x\(hex[Int(byte >> 4)])\(hex[Int(byte & 15)])>"
    }

    // MARK: Vocabulary

    public var vocabularySize: Int { types.count }
    public var unkId: Int32 { unigram.unkId }
    /// The id of the model's `</s>` when it is a control piece, else -1 (as `eos_id()`).
    public var eosId: Int32 { specialId(model.trainerSpec.eosPiece) }
    public var bosId: Int32 { specialId(model.trainerSpec.bosPiece) }
    public var padId: Int32 { specialId(model.trainerSpec.padPiece) }
    public var byteFallback: Bool { model.trainerSpec.byteFallback }

    private func specialId(_ piece: String) -> Int32 {
        let id = pieceToId(piece)
        return types[Int(id)] == .control ? id : -1
    }

    /// The id of `piece`, or the unknown id (as `PieceToId`).
    public func pieceToId(_ piece: String) -> Int32 {
        if let id = reserved[piece] { return id }
        return unigram.trie.exactMatch(piece.utf8) ?? unigram.unkId
    }

    public func idToPiece(_ id: Int32) -> String? {
        guard id >= 0 && Int(id) < types.count else { return nil }
        return model.pieces[Int(id)].text
    }

    public func type(of id: Int32) -> ModelProto.PieceType? {
        guard id >= 0 && Int(id) < types.count else { return nil }
        return types[Int(id)]
    }

    // MARK: Encoding

    /// Buffers one thread reuses from call to call.
    public final class Workspace {
        var normalized: [UInt8] = []
        var offsets: [Int] = []
        var lattice = UnigramModel.Lattice()
        var segments: [UnigramModel.Segment] = []
        public init() {}
    }

    /// The normalised text as the model sees it (U+2581 for spaces).
    public func normalize(_ text: String) -> String {
        String(decoding: normalizer.normalize(text).normalized, as: UTF8.self)
    }

    /// Ids of `text`, as `SentencePieceProcessor::EncodeAsIds` (no BOS/EOS).
    public func encode(_ text: String, workspace: Workspace = Workspace()) -> [Int32] {
        var text = text
        return text.withUTF8 { encode(utf8: $0, workspace: workspace) }
    }

    /// Ids of raw UTF-8 bytes; malformed sequences are handled as the reference does.
    public func encode(utf8 input: UnsafeBufferPointer<UInt8>, workspace: Workspace = Workspace()) -> [Int32] {
        var ids: [Int32] = []
        encode(utf8: input, appendingTo: &ids, workspace: workspace)
        return ids
    }

    /// Appends the ids of `input` to `ids` (lets callers build ragged arrays without copies).
    public func encode(utf8 input: UnsafeBufferPointer<UInt8>, appendingTo ids: inout [Int32], workspace: Workspace) {
        normalizer.normalize(input, into: &workspace.normalized, offsets: &workspace.offsets, trackOffsets: false)
        workspace.normalized.withUnsafeBufferPointer { normalized in
            unigram.segment(normalized, lattice: &workspace.lattice, into: &workspace.segments)
            let unk = unigram.unkId
            let fallback = model.trainerSpec.byteFallback
            var previousWasUnknown = false
            for segment in workspace.segments {
                let isUnknown = segment.id == unk
                if isUnknown && fallback {
                    for i in Int(segment.start)..<Int(segment.end) { ids.append(byteIds[Int(normalized[i])]) }
                } else if !(isUnknown && previousWasUnknown) {
                    // A run of unknown characters is one <unk> (PopulateSentencePieceText merges them).
                    ids.append(segment.id)
                }
                previousWasUnknown = isUnknown
            }
        }
    }

    /// Pieces with ids and original byte ranges, as `Encode` into a SentencePieceText.
    public func encodeWithOffsets(_ text: String, workspace: Workspace = Workspace()) -> [EncodedPiece] {
        var text = text
        return text.withUTF8 { encodeWithOffsets(utf8: $0, workspace: workspace) }
    }

    public func encodeWithOffsets(utf8 input: UnsafeBufferPointer<UInt8>, workspace: Workspace = Workspace()) -> [EncodedPiece] {
        normalizer.normalize(input, into: &workspace.normalized, offsets: &workspace.offsets, trackOffsets: true)
        var result: [EncodedPiece] = []
        let offsets = workspace.offsets
        workspace.normalized.withUnsafeBufferPointer { normalized in
            unigram.segment(normalized, lattice: &workspace.lattice, into: &workspace.segments)
            let unk = unigram.unkId
            var previousWasUnknown = false
            for segment in workspace.segments {
                let start = Int(segment.start), end = Int(segment.end)
                let surface = String(decoding: normalized[start..<end], as: UTF8.self)
                let range = offsets[start]..<max(offsets[start], offsets[end])
                let isUnknown = segment.id == unk
                if isUnknown && model.trainerSpec.byteFallback {
                    for i in start..<end {
                        let isLast = i == end - 1
                        result.append(EncodedPiece(piece: Self.bytePiece(normalized[i]), id: byteIds[Int(normalized[i])],
                                                   originalRange: isLast ? range : range.lowerBound..<range.lowerBound))
                    }
                } else if isUnknown && previousWasUnknown {
                    result[result.count - 1].piece += surface
                    result[result.count - 1].originalRange = result[result.count - 1].originalRange.lowerBound..<range.upperBound
                } else {
                    result.append(EncodedPiece(piece: surface, id: segment.id, originalRange: range))
                }
                previousWasUnknown = isUnknown
            }
        }
        return result
    }

    public func encodeAsPieces(_ text: String, workspace: Workspace = Workspace()) -> [String] {
        encodeWithOffsets(text, workspace: workspace).map(\.piece)
    }

    /// Encodes many texts on `threads` threads; the result is in input order.
    public func encode(batch texts: [String], threads: Int) -> [[Int32]] {
        let workers = max(1, min(threads, texts.count))
        var results = [[Int32]](repeating: [], count: texts.count)
        results.withUnsafeMutableBufferPointer { output in
            let slots = OutputSlots(base: output.baseAddress, count: output.count)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let workspace = Workspace()
                // Interleaved chunks keep the loads even when line lengths vary, and
                // chunks (not single lines) keep threads off each other's cache lines.
                let chunk = 64
                var first = worker * chunk
                while first < texts.count {
                    for index in first..<min(first + chunk, texts.count) {
                        slots.store(encode(texts[index], workspace: workspace), at: index)
                    }
                    first += workers * chunk
                }
            }
        }
        return results
    }

    // MARK: Decoding

    /// Text of `ids`, as `SentencePieceProcessor::DecodeIds`: control pieces vanish,
    /// `<unk>` prints the unknown surface, `<0xNN>` runs are reassembled into UTF-8
    /// (malformed bytes become U+FFFD), U+2581 becomes a space and the leading one
    /// added as dummy prefix is dropped.
    public func decode(_ ids: [Int32]) throws -> String {
        for id in ids where id < 0 || Int(id) >= types.count {
            throw PipelineError(.badInput, "invalid id \(id): the vocabulary has \(types.count) pieces")
        }
        var text: [UInt8] = []
        let spec = model.normalizerSpec
        let space = UTF8Rules.spaceSymbol
        var byteStart = 0
        var isBosWhitespace = true
        var bosWhitespaceSeen = false

        func flushBytes(_ from: Int, _ to: Int) {
            guard from < to else { return }
            let bytes = ids[from..<to].map { byteValues[$0] ?? 0 }
            bytes.withUnsafeBufferPointer { b in
                var offset = 0
                while offset < b.count {
                    if let length = UTF8Rules.validCharLength(b, offset, b.count) {
                        text.append(contentsOf: b[offset..<offset + length])
                        offset += length
                    } else {
                        text.append(contentsOf: UTF8Rules.replacementCharacter)
                        offset += 1
                    }
                }
            }
        }

        for (i, id) in ids.enumerated() {
            let type = types[Int(id)]
            if type == .byte { continue }
            flushBytes(byteStart, i)
            if bosWhitespaceSeen || !text.isEmpty { isBosWhitespace = false }
            byteStart = i + 1
            bosWhitespaceSeen = false
            switch type {
            case .control:
                continue
            case .unknown:
                text.append(contentsOf: model.trainerSpec.unkSurface)
                continue
            default:
                break
            }
            var piece = model.pieces[Int(id)].bytes[...]
            if isBosWhitespace && (spec.addDummyPrefix || spec.removeExtraWhitespaces) {
                if piece.starts(with: space) {
                    piece = piece.dropFirst(3)
                    // With extra whitespace removed, every leading space piece is dropped.
                    bosWhitespaceSeen = !spec.removeExtraWhitespaces
                }
            }
            var j = piece.startIndex
            while j < piece.endIndex {
                if piece[j] == space[0] && j + 2 < piece.endIndex && piece[j + 1] == space[1] && piece[j + 2] == space[2] {
                    text.append(0x20)
                    j += 3
                } else {
                    text.append(piece[j])
                    j += 1
                }
            }
        }
        flushBytes(byteStart, ids.count)

        if let denormalizer {
            var out: [UInt8] = []
            var offsets: [Int] = []
            text.withUnsafeBufferPointer { denormalizer.normalize($0, into: &out, offsets: &offsets, trackOffsets: false) }
            text = out
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Disjoint writes into the batch result from concurrent workers: each index is written by exactly one worker.
private struct OutputSlots: @unchecked Sendable {
    let base: UnsafeMutablePointer<[Int32]>?
    let count: Int
    func store(_ value: [Int32], at index: Int) {
        precondition(index < count)
        base![index] = value
    }
}
