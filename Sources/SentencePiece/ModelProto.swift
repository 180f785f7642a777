/// The parts of SentencePiece's `ModelProto` (sentencepiece_model.proto) that
/// encoding and decoding depend on, read with `ProtobufReader`.
import Failures
public struct ModelProto: Sendable {
    public enum PieceType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public struct Piece: Sendable {
        /// The piece's UTF-8 bytes exactly as stored (the trie is built over these).
        public var bytes: [UInt8]
        public var score: Float = 0
        public var type: PieceType = .normal
        public var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    public struct TrainerSpec: Sendable {
        public enum ModelType: Int32, Sendable { case unigram = 1, bpe = 2, word = 3, char = 4 }
        public var modelType: ModelType = .unigram
        public var vocabSize: Int32 = 8000
        public var byteFallback = false
        public var treatWhitespaceAsSuffix = false
        public var userDefinedSymbols: [String] = []
        public var controlSymbols: [String] = []
        public var unkId: Int32 = 0
        public var bosId: Int32 = 1
        public var eosId: Int32 = 2
        public var padId: Int32 = -1
        public var unkPiece = "<unk>"
        public var bosPiece = "<s>"
        public var eosPiece = "</s>"
        public var padPiece = "<pad>"
        /// What decode prints for `<unk>` (default " ⁇ ").
        public var unkSurface: [UInt8] = Array(" \u{2047} ".utf8)
    }

    public struct NormalizerSpec: Sendable {
        public var name = ""
        /// A darts-clone double array over UTF-8 plus the NUL-separated replacement strings.
        public var precompiledCharsmap: [UInt8] = []
        public var addDummyPrefix = true
        public var removeExtraWhitespaces = true
        public var escapeWhitespaces = true
    }

    public var pieces: [Piece] = []
    public var trainerSpec = TrainerSpec()
    public var normalizerSpec = NormalizerSpec()
    public var denormalizerSpec: NormalizerSpec?

    public init() {}

    /// Parses a serialized ModelProto. Unknown fields are skipped as protobuf requires.
    public init(serialized bytes: [UInt8]) throws {
        var reader = ProtobufReader(bytes)
        while !reader.isAtEnd {
            let (field, wire) = try reader.readTag()
            switch field {
            case 1:
                try reader.expect(wire, .lengthDelimited, field: "pieces")
                pieces.append(try Self.parsePiece(bytes, try reader.readLengthDelimited()))
            case 2:
                try reader.expect(wire, .lengthDelimited, field: "trainer_spec")
                try Self.parseTrainerSpec(bytes, try reader.readLengthDelimited(), into: &trainerSpec)
            case 3:
                try reader.expect(wire, .lengthDelimited, field: "normalizer_spec")
                try Self.parseNormalizerSpec(bytes, try reader.readLengthDelimited(), into: &normalizerSpec)
            case 5:
                try reader.expect(wire, .lengthDelimited, field: "denormalizer_spec")
                var spec = denormalizerSpec ?? NormalizerSpec()
                try Self.parseNormalizerSpec(bytes, try reader.readLengthDelimited(), into: &spec)
                denormalizerSpec = spec
            default:
                try reader.skip(wire)
            }
        }
    }

    private static func parsePiece(_ bytes: [UInt8], _ range: Range<Int>) throws -> Piece {
        var reader = ProtobufReader(bytes, range: range)
        var piece = Piece(bytes: [])
        while !reader.isAtEnd {
            let (field, wire) = try reader.readTag()
            switch field {
            case 1:
                try reader.expect(wire, .lengthDelimited, field: "piece")
                piece.bytes = try reader.readBytes()
            case 2:
                try reader.expect(wire, .fixed32, field: "score")
                piece.score = try reader.readFloat()
            case 3:
                try reader.expect(wire, .varint, field: "type")
                // proto2 keeps an unrecognised enum value as an unknown field: the type stays NORMAL.
                if let type = PieceType(rawValue: try reader.readInt32()) { piece.type = type }
            default:
                try reader.skip(wire)
            }
        }
        return piece
    }

    private static func parseTrainerSpec(_ bytes: [UInt8], _ range: Range<Int>, into spec: inout TrainerSpec) throws {
        var reader = ProtobufReader(bytes, range: range)
        while !reader.isAtEnd {
            let (field, wire) = try reader.readTag()
            switch (field, wire) {
            case (3, .varint):
                if let type = TrainerSpec.ModelType(rawValue: try reader.readInt32()) { spec.modelType = type }
            case (4, .varint): spec.vocabSize = try reader.readInt32()
            case (24, .varint): spec.treatWhitespaceAsSuffix = try reader.readBool()
            case (30, .lengthDelimited): spec.controlSymbols.append(try reader.readString())
            case (31, .lengthDelimited): spec.userDefinedSymbols.append(try reader.readString())
            case (35, .varint): spec.byteFallback = try reader.readBool()
            case (40, .varint): spec.unkId = try reader.readInt32()
            case (41, .varint): spec.bosId = try reader.readInt32()
            case (42, .varint): spec.eosId = try reader.readInt32()
            case (43, .varint): spec.padId = try reader.readInt32()
            case (44, .lengthDelimited): spec.unkSurface = try reader.readBytes()
            case (45, .lengthDelimited): spec.unkPiece = try reader.readString()
            case (46, .lengthDelimited): spec.bosPiece = try reader.readString()
            case (47, .lengthDelimited): spec.eosPiece = try reader.readString()
            case (48, .lengthDelimited): spec.padPiece = try reader.readString()
            case (3, _), (4, _), (24, _), (30, _), (31, _), (35, _), (40...48, _):
                throw PipelineError(.badInput, "corrupt protobuf: trainer_spec field \(field) has wire type \(wire.rawValue)")
            default:
                try reader.skip(wire)
            }
        }
    }

    private static func parseNormalizerSpec(_ bytes: [UInt8], _ range: Range<Int>, into spec: inout NormalizerSpec) throws {
        var reader = ProtobufReader(bytes, range: range)
        while !reader.isAtEnd {
            let (field, wire) = try reader.readTag()
            switch (field, wire) {
            case (1, .lengthDelimited): spec.name = try reader.readString()
            case (2, .lengthDelimited): spec.precompiledCharsmap = try reader.readBytes()
            case (3, .varint): spec.addDummyPrefix = try reader.readBool()
            case (4, .varint): spec.removeExtraWhitespaces = try reader.readBool()
            case (5, .varint): spec.escapeWhitespaces = try reader.readBool()
            case (1...5, _):
                throw PipelineError(.badInput, "corrupt protobuf: normalizer_spec field \(field) has wire type \(wire.rawValue)")
            default:
                try reader.skip(wire)
            }
        }
    }
}
