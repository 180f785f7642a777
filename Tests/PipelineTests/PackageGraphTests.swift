import Foundation
import XCTest

/// Package.swift's graph is the graph the code has: every target declares exactly the modules its
/// sources import (targets and package products alike), no more, no fewer. A stale edge hides a
/// layering change; a missing one builds only by luck of the build order.
final class PackageGraphTests: XCTestCase {
    /// Modules that come with the toolchain or the OS, never declared.
    static let systemModules: Set<String> = [
        "Foundation", "FoundationEssentials", "FoundationNetworking", "Dispatch", "Glibc", "Musl",
        "Darwin", "XCTest", "Testing", "Synchronization", "PackageDescription",
    ]

    func testDeclaredDependenciesAreExactlyTheImports() throws {
        let root = TestProject.repoRoot
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let targets = Self.declaredTargets(in: manifest)
        XCTAssertGreaterThan(targets.count, 30, "the manifest parser found too few targets")
        var problems: [String] = []
        for target in targets {
            let folder = root.appendingPathComponent(target.isTest ? "Tests" : "Sources")
                .appendingPathComponent(target.name)
            let imports = try Self.imports(under: folder).subtracting(Self.systemModules)
            let missing = imports.subtracting(target.dependencies).sorted()
            let unused = target.dependencies.subtracting(imports).sorted()
            if !missing.isEmpty { problems.append("\(target.name) imports but does not declare \(missing)") }
            if !unused.isEmpty { problems.append("\(target.name) declares but does not import \(unused)") }
        }
        XCTAssertEqual(problems, [])
    }

    /// The parser below must see what it is meant to: a known target's edges, a product among them.
    func testTheManifestParserReadsProductsAndMultiLineLists() throws {
        let manifest = """
            .target(name: "A", dependencies: ["B",
                "C", .product(name: "Yams", package: "Yams"),
            ], swiftSettings: x),
            .executableTarget(name: "a-tool", dependencies: ["A"]),
            .testTarget(name: "ATests", dependencies: ["A", .product(name: "FlyingSocks", package: "FlyingFox")]),
            .target(name: "Leaf"),
            """
        let targets = Self.declaredTargets(in: manifest)
        XCTAssertEqual(targets.map(\.name), ["A", "a-tool", "ATests", "Leaf"])
        XCTAssertEqual(targets[0].dependencies, ["B", "C", "Yams"])
        XCTAssertEqual(targets[2].dependencies, ["A", "FlyingSocks"])
        XCTAssertTrue(targets[2].isTest)
        XCTAssertEqual(targets[3].dependencies, [])
    }

    struct DeclaredTarget {
        let name: String
        let isTest: Bool
        let dependencies: Set<String>
    }

    /// Swift targets (not system libraries) with their dependency lists; a product counts under its
    /// own name, which is the module it provides for every package this project uses.
    static func declaredTargets(in manifest: String) -> [DeclaredTarget] {
        let start = try! NSRegularExpression(pattern: #"\.(target|executableTarget|testTarget|systemLibrary)\(name: "([^"]+)""#)
        let text = manifest as NSString
        let matches = start.matches(in: manifest, range: NSRange(location: 0, length: text.length))
        var targets: [DeclaredTarget] = []
        for (i, match) in matches.enumerated() {
            let kind = text.substring(with: match.range(at: 1))
            guard kind != "systemLibrary" else { continue }
            let end = i + 1 < matches.count ? matches[i + 1].range.location : text.length
            let body = text.substring(with: NSRange(location: match.range.location, length: end - match.range.location))
            targets.append(DeclaredTarget(name: text.substring(with: match.range(at: 2)), isTest: kind == "testTarget",
                                          dependencies: dependencyNames(inTargetBody: body)))
        }
        return targets
    }

    static func dependencyNames(inTargetBody body: String) -> Set<String> {
        guard let open = body.range(of: "dependencies: [") else { return [] }
        var depth = 1
        var index = open.upperBound
        while index < body.endIndex, depth > 0 {
            if body[index] == "[" { depth += 1 } else if body[index] == "]" { depth -= 1 }
            index = body.index(after: index)
        }
        var list = String(body[open.upperBound..<index])
        var names: Set<String> = []
        let product = try! NSRegularExpression(pattern: #"\.product\(name: "([^"]+)", package: "[^"]+"\)"#)
        for m in product.matches(in: list, range: NSRange(list.startIndex..., in: list)) {
            names.insert(String(list[Range(m.range(at: 1), in: list)!]))
        }
        list = product.stringByReplacingMatches(in: list, range: NSRange(list.startIndex..., in: list), withTemplate: "")
        let literal = try! NSRegularExpression(pattern: #""([^"]+)""#)
        for m in literal.matches(in: list, range: NSRange(list.startIndex..., in: list)) {
            names.insert(String(list[Range(m.range(at: 1), in: list)!]))
        }
        return names
    }

    /// Module names of every `import` line (with any attributes, `@testable` included) in the folder's
    /// Swift files.
    static func imports(under folder: URL) throws -> Set<String> {
        let line = try! NSRegularExpression(pattern: #"^\s*(?:@\w+(?:\([^)]*\))?\s+)*import\s+(?:(?:struct|class|enum|func|protocol|typealias|var|let)\s+)?(\w+)"#,
                                            options: .anchorsMatchLines)
        var modules: Set<String> = []
        guard let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        for case let file as URL in files where file.pathExtension == "swift" {
            let source = try String(contentsOf: file, encoding: .utf8)
            for m in line.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
                modules.insert(String(source[Range(m.range(at: 1), in: source)!]))
            }
        }
        return modules
    }
}
