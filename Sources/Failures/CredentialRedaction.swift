import Foundation

/// `text` with the user and password of every URL in it (`https://user:pw@host/…`) replaced by `***`, so
/// error, retry and progress lines never echo a credential given in a mirror's or endpoint's URL
/// (issue 33, item 16). The bearer token is never put in a message to begin with.
public func redactingURLCredentials(_ text: String) -> String {
    guard text.contains("@") else { return text }
    let range = NSRange(text.startIndex..., in: text)
    return urlCredentials.stringByReplacingMatches(in: text, range: range, withTemplate: "$1***@")
}

/// A scheme, "//", then userinfo (no slash, space or @) up to the "@" before the host.
private let urlCredentials = try! NSRegularExpression(pattern: "([A-Za-z][A-Za-z0-9+.-]*://)[^/@\\s]+@")
