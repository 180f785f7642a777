/// SentencePiece's own UTF-8 rules (util.h / util.cc), which differ from Swift's:
/// the character length comes from the lead byte alone, and validation rejects
/// surrogates and overlong forms one byte at a time.
enum UTF8Rules {
    /// `string_util::OneCharLen`: 1 for ASCII and stray continuation bytes, else 2, 3 or 4.
    @inline(__always)
    static func oneCharLength(_ lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }

    @inline(__always)
    private static func isTrail(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    @inline(__always)
    private static func isValidCodepoint(_ c: UInt32) -> Bool { c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF) }

    /// `string_util::IsValidDecodeUTF8`: the length of the valid character at `start`,
    /// or nil when it is malformed (SentencePiece then consumes a single byte).
    @inline(__always)
    static func validCharLength(_ s: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        let b0 = s[start]
        if b0 < 0x80 { return 1 }
        let available = end - start
        if available >= 2 && b0 & 0xE0 == 0xC0 {
            let b1 = s[start + 1]
            let cp = (UInt32(b0 & 0x1F) << 6) | UInt32(b1 & 0x3F)
            if isTrail(b1) && cp >= 0x80 && isValidCodepoint(cp) { return 2 }
        } else if available >= 3 && b0 & 0xF0 == 0xE0 {
            let b1 = s[start + 1], b2 = s[start + 2]
            let cp = (UInt32(b0 & 0x0F) << 12) | (UInt32(b1 & 0x3F) << 6) | UInt32(b2 & 0x3F)
            if isTrail(b1) && isTrail(b2) && cp >= 0x800 && isValidCodepoint(cp) { return 3 }
        } else if available >= 4 && b0 & 0xF8 == 0xF0 {
            let b1 = s[start + 1], b2 = s[start + 2], b3 = s[start + 3]
            let cp = (UInt32(b0 & 0x07) << 18) | (UInt32(b1 & 0x3F) << 12) | (UInt32(b2 & 0x3F) << 6) | UInt32(b3 & 0x3F)
            if isTrail(b1) && isTrail(b2) && isTrail(b3) && cp >= 0x10000 && isValidCodepoint(cp) { return 4 }
        }
        return nil
    }

    /// U+FFFD, what a malformed byte becomes.
    static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]
    /// U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible space.
    static let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]
}
