import Foundation

// PEFT's two regular-expression rules over module names (e.g. `decoder.block.0.layer.1.EncDecAttention.q`):
// `target_modules` given as one string, and the keys of `rank_pattern` / `alpha_pattern`.

/// `target_modules` as a string: PEFT adapts the modules whose whole name the expression matches (`re.fullmatch`).
public func peftTargetPatternMatches(_ pattern: String, moduleName: String) -> Bool {
    regexMatches("^(?:\(pattern))$", moduleName)
}

/// PEFT's `get_pattern_key`: the first key, in sorted order (the order of a saved config), that matches the end
/// of the module's name after a "." (`re.match(rf"(.*\.)?({key})$", name)`); nil if none does.
public func peftPatternKey(_ keys: some Collection<String>, moduleName: String) -> String? {
    keys.sorted().first { regexMatches(patternKeyRegex($0), moduleName) }
}

/// Whether `key` can be a rank_pattern / alpha_pattern key (it compiles as PEFT's pattern expression).
public func isValidPatternKey(_ key: String) -> Bool {
    (try? NSRegularExpression(pattern: patternKeyRegex(key))) != nil
}

/// Whether `pattern` compiles as a regular expression.
public func isValidRegularExpression(_ pattern: String) -> Bool {
    (try? NSRegularExpression(pattern: pattern)) != nil
}

func patternKeyRegex(_ key: String) -> String { "^(.*\\.)?(\(key))$" }

/// Whether the anchored regular expression `regex` matches `name` (false if it does not compile).
func regexMatches(_ regex: String, _ name: String) -> Bool {
    guard let compiled = try? NSRegularExpression(pattern: regex) else { return false }
    return compiled.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
}
