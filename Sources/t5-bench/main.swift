// Times the T5 engine on a full-size model with the inputs bench_torch.py uses: encoder forward at
// batch 1 and 8, greedy generation of exactly 64 tokens at batch 1 and 8, peak RSS. Prints JSON.
// Usage: t5-bench --model DIR --sources SOURCES.json [--threads 2] [--precision f32|bf16] [--parts enc,gen]
//                 [--batches 1,8] [--reps N]   (N timed runs after one warm-up; default 5 encoder, 3 generation)
//        t5-bench --model DIR --parity GOLDEN_DIR   (full-size parity report, see scripts/bench/t5_parity.sh)
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Kernels
import SafeTensors
import T5

func argument(_ name: String, default fallback: String? = nil) -> String? {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
    return fallback
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("t5-bench: \(message)\n".utf8))
    exit(2)
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

func time(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Compares the engine with golden outputs from scripts/fixtures/t5_parity_golden.py and prints a report.
func parity(model: T5Model, directory: String) throws -> [String: Any] {
    let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/golden.json"))) as! [String: Any]
    let tensors = try SafeTensorsFile(path: directory + "/golden_tensors.safetensors")
    func ids(_ value: Any?) -> [[Int32]] { (value as! [[Int]]).map { $0.map(Int32.init) } }
    func maxDiff(_ got: FloatBuffer, _ key: String, encoder: EncoderOutput? = nil) throws -> Double {
        var want = try tensors.floats(key)
        if let encoder { want = encoder.validRows(ofPadded: want, width: model.config.dModel) }  // unpadded output
        guard want.count == got.count else { fail("\(key): \(got.count) values, golden has \(want.count)") }
        return Double((0..<want.count).map { abs(got.pointer[$0] - want[$0]) }.max() ?? 0)
    }
    let batch = golden["batch"] as! [String: Any]
    let encoder = try model.encode(ids(batch["sources"]))
    let logits = try model.logits(encoder: encoder, decoderInput: ids(batch["decoder_input"]))
    var report: [String: Any] = ["encoder_max_abs_diff": try maxDiff(encoder.hidden, "base.encoder", encoder: encoder),
                                 "logits_max_abs_diff": try maxDiff(logits, "base.logits")]
    let generation = golden["generation"] as! [String: Any]
    let sources = ids(generation["sources"])
    let generator = Generator(model: model)
    for (name, value) in generation["settings"] as! [String: [String: Any]] {
        var settings = GenerationSettings(numBeams: value["num_beams"] as? Int ?? 1, maxNewTokens: value["max_new_tokens"] as! Int)
        settings.lengthPenalty = Float(value["length_penalty"] as? Double ?? 1)
        settings.noRepeatNgramSize = value["no_repeat_ngram_size"] as? Int ?? 0
        var same = 0, total = 0
        for (index, expected) in ((generation["outputs"] as! [String: Any])[name] as! [Any]).enumerated() {
            let chunk = Array(sources[(index * 8)..<min(sources.count, index * 8 + 8)])
            let got = generator.huggingFaceLayout(try generator.generate(chunk, settings: settings), settings: settings)
            let want = ids(expected)
            for (a, b) in zip(got, want) { total += 1; if a == b { same += 1 } }
        }
        report["\(name)_identical"] = "\(same)/\(total)"
    }
    return report
}

if let directory = argument("--parity"), let modelPath = argument("--model") {
    Parallel.setThreads(Int(argument("--threads", default: "2")!) ?? 2)
    do {
        var result: [String: Any] = [:]
        for precision in [WeightMatrix.Precision.f32, .bf16] {
            result[precision.rawValue] = try parity(model: T5Model.load(directory: modelPath, weightPrecision: precision), directory: directory)
        }
        print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self))
    } catch {
        fail(String(describing: error))
    }
    exit(0)
}

guard let modelPath = argument("--model"), let sourcesPath = argument("--sources") else {
    fail("usage: t5-bench --model DIR --sources SOURCES.json [--threads N] [--precision f32|bf16] [--parts enc,gen] [--batches 1,8] [--reps N]")
}
let threads = Int(argument("--threads", default: "2")!) ?? 2
let precision = WeightMatrix.Precision(rawValue: argument("--precision", default: "f32")!) ?? .f32
let parts = Set(argument("--parts", default: "enc,gen")!.split(separator: ",").map(String.init))
let batches = argument("--batches", default: "1,8")!.split(separator: ",").compactMap { Int($0) }
let reps = argument("--reps").map { Int($0) ?? 0 }
if let reps, reps < 1 { fail("--reps needs a positive count") }
Parallel.setThreads(threads)

guard let data = FileManager.default.contents(atPath: sourcesPath),
      let rows = try? JSONSerialization.jsonObject(with: data) as? [[Int]] else { fail("\(sourcesPath): not a JSON list of id lists") }
let sources = rows.map { $0.map { Int32($0) } }

do {
    var loadTime = 0.0
    var model: T5Model!
    loadTime = try time { model = try T5Model.load(directory: modelPath, weightPrecision: precision) }
    var result: [String: Any] = ["threads": threads, "precision": precision.rawValue, "load_s": loadTime]
    let newTokens = 64
    if parts.contains("micro") {
        // decoder-sized products (2048×768) at m = 1 and 8, fp32 and bf16, cycling through 32 distinct
        // matrices (200 MB fp32, more than the L3) so the weights stream from memory: GB/s of weight read
        let rows = 2048, cols = 768, count = 32
        let base = (0..<count).map { n in WeightMatrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { Float(($0 + n) % 7) * 0.01 }) }
        for matrices in [base, base.map { $0.converted(to: .bf16) }] {
            for m in [1, 8] {
                let x = FloatBuffer(count: m * cols), y = FloatBuffer(count: m * rows)
                let passes = 10
                for matrix in matrices { matrix.apply(x.pointer, m: m, into: y.pointer) }  // untimed: page-in, helpers awake
                let t = time { for _ in 0..<passes { for matrix in matrices { matrix.apply(x.pointer, m: m, into: y.pointer) } } }
                let name = matrices[0].precision.rawValue
                let bytes = Double(rows * cols * (name == "f32" ? 4 : 2) * passes * count)
                result["micro_\(name)_m\(m)_ms"] = t / Double(passes * count) * 1000
                result["micro_\(name)_m\(m)_GBps"] = bytes / t / 1e9
            }
        }
    }
    if parts.contains("enc") {
        for batch in batches {
            let chunk = Array(sources.prefix(batch))
            var times: [Double] = []
            for _ in 0...(reps ?? 5) { times.append(try time { _ = try model.encode(chunk) }) }
            result["encoder_forward_b\(batch)"] = ["median_s": median(Array(times.dropFirst())), "all_s": Array(times.dropFirst())]
        }
    }
    if parts.contains("gen") {
        let generator = Generator(model: model)
        let settings = GenerationSettings(maxNewTokens: newTokens, minNewTokens: newTokens)
        for batch in batches {
            let chunk = Array(sources.prefix(batch))
            var times: [Double] = []
            var lengths: [Int] = []
            for _ in 0...(reps ?? 3) {
                times.append(try time { lengths = try generator.generate(chunk, settings: settings).map(\.count) })
            }
            guard lengths.allSatisfy({ $0 == newTokens }) else { fail("generated lengths \(lengths), expected \(newTokens)") }
            let t = median(Array(times.dropFirst()))
            result["greedy_generate_b\(batch)"] = ["median_s": t, "all_s": Array(times.dropFirst()), "tokens_per_s": Double(batch * newTokens) / t]
        }
    }
    result["peak_rss_mib"] = peakRSSMiB()
    let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .prettyPrinted])
    print(String(decoding: json, as: UTF8.self))
} catch {
    fail(String(describing: error))
}
