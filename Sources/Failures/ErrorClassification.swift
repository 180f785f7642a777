import Foundation

extension PipelineError {
    /// Any error as the project's error: the one place a thrown error gets its kind (and so its exit
    /// status). Libraries throw `PipelineError` themselves; what remains are Foundation's file errors,
    /// classified by their code, and anything else, which no library should throw: a bug.
    public init(classifying error: Error) {
        switch error {
        case let e as PipelineError:
            self = e
        case let e as CocoaError:
            let path = (e.userInfo[NSFilePathErrorKey] as? String) ?? (e.userInfo[NSURLErrorKey] as? URL)?.path
            let missing = e.code == .fileReadNoSuchFile || e.code == .fileNoSuchFile
            self.init(missing ? .missingInput : .io, missing && path != nil ? "no such file" : e.localizedDescription, path: path)
        case let e as POSIXError where e.code == .ENOENT:
            self.init(.missingInput, "no such file")
        case let e as POSIXError:
            self.init(.io, e.localizedDescription)
        default:
            self.init(.internal, String(describing: error))
        }
    }
}
