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
            let folder = root.appendingPathComponent(target.folder)
            let imports = try Self.imports(under: folder).subtracting(Self.systemModules)
            let missing = imports.subtracting(target.dependencies).sorted()
            let unused = target.dependencies.subtracting(imports).sorted()
            if !missing.isEmpty { problems.append("\(target.name) imports but does not declare \(missing)") }
            if !unused.isEmpty { problems.append("\(target.name) declares but does not import \(unused)") }
        }
        XCTAssertEqual(problems, [])
    }

    /// The allowed layers, lowest first: a library target may depend only on targets of a lower layer, so the
    /// inference engine never reaches the trainer, nor a format the stages. Executables and tests sit above all.
    static let layers: [(name: String, targets: Set<String>)] = [
        ("leaves", ["Failures", "CPUHints", "CNF4", "COpenBLAS", "CDNNL", "CArchive", "CMPI"]),
        ("primitives", ["JSON", "Kernels"]),
        ("test support", ["TestSupport"]),
        ("formats and rules", ["SafeTensors", "SentencePiece", "Rouge", "Corpus", "PEFT", "Pipeline"]),
        ("engines", ["T5", "Dataset", "Fetch", "MPI", "Experiments"]),
        ("training engine, demo assets, report", ["T5Training", "DemoAssets", "Report"]),
        ("training", ["Training"]),
        ("stages", ["Stages"]),
    ]

    func testEveryLibraryDependsOnlyOnLowerLayers() throws {
        let manifest = try String(contentsOf: TestProject.repoRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        let all = Self.declaredTargets(in: manifest) + Self.systemLibraries(in: manifest).map {
            DeclaredTarget(name: $0, isTest: false, isExecutable: false, dependencies: [])
        }
        let libraries = Set(all.filter { !$0.isTest && !$0.isExecutable }.map(\.name))
        let executables = Set(all.filter(\.isExecutable).map(\.name))
        func layer(_ name: String) -> Int? { Self.layers.firstIndex { $0.targets.contains(name) } }
        var problems: [String] = []
        for name in libraries.sorted() where layer(name) == nil { problems.append("\(name) is in no layer of PackageGraphTests.layers") }
        for target in all {
            for dependency in target.dependencies.sorted() {
                if executables.contains(dependency) { problems.append("\(target.name) depends on the executable \(dependency)") }
                guard !target.isTest, !target.isExecutable, let mine = layer(target.name), let theirs = layer(dependency) else { continue }
                if theirs >= mine {
                    problems.append("\(target.name) (\(Self.layers[mine].name)) depends on \(dependency) (\(Self.layers[theirs].name))")
                }
            }
        }
        XCTAssertEqual(problems, [])
    }

    /// A declared dependency on one of this package's Swift modules is used: some file of the target names one of the
    /// module's top-level public declarations or a public member it adds to another module's type. (The compiler
    /// accepts an import nothing uses; it is a false edge in the layers above.)
    func testNoTargetImportsAModuleItDoesNotUse() throws {
        let root = TestProject.repoRoot
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let targets = Self.declaredTargets(in: manifest)
        let libraries = Set(targets.filter { !$0.isTest && !$0.isExecutable }.map(\.name))
        var names: [String: Set<String>] = [:]
        for module in targets where libraries.contains(module.name) {
            let sources = try Self.sources(under: root.appendingPathComponent(module.folder))
            if !sources.isEmpty { names[module.name] = Self.declaredNames(in: sources) }  // C targets have no Swift files
        }
        var problems: [String] = []
        for target in targets {
            let folder = root.appendingPathComponent(target.folder)
            let used = Self.identifiers(in: try Self.sources(under: folder))
            for dependency in target.dependencies.sorted() where names[dependency] != nil {
                if used.isDisjoint(with: names[dependency]!) { problems.append("\(target.name) imports \(dependency) and uses nothing of it") }
            }
        }
        XCTAssertEqual(problems, [])
    }

    /// The check above must be able to fail: a file that imports a module without naming anything of it.
    func testTheUnusedImportCheckSeesAnUnusedImport() {
        let module = Self.declaredNames(in: ["public enum Store {}\npublic func sha256(_ x: Int) -> Int { x }\n"
                                              + "extension String {\n    public var quoted: String { self }\n}\n"])
        XCTAssertEqual(module, ["Store", "sha256", "quoted"])
        XCTAssertTrue(Self.identifiers(in: ["import M\nlet path = store.path // Store\n"]).isDisjoint(with: module))
        XCTAssertFalse(Self.identifiers(in: ["import M\nlet s = \"a\".quoted\n"]).isDisjoint(with: module))
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
        var isExecutable = false
        let dependencies: Set<String>
        /// The `path:` argument, if any (else Sources/<name> or Tests/<name>).
        var path: String? = nil

        var folder: String { path ?? "\(isTest ? "Tests" : "Sources")/\(name)" }
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
                                          isExecutable: kind == "executableTarget", dependencies: dependencyNames(inTargetBody: body),
                                          path: pathArgument(inTargetBody: body)))
        }
        return targets
    }

    static func pathArgument(inTargetBody body: String) -> String? {
        guard let start = body.range(of: "path: \""), let end = body[start.upperBound...].firstIndex(of: "\"") else { return nil }
        return String(body[start.upperBound..<end])
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
            // Multi-line string literals are text, not code (PunktEnglishTables' word list has a line "import\t32").
            let source = try String(contentsOf: file, encoding: .utf8)
                .replacingOccurrences(of: #"\"\"\"[\s\S]*?\"\"\""#, with: "", options: .regularExpression)
            for m in line.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
                modules.insert(String(source[Range(m.range(at: 1), in: source)!]))
            }
        }
        return modules
    }

    /// The names of the manifest's system-library targets (C modules: no Swift declarations to check).
    static func systemLibraries(in manifest: String) -> [String] {
        let start = try! NSRegularExpression(pattern: #"\.systemLibrary\(name: "([^"]+)""#)
        return start.matches(in: manifest, range: NSRange(manifest.startIndex..., in: manifest)).map {
            String(manifest[Range($0.range(at: 1), in: manifest)!])
        }
    }

    /// The text of every Swift file under `folder`, comments and import lines removed.
    static func sources(under folder: URL) throws -> [String] {
        guard let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        var texts: [String] = []
        for case let file as URL in files where file.pathExtension == "swift" { texts.append(try String(contentsOf: file, encoding: .utf8)) }
        return texts
    }

    /// A module's names another module can use: its top-level public declarations (a line starting `public`), and the
    /// public members of its extensions of types it does not declare.
    static func declaredNames(in sources: [String]) -> Set<String> {
        let kinds = "(?:class|struct|enum|protocol|typealias|func|var|let|actor)"
        let topLevel = try! NSRegularExpression(pattern: #"^(?:@\w+(?:\([^)]*\))?\s+)*public\s+(?:(?:final|indirect)\s+)*"#
                                                + kinds + #"\s+`?(\w+)"#, options: .anchorsMatchLines)
        let extensionBlock = try! NSRegularExpression(pattern: #"^(?:public\s+)?extension\s+([\w.]+)[^{]*\{(.*?)^\}"#,
                                                      options: [.anchorsMatchLines, .dotMatchesLineSeparators])
        let member = try! NSRegularExpression(pattern: #"^\s+(?:@\w+\s+)*public\s+(?:(?:static|mutating|final|nonisolated)\s+)*(?:func|var|let)\s+`?(\w+)"#,
                                              options: .anchorsMatchLines)
        func captures(_ regex: NSRegularExpression, _ text: String, _ group: Int = 1) -> [String] {
            regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range(at: group), in: text)!]) }
        }
        let own = Set(sources.flatMap { captures(topLevel, $0) })
        var names = own
        for text in sources {
            for block in extensionBlock.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let extended = String(text[Range(block.range(at: 1), in: text)!])
                guard !own.contains(String(extended.split(separator: ".")[0])) else { continue }
                names.formUnion(captures(member, String(text[Range(block.range(at: 2), in: text)!])))
            }
        }
        return names
    }

    /// Every identifier the sources use outside comments and import lines.
    static func identifiers(in sources: [String]) -> Set<String> {
        let comment = try! NSRegularExpression(pattern: #"//.*$|^\s*(?:@\w+\s+)*import\s+\w+"#, options: .anchorsMatchLines)
        let identifier = try! NSRegularExpression(pattern: #"\w+"#)
        var names: Set<String> = []
        for text in sources {
            let code = comment.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "")
            for m in identifier.matches(in: code, range: NSRange(code.startIndex..., in: code)) {
                names.insert(String(code[Range(m.range, in: code)!]))
            }
        }
        return names
    }
}
