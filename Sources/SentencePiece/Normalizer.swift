/// SentencePiece's text normaliser (normalizer.cc), byte for byte: user-defined
/// symbols pass through whole, the precompiled charsmap rewrites the longest
/// matching prefix, malformed UTF-8 becomes U+FFFD one byte at a time, whitespace
/// is trimmed and collapsed, a dummy prefix is added and spaces become U+2581.
/// Optionally records, for every normalised byte, the original byte offset.
import Failures
struct Normalizer: Sendable {
    /// darts' results buffer in normalizer.cc holds this many matches.
    private static let maxTrieResults = 32

    let addDummyPrefix: Bool
    let removeExtraWhitespaces: Bool
    let escapeWhitespaces: Bool
    let treatWhitespaceAsSuffix: Bool
    private let charsmap: DoubleArrayTrie
    private let replacements: [UInt8]
    private let replacementCharacterOffset: Int
    private let userDefined: PieceTrie
    /// ASCII bytes that no rule and no user-defined symbol starts with: copied as they are.
    private let passthrough: [Bool]

    init(spec: ModelProto.NormalizerSpec, treatWhitespaceAsSuffix: Bool = false, userDefinedSymbols: [[UInt8]] = []) throws {
        addDummyPrefix = spec.addDummyPrefix
        removeExtraWhitespaces = spec.removeExtraWhitespaces
        escapeWhitespaces = spec.escapeWhitespaces
        self.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix
        let (trie, strings) = try Self.decodeCharsmap(spec.precompiledCharsmap)
        charsmap = trie
        (replacements, replacementCharacterOffset) = Self.withReplacementCharacter(strings)
        userDefined = try PieceTrie(userDefinedSymbols.enumerated().map { ($0.element, Int32($0.offset), 0, false) })
        var passthrough = [Bool](repeating: false, count: 256)
        for byte in 0..<128 {
            let b = UInt8(byte)
            passthrough[byte] = !charsmap.hasTransition(fromRootOn: b) && userDefined.edge(PieceTrie.root, b).child < 0
        }
        self.passthrough = passthrough
    }

    /// `<trie size: UInt32 LE><double array units><NUL-terminated replacement strings>`.
    private static func decodeCharsmap(_ blob: [UInt8]) throws -> (DoubleArrayTrie, [UInt8]) {
        if blob.isEmpty { return (DoubleArrayTrie(units: []), []) }
        guard blob.count > 4 else {
            throw PipelineError(.badInput, "precompiled_charsmap is broken (\(blob.count) bytes)")
        }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize <= blob.count - 4 else {
            throw PipelineError(.badInput, "precompiled_charsmap trie size \(trieSize) exceeds the blob (\(blob.count) bytes)")
        }
        let unitCount = trieSize / 4
        var units = [UInt32](repeating: 0, count: unitCount)
        for i in 0..<unitCount {
            let p = 4 + 4 * i
            units[i] = UInt32(blob[p]) | UInt32(blob[p + 1]) << 8 | UInt32(blob[p + 2]) << 16 | UInt32(blob[p + 3]) << 24
        }
        return (DoubleArrayTrie(units: units), Array(blob[(4 + trieSize)...]))
    }

    /// The replacement strings plus, after a NUL, U+FFFD: what a malformed byte becomes.
    private static func withReplacementCharacter(_ strings: [UInt8]) -> (blob: [UInt8], offset: Int) {
        (strings + [0] + UTF8Rules.replacementCharacter + [0], strings.count + 1)
    }

    private enum Source { case input, replacements }

    /// `Normalizer::NormalizePrefix`: what the character(s) at `start` become and how many input bytes they use.
    @inline(__always)
    private func normalizePrefix(_ s: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int)
        -> (source: Source, from: Int, count: Int, consumed: Int)
    {
        if !userDefined.isEmpty {
            let length = userDefined.longestPrefixLength(s, start, end)
            if length > 0 { return (.input, start, length, length) }
        }
        if let match = charsmap.longestPrefix(s, start, end, maxResults: Self.maxTrieResults) {
            // The replacement runs to its NUL terminator (or the end of a corrupt blob).
            var stop = min(match.value, replacements.count)
            let from = stop
            while stop < replacements.count && replacements[stop] != 0 { stop += 1 }
            return (.replacements, from, stop - from, match.length)
        }
        if let length = UTF8Rules.validCharLength(s, start, end) {
            return (.input, start, length, length)
        }
        return (.replacements, replacementCharacterOffset, 3, 1)
    }

    /// Normalises `input` into `out`. With `trackOffsets`, `offsets` receives one
    /// original byte offset per output byte plus one for the end (norm_to_orig).
    func normalize(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8],
                   offsets: inout [Int], trackOffsets: Bool)
    {
        out.removeAll(keepingCapacity: true)
        if trackOffsets { offsets.removeAll(keepingCapacity: true) }
        let end = input.count
        if end == 0 { return }
        var pos = 0

        if removeExtraWhitespaces {
            while pos < end {
                let p = normalizePrefix(input, pos, end)
                // Only a character that normalises to exactly " " counts as heading space.
                guard p.count == 1 && (p.source == .input ? input[p.from] : replacements[p.from]) == 0x20 else { break }
                pos += p.consumed
            }
        }
        if pos == end { return }

        out.reserveCapacity(end * 3)
        if trackOffsets { offsets.reserveCapacity(end * 3 + 1) }
        let space = UTF8Rules.spaceSymbol

        @inline(__always) func appendSpace(at consumed: Int) {
            if escapeWhitespaces {
                out.append(space[0]); out.append(space[1]); out.append(space[2])
                if trackOffsets { offsets.append(consumed); offsets.append(consumed); offsets.append(consumed) }
            } else {
                out.append(0x20)
                if trackOffsets { offsets.append(consumed) }
            }
        }

        if !treatWhitespaceAsSuffix && addDummyPrefix { appendSpace(at: pos) }

        var isPrevSpace = removeExtraWhitespaces
        replacements.withUnsafeBufferPointer { blob in
            while pos < end {
                let byte = input[pos]
                if passthrough[Int(byte)] {
                    if byte == 0x20 {
                        if !isPrevSpace {
                            appendSpace(at: pos)
                            isPrevSpace = true
                        }
                    } else {
                        out.append(byte)
                        if trackOffsets { offsets.append(pos) }
                        isPrevSpace = false
                    }
                    pos += 1
                    if !removeExtraWhitespaces { isPrevSpace = false }
                    continue
                }
                let p = normalizePrefix(input, pos, end)
                let source = p.source == .input ? input : blob
                var from = p.from
                let stop = p.from + p.count
                while isPrevSpace && from < stop && source[from] == 0x20 { from += 1 }
                if from < stop {
                    for i in from..<stop {
                        let b = source[i]
                        if escapeWhitespaces && b == 0x20 {
                            appendSpace(at: pos)
                        } else {
                            out.append(b)
                            if trackOffsets { offsets.append(pos) }
                        }
                    }
                    isPrevSpace = source[stop - 1] == 0x20
                }
                pos += p.consumed
                if !removeExtraWhitespaces { isPrevSpace = false }
            }
        }

        var consumed = pos
        if removeExtraWhitespaces {
            let width = escapeWhitespaces ? 3 : 1
            while out.count >= width && (escapeWhitespaces
                    ? (out[out.count - 3] == space[0] && out[out.count - 2] == space[1] && out[out.count - 1] == space[2])
                    : out[out.count - 1] == 0x20) {
                let length = out.count - width
                if trackOffsets {
                    consumed = offsets[length]
                    offsets.removeLast(width)
                }
                out.removeLast(width)
            }
        }
        if treatWhitespaceAsSuffix && addDummyPrefix { appendSpace(at: consumed) }
        if trackOffsets { offsets.append(consumed) }
    }

    /// Convenience for tests and tools: the normalised text and the offsets.
    func normalize(_ text: String) -> (normalized: [UInt8], offsets: [Int]) {
        var out: [UInt8] = []
        var offsets: [Int] = []
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            normalize(UnsafeBufferPointer(buffer), into: &out, offsets: &offsets, trackOffsets: true)
        }
        return (out, offsets)
    }
}
