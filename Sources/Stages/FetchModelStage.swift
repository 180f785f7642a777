import Failures
import Fetch
import Foundation
import JSON
import Pipeline
import SafeTensors
import T5

/// `fetch-model`: a Hugging Face model repository at a pinned revision (or a local
/// directory) → `data/model/{config.json, spiece.model, model.safetensors}`, validated
/// before it is published: a T5 config, a parseable safetensors header whose tensors fit
/// the file, every weight the config needs with the right shape, and a readable tokenizer.
public enum FetchModelStage {
    static let files = ["config.json", "spiece.model", "model.safetensors"]
    static let optionalFiles = ["generation_config.json"]

    @discardableResult
    public static func run(_ options: StageOptions, localDirectory: String? = nil, root: URL? = nil) throws -> StageResult {
        let run = try StageRun(stage: "fetch-model", formatVersion: 1, options: options, root: root)
        let p = run.params
        let local = localDirectory ?? p.unhashed("model.local_dir").stringValue!
        var repository: HuggingFaceRepository?
        if local.isEmpty {
            // Remote: the repository and its pinned revision are the identity of the content.
            let revision = p.string("model.revision")
            if !revision.allSatisfy(\.isHexDigit) || revision.count != 40 {
                report("fetch-model: warning: revision '\(revision)' is not a commit id; the content may change under it")
            }
            guard let endpoint = URL(string: p.unhashed("model.endpoint").stringValue!) else {
                throw PipelineError.usage("model.endpoint is not a URL", path: options.config)
            }
            repository = try HuggingFaceRepository(id: p.string("model.repo"), revision: revision, endpoint: endpoint)
        } else {
            // Local: the files' own hashes are the identity.
            let dir = run.resolve(local)
            for f in files {
                try run.input(f, path: dir.appendingPathComponent(f).path,
                              whenMissing: "no such file (model.local_dir must hold \(files.joined(separator: ", ")))")
            }
            for f in optionalFiles where FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path) {
                try run.input(f, path: dir.appendingPathComponent(f).path)
            }
        }
        let outputs = files.map { StageOutput($0, at: run.dataPath("model/\($0)")) }
            + optionalFiles.map { StageOutput($0, at: run.dataPath("model/\($0)"), optional: true) }

        return try run.execute(outputs: outputs) { ws in
            let source: URL
            if let repository {
                source = run.resolve(run.dataPath("downloads/model/\(repository.id)/\(repository.revision)"))
                let fetched = try HuggingFaceFetcher(repository: repository, token: BearerToken.fromEnvironment(),
                                                     options: DownloadOptions(quiet: options.quiet))
                    .fetch(files.map { HuggingFaceFile($0) } + optionalFiles.map { HuggingFaceFile($0, isRequired: false) },
                           into: source)
                for f in fetched where !f.verifiedAgainstServerDigest && f.name == "model.safetensors" {
                    report("fetch-model: warning: the server gave no SHA-256 for \(f.name); size checked only")
                }
            } else {
                source = run.resolve(local)
            }
            for f in files + optionalFiles {
                let from = source.appendingPathComponent(f)
                guard FileManager.default.fileExists(atPath: from.path) else { continue }
                // A download under data/ is the store's own and may be linked; the user's own folder is
                // copied: publishing makes store files read-only, and a link would also let an in-place
                // edit of the user's file rewrite the cached entry.
                if repository != nil { try linkOrCopy(from, to: ws.url(for: f)) } else { try copy(from, to: ws.url(for: f)) }
            }
            return try validate(directory: ws.outputDirectory, reportedAs: source)
        }
    }

    /// `validate` on the copy in the workspace, with errors naming the file the user has (`source`),
    /// not the temporary copy that disappears with the failed run.
    static func validate(directory: URL, reportedAs source: URL) throws -> JSONValue {
        do { return try validate(directory: directory) } catch {
            let status = (error as? PipelineError)?.status ?? .badInput
            let message = String(describing: error).replacingOccurrences(of: directory.path, with: source.path)
            throw PipelineError(status, message)
        }
    }

    /// Loads what later stages will load, so a broken model fails here, not an hour later.
    static func validate(directory: URL) throws -> JSONValue {
        let config = try T5Config.load(path: directory.appendingPathComponent("config.json").path)
        let weights = try SafeTensorsFile(path: directory.appendingPathComponent("model.safetensors").path)
        _ = try T5Model.load(directory: directory.path)
        let parameters = weights.tensors.values.reduce(0) { $0 + $1.elementCount }
        let spm = try SentencePieceCheck.pieceCount(path: directory.appendingPathComponent("spiece.model").path)
        guard spm <= config.vocabSize else {
            throw PipelineError.badInput("spiece.model has \(spm) pieces, more than the model's vocab_size \(config.vocabSize)",
                                         path: directory.appendingPathComponent("spiece.model").path)
        }
        report("fetch-model: \(weights.tensors.count) tensors, \(parameters) parameters, \(spm) SentencePiece pieces")
        return ["tensors": .int(weights.tensors.count), "parameters": .int(parameters),
                "d_model": .int(config.dModel), "vocab_size": .int(config.vocabSize), "spiece_pieces": .int(spm)]
    }

    static func linkOrCopy(_ from: URL, to: URL) throws {
        if link(from.path, to.path) == 0 { return }
        try copy(from, to: to)
    }

    static func copy(_ from: URL, to: URL) throws {
        do { try FileManager.default.copyItem(at: from, to: to) } catch {
            throw PipelineError.io("cannot copy \(from.path): \(error.localizedDescription)", path: to.path)
        }
    }
}
