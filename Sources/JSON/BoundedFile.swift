import Failures
import Foundation

/// Reading an untrusted file whole, after checking its size: a hostile or mistaken path (a disk
/// image, /dev/zero) is refused before it is read, and each failure has its exit status.
public enum BoundedFile {
    /// `url`'s bytes (memory-mapped). Missing: 66; larger than `maxBytes` or not a regular file: 65;
    /// unreadable: 74.
    public static func read(_ url: URL, maxBytes: Int) throws -> Data {
        let attributes: [FileAttributeKey: Any]
        // The file a symbolic link names is the one that is read, so its attributes are checked.
        do { attributes = try FileManager.default.attributesOfItem(atPath: url.resolvingSymlinksInPath().path) } catch {
            throw PipelineError(classifying: error).status == .missingInput
                ? PipelineError.missingInput("no such file", path: url.path)
                : PipelineError.io("cannot read: \(error.localizedDescription)", path: url.path)
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw PipelineError.badInput("not a regular file", path: url.path)
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maxBytes else {
            throw PipelineError.badInput("file is \(size) bytes, over the limit of \(maxBytes)", path: url.path)
        }
        do { return try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw PipelineError.io("cannot read: \(error.localizedDescription)", path: url.path)
        }
    }
}

extension JSONValue {
    /// Reads and strictly parses a JSON file of at most `maxBytes`.
    public static func load(contentsOf url: URL, maxBytes: Int) throws -> JSONValue {
        try parse(BoundedFile.read(url, maxBytes: maxBytes), path: url.path)
    }
}
