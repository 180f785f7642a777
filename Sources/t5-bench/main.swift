// Times the T5 engine on a full-size model with the inputs bench_torch.py uses: encoder forward at
// batch 1 and 8, greedy generation of exactly 64 tokens at batch 1 and 8, peak RSS. Prints JSON.
// Usage: t5-bench --model DIR --sources SOURCES.json [--threads 2] [--precision f32|bf16|nf4] [--parts enc,gen]
//                 [--batches 1,8] [--reps N]   (N timed runs after one warm-up; default 5 encoder, 3 generation)
//        t5-bench --model DIR --parity GOLDEN_DIR   (full-size parity report, see scripts/bench/t5_parity.sh)
//        t5-bench --model DIR --quantize-to OUT.safetensors   (the nf4 mode's 4-bit weights; scripts/check/nf4_base_parity.py)
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import JSON
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

func seconds(_ values: ArraySlice<Double>) -> JSONValue { .array(values.map(JSONValue.double)) }

/// A JSON list of token-id lists (sources, decoder inputs, expected outputs); anything else ends the run.
func ids(_ value: JSONValue?, _ what: String) -> [[Int32]] {
    guard let rows = value?.arrayValue else { fail("\(what): not a JSON list of id lists") }
    return rows.map { row in
        guard let ids = row.arrayValue?.map({ $0.intValue.flatMap(Int32.init(exactly:)) }), !ids.contains(nil) else {
            fail("\(what): not a JSON list of id lists")
        }
        return ids.map { $0! }
    }
}

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
func parity(model: T5Model, directory: String) throws -> [String: JSONValue] {
    let golden = try JSONValue.load(contentsOf: URL(fileURLWithPath: directory + "/golden.json"), maxBytes: 1 << 28)
    let tensors = try SafeTensorsFile(path: directory + "/golden_tensors.safetensors")
    func maxDiff(_ got: FloatBuffer, _ key: String, encoder: EncoderOutput? = nil) throws -> Double {
        var want = try tensors.floats(key)
        if let encoder { want = encoder.validRows(ofPadded: want, width: model.config.dModel) }  // unpadded output
        guard want.count == got.count else { fail("\(key): \(got.count) values, golden has \(want.count)") }
        return Double((0..<want.count).map { abs(got.pointer[$0] - want[$0]) }.max() ?? 0)
    }
    let batch = golden["batch"]
    let encoder = try model.encode(ids(batch?["sources"], "batch.sources"))
    let logits = try model.logits(encoder: encoder, decoderInput: ids(batch?["decoder_input"], "batch.decoder_input"))
    var report: [String: JSONValue] = ["encoder_max_abs_diff": .double(try maxDiff(encoder.hidden, "base.encoder", encoder: encoder)),
                                       "logits_max_abs_diff": .double(try maxDiff(logits, "base.logits"))]
    let generation = golden["generation"]
    let sources = ids(generation?["sources"], "generation.sources")
    let generator = Generator(model: model)
    guard let allSettings = generation?["settings"]?.objectValue else { fail("golden.json: no generation.settings object") }
    for (name, value) in allSettings {
        guard let maxNewTokens = value["max_new_tokens"]?.intValue else { fail("golden.json: \(name) has no max_new_tokens") }
        var settings = GenerationSettings(numBeams: value["num_beams"]?.intValue ?? 1, maxNewTokens: maxNewTokens)
        settings.lengthPenalty = Float(value["length_penalty"]?.doubleValue ?? 1)
        settings.noRepeatNgramSize = value["no_repeat_ngram_size"]?.intValue ?? 0
        settings.repetitionPenalty = Float(value["repetition_penalty"]?.doubleValue ?? 1)
        guard let outputs = generation?["outputs"]?[name]?.arrayValue else { fail("golden.json: no generation.outputs.\(name)") }
        var same = 0, total = 0
        for (index, expected) in outputs.enumerated() {
            let chunk = Array(sources[(index * 8)..<min(sources.count, index * 8 + 8)])
            let got = generator.huggingFaceLayout(try generator.generate(chunk, settings: settings), settings: settings)
            let want = ids(expected, "generation.outputs.\(name)")
            for (a, b) in zip(got, want) { total += 1; if a == b { same += 1 } }
        }
        report["\(name)_identical"] = .string("\(same)/\(total)")
    }
    return report
}

if let directory = argument("--parity"), let modelPath = argument("--model") {
    Parallel.setThreads(Int(argument("--threads", default: "2")!) ?? 2)
    do {
        var result: [String: JSONValue] = [:]
        for precision in [WeightMatrix.Precision.f32, .bf16] {
            result[precision.rawValue] = .object(try parity(model: T5Model.load(directory: modelPath, weightPrecision: precision),
                                                            directory: directory))
        }
        print(JSONValue.object(result).pretty, terminator: "")
    } catch {
        fail(String(describing: error))
    }
    exit(0)
}

// The nf4 mode's 4-bit weights of every quantized linear, in the parts bitsandbytes keeps (packed codes, absmax
// codes, nested absmax, offset), for scripts/check/nf4_base_parity.py to compare with bitsandbytes' own.
if let out = argument("--quantize-to"), let modelPath = argument("--model") {
    Parallel.setThreads(Int(argument("--threads", default: "2")!) ?? 2)
    do {
        let start = Date()
        let model = try T5Model.load(directory: modelPath, weightPrecision: .nf4)
        let seconds = Date().timeIntervalSince(start)
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for (name, projection) in model.weights.projections {
            guard let t = projection.weight.nf4 else { continue }
            guard case .nested(let codes, let nested, let offset) = t.scales else { fail("\(name): not double-quantized") }
            try writer.add("\(name).packed", dtype: .u8, shape: [t.packed.count], bytes: t.packed)
            try writer.add("\(name).codes", dtype: .u8, shape: [codes.count], bytes: codes)
            try writer.add("\(name).nested_absmax", shape: [nested.count], floats: nested)
            try writer.add("\(name).offset", shape: [1], floats: [offset])
        }
        try writer.write(to: out)
        print(String(format: "t5-bench: loaded and quantized %@ in %.1f s -> %@", modelPath, seconds, out))
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

guard let sourcesJSON = try? JSONValue.load(contentsOf: URL(fileURLWithPath: sourcesPath), maxBytes: 1 << 28) else {
    fail("\(sourcesPath): cannot read it as JSON")
}
let sources = ids(sourcesJSON, sourcesPath)

do {
    var loadTime = 0.0
    var model: T5Model!
    loadTime = try time { model = try T5Model.load(directory: modelPath, weightPrecision: precision) }
    var result: [String: JSONValue] = ["threads": .int(threads), "precision": .string(precision.rawValue), "load_s": .double(loadTime),
                                       "bf16_product": .string(precision == .bf16 ? BF16GEMM.description : "none"), "f32_product": .string(F32GEMM.description)]
    let newTokens = 64
    if parts.contains("micro") {
        // decoder-sized products (2048×768) at m = 1 and 8, fp32, bf16 and nf4, cycling through 32 distinct
        // matrices (200 MB fp32, more than the L3) so the weights stream from memory: GB/s of weight read
        let rows = 2048, cols = 768, count = 32
        let base = (0..<count).map { n in WeightMatrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { Float(($0 + n) % 7) * 0.01 }) }
        // nf4: the same values in QLoRA's 4 bits (about 0.8 MB a matrix: still read from memory, 26 MB in all)
        for matrices in [base, base.map { $0.converted(to: .bf16) }, base.map { try! $0.quantized(NF4Settings()) }] {
            for m in [1, 8] {
                let x = FloatBuffer(count: m * cols), y = FloatBuffer(count: m * rows)
                let passes = 10
                for matrix in matrices { matrix.apply(x.pointer, m: m, into: y.pointer) }  // untimed: page-in, helpers awake
                let t = time { for _ in 0..<passes { for matrix in matrices { matrix.apply(x.pointer, m: m, into: y.pointer) } } }
                let name = matrices[0].precision.rawValue
                let bytes = Double(matrices[0].byteCount * passes * count)
                result["micro_\(name)_m\(m)_ms"] = .double(t / Double(passes * count) * 1000)
                result["micro_\(name)_m\(m)_GBps"] = .double(bytes / t / 1e9)
            }
        }
        // The same bf16 products on oneDNN (BF16GEMM), which the bf16 mode uses above 16 rows: is it worth it
        // for decoding's few rows too? (It is not: see docs/BENCHMARKS.md.)
        if BF16GEMM.oneDNNImplementation != nil {
            let buffers = base.map { matrix in matrix.floats().withUnsafeBufferPointer { BF16Buffer(rounding: $0.baseAddress!, count: $0.count) } }
            for m in [1, 8] {
                let x = FloatBuffer(count: m * cols), y = FloatBuffer(count: m * rows)
                let passes = 10
                func product(_ b: BF16Buffer) {
                    Linear.forward(x.pointer, weight: UnsafePointer(b.pointer), y.pointer, rows: m, inFeatures: cols, outFeatures: rows)
                }
                for b in buffers { product(b) }
                let t = time { for _ in 0..<passes { for b in buffers { product(b) } } }
                result["micro_onednn_bf16_m\(m)_ms"] = .double(t / Double(passes * count) * 1000)
                result["micro_onednn_bf16_m\(m)_GBps"] = .double(Double(rows * cols * 2 * passes * count) / t / 1e9)
            }
        }
    }
    if parts.contains("enc") {
        for batch in batches {
            let chunk = Array(sources.prefix(batch))
            var times: [Double] = []
            for _ in 0...(reps ?? 5) { times.append(try time { _ = try model.encode(chunk) }) }
            result["encoder_forward_b\(batch)"] = ["median_s": .double(median(Array(times.dropFirst()))), "all_s": seconds(times.dropFirst())]
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
            result["greedy_generate_b\(batch)"] = ["median_s": .double(t), "all_s": seconds(times.dropFirst()),
                                                   "tokens_per_s": .double(Double(batch * newTokens) / t)]
        }
    }
    result["peak_rss_mib"] = .double(peakRSSMiB())
    print(JSONValue.object(result).pretty, terminator: "")
} catch {
    fail(String(describing: error))
}
