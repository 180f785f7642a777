// swift-tools-version:6.0
// The LoRA fine-tuning pipeline for FLAN-T5: libraries do the work, the stage
// executables are thin wrappers (see docs/ARCHITECTURE.md).
import PackageDescription

// The math-heavy targets are optimised in every configuration: their SIMD code is hundreds of times
// slower unoptimised, which made the debug-built tests (training, the demo graph) crawl.
let fastMath: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
                                .unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "FlanLoRA",
    platforms: [.macOS(.v15)],
    // Exact versions: Package.resolved cannot be committed here (this machine's package copies have their own
    // commit ids), so a range would let a later clone build with other versions. swift-asn1, which swift-crypto
    // brings, follows swift-crypto's own range (1.7.4 when these were pinned).
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "5.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/swhitty/FlyingFox", exact: "0.27.1"),
    ],
    targets: [
        // OpenBLAS, opened at program start with kernels chosen from the CPU's features (Debian:
        // libopenblas-dev; not linked, see Sources/COpenBLAS/include/COpenBLAS.h), and libarchive.
        .target(name: "COpenBLAS", linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),
        // Open MPI (Debian: libopenmpi-dev), for train-lora and generate under mpirun; its handles come
        // through Sources/CMPI/shim.h. MPI wraps it as a Pipeline.ProcessGroup.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        // Cache prefetch and spin-wait pause (C builtins Swift has no spelling for).
        .target(name: "CPUHints"),
        // The NF4 code lookup with AVX2 permutes (chosen at run time; scalar elsewhere): Kernels.NF4Tensor.
        .target(name: "CNF4", cSettings: [.unsafeFlags(["-O3"])]),
        // oneDNN's bf16 matrix product (Debian: libdnnl-dev), one OpenMP thread per call: Kernels.BF16GEMM.
        .target(name: "CDNNL", cSettings: [.unsafeFlags(["-O3"])], linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("gomp")]),

        // The project's one error type and its exit statuses (a leaf: every library throws it).
        .target(name: "Failures"),
        // One JSON value type: canonical, pretty and PEFT-style printing, a bounded parser.
        .target(name: "JSON", dependencies: ["Failures"]),

        // The stage contract: parameters, keys, store, manifests, lock, errors.
        .target(name: "Pipeline", dependencies: ["Failures",
            "JSON", "Kernels",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // Libraries that do the work (one concept per file inside each).
        .target(name: "SafeTensors", dependencies: ["Failures", "JSON"]),
        .target(name: "Kernels", dependencies: ["COpenBLAS", "CDNNL", "CPUHints", "CNF4"], swiftSettings: fastMath),
        .target(name: "SentencePiece", dependencies: ["Failures"], swiftSettings: fastMath),
        // PEFT's LoRA: its config, target rules, adapter files, initialisation and merge (nothing that trains).
        .target(name: "PEFT", dependencies: ["Failures", "JSON", "Kernels"], swiftSettings: fastMath),
        .target(name: "T5", dependencies: ["Failures", "JSON", "Kernels", "SafeTensors", "CPUHints", "PEFT"], swiftSettings: fastMath),
        .target(name: "T5Training", dependencies: ["Failures", "T5", "PEFT", "Kernels", "SafeTensors"], swiftSettings: fastMath),
        // The training run: the loop, AdamW, the schedule, clipping, the batch plan, checkpoints, validation.
        .target(name: "Training", dependencies: ["Failures", "JSON", "Pipeline", "Dataset", "SafeTensors", "Kernels", "PEFT", "T5Training"],
                swiftSettings: fastMath),
        .target(name: "Rouge", dependencies: ["Failures", "JSON"], swiftSettings: fastMath),
        // The experiment side: git revisions, the config (with base:), lock and metrics at a revision, ROUGE diffs
        // and sweep tables across revisions; used by score-rouge diff and pipeline-report --compare.
        .target(name: "Experiments", dependencies: ["Failures", "JSON", "Rouge", "Pipeline", "SafeTensors", .product(name: "Yams", package: "Yams")]),
        .target(name: "Fetch", dependencies: ["Failures", "Pipeline"]),
        .target(name: "Corpus", dependencies: ["Failures", "JSON", "CArchive"]),
        .target(name: "DemoAssets", dependencies: ["JSON", "Corpus", "SafeTensors", "T5", "Kernels"]),
        .target(name: "Dataset", dependencies: ["Failures", "JSON", "SafeTensors"]),
        .target(name: "Report", dependencies: ["Failures", "JSON", "Pipeline", "Dataset", "Rouge", "Experiments"]),
        .target(name: "MPI", dependencies: ["Failures", "CMPI", "Pipeline", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // One function per pipeline stage, called by the thin executables (and by tests).
        .target(name: "Stages", dependencies: ["Failures", "JSON", "Pipeline", "Dataset", "SentencePiece", "Fetch", "Corpus", "SafeTensors", "T5", "Kernels", "Rouge", "PEFT", "T5Training", "Training"]),

        // Stage executables: parse arguments, call one library function.
        .executableTarget(name: "fetch-samsum", dependencies: ["Stages", "Pipeline", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "generate", dependencies: ["Failures", "Stages", "Pipeline", "MPI", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "train-lora", dependencies: ["Stages", "Pipeline", "MPI", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "pipeline-report", dependencies: ["Report", "Pipeline", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "fetch-model", dependencies: ["Stages", "Pipeline", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "demo-assets", dependencies: [
            "DemoAssets", "Pipeline", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "tokenize", dependencies: ["Failures", "SentencePiece", "Stages", "Pipeline", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // (each stage's issue adds its executableTarget here)
        .executableTarget(name: "score-rouge", dependencies: ["Failures", "Rouge", "Experiments", "Stages", "Pipeline", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // The tokenizer's encode timing next to the sentencepiece library (scripts/bench/spm_bench.sh), not a product.
        .executableTarget(name: "spm-bench", dependencies: ["Failures", "JSON", "SentencePiece", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Corpus parsing and writing timed against Python's json (scripts/bench/corpus_bench.sh), not a product.
        .executableTarget(name: "corpus-bench", dependencies: ["Corpus", "JSON"]),
        // Benchmark of the T5 engine against PyTorch (scripts/bench/t5_bench.sh), not a product.
        .executableTarget(name: "t5-bench", dependencies: ["JSON", "T5", "Kernels", "SafeTensors"], swiftSettings: fastMath),
        // Training steps on the reference run's real-length batches against PyTorch + PEFT
        // (scripts/bench/train_bench_samsum.sh), not a product.
        .executableTarget(name: "train-bench", dependencies: ["Stages", "Pipeline", "Dataset", "JSON", "Kernels", "T5Training", "T5", "SafeTensors", "Training", "PEFT"]),
        // Benchmark of the per-step pieces outside the model (LoRA's AdamW and clipping, the trainer's dropout)
        // against PyTorch (scripts/bench/lora_bench.sh), not a product.
        .executableTarget(name: "lora-bench", dependencies: ["Kernels", "Training", "T5Training"], swiftSettings: fastMath),

        // What several test targets share: built-product lookup, git, a seeded generator (no XCTest, no product uses it).
        .target(name: "TestSupport", dependencies: ["Kernels"], path: "Tests/TestSupport"),
        .testTarget(name: "JSONTests", dependencies: ["Failures", "JSON"]),
        .testTarget(name: "PipelineTests", dependencies: ["Failures", "JSON", "Pipeline"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["Failures", "SafeTensors"]),
        .testTarget(name: "KernelsTests", dependencies: ["TestSupport", "Kernels", "CNF4", "SafeTensors", "JSON", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "SentencePieceTests", dependencies: ["TestSupport", "Failures", "SentencePiece", "Kernels"]),
        .testTarget(name: "T5Tests", dependencies: ["T5", "Kernels", "SafeTensors", "PEFT"]),
        .testTarget(name: "PEFTTests", dependencies: ["JSON", "PEFT", "Kernels"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Kernels"]),
        .testTarget(name: "T5TrainingTests", dependencies: ["TestSupport", "Failures", "T5Training", "T5", "PEFT", "SafeTensors", "Kernels", "Training"]),
        .testTarget(name: "RougeTests", dependencies: ["TestSupport", "Failures", "Rouge"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["TestSupport", "Failures", "Rouge", "Pipeline", "Experiments"]),
        .testTarget(name: "FetchTests", dependencies: ["Failures", "Fetch", "Pipeline", .product(name: "FlyingFox", package: "FlyingFox"),
                                              .product(name: "FlyingSocks", package: "FlyingFox")]),
        .testTarget(name: "CorpusTests", dependencies: ["Failures", "JSON", "Corpus"]),
        .testTarget(name: "DemoAssetsTests", dependencies: ["DemoAssets", "T5"]),
        .testTarget(name: "DatasetTests", dependencies: ["Dataset", "JSON"]),
        .testTarget(name: "StagesTests", dependencies: ["TestSupport", "Failures", "Stages", "DemoAssets", "Corpus", "Dataset", "SafeTensors", "Report", "Experiments", "Rouge", "SentencePiece", "T5", "T5Training", "PEFT", "Pipeline", "JSON", "Kernels", "Training"]),
    ]
)
