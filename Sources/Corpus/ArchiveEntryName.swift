/// Which archive entry names are safe to even consider. Corpus entries are never
/// extracted, but a name like `../evil` or `/etc/x` marks a hostile or broken
/// archive, so such entries are ignored (and reported) rather than matched.
enum ArchiveEntryName {
    /// The name with a leading `./` removed, or nil when it is absolute, climbs
    /// out with `..`, uses backslashes or drive letters, or holds control bytes.
    static func safe(_ name: String) -> String? {
        var name = name
        while name.hasPrefix("./") { name.removeFirst(2) }
        guard !name.isEmpty, !name.hasPrefix("/"), !name.contains("\\"),
              !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.contains(where: { $0 == ".." }) else { return nil }
        if let first = parts.first, first.count == 2, first.hasSuffix(":") { return nil }
        return name
    }
}
