// A random tiny T5 built in memory, for finite-difference and determinism tests.
import Kernels
import Foundation
import TestSupport
import SafeTensors
import T5
@testable import T5Training

enum TinyModel {
    static func config(gated: Bool, tied: Bool) -> T5Config {
        T5Config(dModel: 12, dKV: 4, dFF: 10, numHeads: 3, numLayers: 2, numDecoderLayers: 2, vocabSize: 23,
                 relativeAttentionNumBuckets: 8, relativeAttentionMaxDistance: 10, feedForward: gated ? .gatedGelu : .relu,
                 tieWordEmbeddings: tied)
    }

    /// Every tensor of `config` drawn from a seeded generator (norm weights near 1, projections ~1/√fan_in).
    static func file(_ config: T5Config, seed: UInt64) throws -> SafeTensorsFile {
        var rng = SplitMix64(seed: seed)
        var writer = SafeTensorsWriter()
        func add(_ name: String, _ shape: [Int], scale: Float, offset: Float = 0) throws {
            let values = (0..<shape.reduce(1, *)).map { _ in offset + scale * rng.normal() }
            try writer.add(name, shape: shape, floats: values)
        }
        let d = config.dModel, inner = config.innerDim, ff = config.dFF
        func attention(_ p: String, bias: Bool) throws {
            for n in ["q", "k", "v"] { try add("\(p).\(n).weight", [inner, d], scale: 1 / Float(d).squareRoot()) }
            try add("\(p).o.weight", [d, inner], scale: 1 / Float(inner).squareRoot())
            if bias { try add("\(p).relative_attention_bias.weight", [config.relativeAttentionNumBuckets, config.numHeads], scale: 1) }
        }
        func feedForward(_ p: String) throws {
            let inputs = config.feedForward == .gatedGelu ? ["wi_0", "wi_1"] : ["wi"]
            for n in inputs { try add("\(p).\(n).weight", [ff, d], scale: 1 / Float(d).squareRoot()) }
            try add("\(p).wo.weight", [d, ff], scale: 1 / Float(ff).squareRoot())
        }
        try add("shared.weight", [config.vocabSize, d], scale: 1)
        for i in 0..<config.numLayers {
            try add("encoder.block.\(i).layer.0.layer_norm.weight", [d], scale: 0.2, offset: 1)
            try attention("encoder.block.\(i).layer.0.SelfAttention", bias: i == 0)
            try add("encoder.block.\(i).layer.1.layer_norm.weight", [d], scale: 0.2, offset: 1)
            try feedForward("encoder.block.\(i).layer.1.DenseReluDense")
        }
        try add("encoder.final_layer_norm.weight", [d], scale: 0.2, offset: 1)
        for i in 0..<config.numDecoderLayers {
            try add("decoder.block.\(i).layer.0.layer_norm.weight", [d], scale: 0.2, offset: 1)
            try attention("decoder.block.\(i).layer.0.SelfAttention", bias: i == 0)
            try add("decoder.block.\(i).layer.1.layer_norm.weight", [d], scale: 0.2, offset: 1)
            try attention("decoder.block.\(i).layer.1.EncDecAttention", bias: false)
            try add("decoder.block.\(i).layer.2.layer_norm.weight", [d], scale: 0.2, offset: 1)
            try feedForward("decoder.block.\(i).layer.2.DenseReluDense")
        }
        try add("decoder.final_layer_norm.weight", [d], scale: 0.2, offset: 1)
        if !config.tieWordEmbeddings { try add("lm_head.weight", [config.vocabSize, d], scale: 1 / Float(d).squareRoot()) }
        return try SafeTensorsFile(bytes: writer.serialized(), label: "tiny")
    }

    /// Ragged batch of 2 rows with padding on both sides (sources 7 and 4, targets 3 and 5).
    static func batch(vocab: Int) throws -> UnpaddedBatch {
        try UnpaddedBatch(sources: [[5, 9, 3, 17, 2, 11, 1], [8, 4, 20, 1]], targets: [[6, 13, 1], [3, 7, 19, 10, 1]],
                          vocabSize: vocab)
    }
}

