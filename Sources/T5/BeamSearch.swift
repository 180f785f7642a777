// Beam search replicating transformers 5's vectorised `_beam_search` step for step: top 2·num_beams
// continuations over all beams, the best non-finished num_beams continue, the top num_beams
// candidates that end (EOS or max length) compete with earlier finished hypotheses under the
// length penalty, and the early-stopping heuristic decides when a source is done. Scores are fp32
// and the "impossible" marks are the same −1e9 additions, so ties and near-ties resolve alike.
import Foundation
import Kernels

enum BeamSearch {
    static let impossible: Float = -1.0e9

    private struct Hypothesis {
        var tokens: [Int32]
        var score: Float
    }

    private struct Candidate {
        var value: Float
        var flatIndex: Int
        var beam: Int
        var token: Int32
    }

    /// Per-source search state.
    private struct Source {
        var running: [Hypothesis]
        var finished: [Hypothesis]
        var isFinished: [Bool]
        var heuristicUnsatisfied = true
        var done = false
    }

    static func run(model: T5Model, encoder: EncoderOutput, settings: GenerationSettings) throws -> [[Int32]] {
        let config = model.config, vocab = config.vocabSize, batch = encoder.batch, beams = settings.numBeams
        let eos = config.eosTokenId
        let maxLength = 1 + settings.maxNewTokens
        let keep = 2 * beams
        let start = Hypothesis(tokens: [config.decoderStartTokenId], score: 0)
        var sources = (0..<batch).map { _ in
            Source(running: (0..<beams).map { Hypothesis(tokens: start.tokens, score: $0 == 0 ? 0 : impossible) },
                   finished: (0..<beams).map { _ in Hypothesis(tokens: [], score: impossible) },
                   isFinished: [Bool](repeating: false, count: beams))
        }
        let slots = batch * beams
        let cache = model.makeDecoderCache(encoder: encoder, sourceOf: (0..<slots).map { $0 / beams }, capacity: settings.maxNewTokens)
        let logits = FloatBuffer(count: slots * vocab, zeroed: false)
        var curLength = 1
        // sources still searching; source activeSources[k] owns cache slots k·beams ..< (k+1)·beams
        var activeSources = Array(0..<batch)

        while true {
            let tokens = activeSources.flatMap { sources[$0].running.map { $0.tokens.last! } }
            model.decode(cache: cache, tokens: tokens, positions: 1, logits: logits.pointer)
            try LogitsProcessing.requireFinite(logits.pointer, rows: tokens.count, vocab: vocab, step: curLength - 1)
            var reorder = Array(0..<(activeSources.count * beams))
            for (k, b) in activeSources.enumerated() {
                var candidates: [Candidate] = []
                candidates.reserveCapacity(keep * beams)
                for beam in 0..<beams {
                    let row = logits.pointer + (k * beams + beam) * vocab
                    LogitsProcessing.logSoftmax(row, count: vocab)
                    let hypothesis = sources[b].running[beam]
                    LogitsProcessing.apply(row, sequence: hypothesis.tokens, generated: curLength - 1, settings: settings, eos: eos)
                    let runningScore = hypothesis.score
                    for i in 0..<vocab { row[i] += runningScore }
                    for best in Selection.topK(row, count: vocab, k: keep) {
                        candidates.append(Candidate(value: best.value, flatIndex: beam * vocab + best.index, beam: beam, token: Int32(best.index)))
                    }
                }
                candidates.sort { $0.value > $1.value || ($0.value == $1.value && $0.flatIndex < $1.flatIndex) }
                let top = Array(candidates.prefix(keep))
                let hits = top.map { $0.token == eos || curLength + 1 >= maxLength }
                step(source: &sources[b], top: top, hits: hits, curLength: curLength, maxLength: maxLength,
                     settings: settings, reorder: &reorder, slotBase: k * beams)
            }
            curLength += 1
            for b in activeSources {
                updateHeuristic(&sources[b], curLength: curLength, maxLength: maxLength, settings: settings)
                let allFinished = !sources[b].isFinished.contains(false)
                if !sources[b].heuristicUnsatisfied || (settings.earlyStopping == .whenBeamsFull && allFinished)
                    || curLength >= maxLength {
                    sources[b].done = true
                }
            }
            // A done source can no longer change its finished hypotheses (transformers keeps computing
            // it with every candidate marked impossible), so its slots leave the cache.
            let remaining = activeSources.indices.filter { !sources[activeSources[$0]].done }
            if remaining.isEmpty { break }
            cache.reorder(from: remaining.flatMap { k in (0..<beams).map { reorder[k * beams + $0] } })
            activeSources = remaining.map { activeSources[$0] }
        }
        return sources.map { Array($0.finished[0].tokens.dropFirst()) }
    }

    private static func step(source: inout Source, top: [Candidate], hits: [Bool], curLength: Int, maxLength: Int,
                             settings: GenerationSettings, reorder: inout [Int], slotBase: Int) {
        let beams = settings.numBeams
        // next running beams: the best continuations that did not just finish
        let runningValues = zip(top, hits).map { $0.value + ($1 ? impossible : 0) }
        let runningOrder = stableTopIndices(runningValues, count: beams)
        let previous = source.running
        source.running = runningOrder.map { index in
            Hypothesis(tokens: previous[top[index].beam].tokens + [top[index].token], score: runningValues[index])
        }
        for (slot, index) in runningOrder.enumerated() { reorder[slotBase + slot] = slotBase + top[index].beam }

        // finished hypotheses: only the top num_beams candidates may finish
        let divisor = Float(pow(Double(curLength + 1 - 1), Double(settings.lengthPenalty)))
        let full = !source.isFinished.contains(false) && settings.earlyStopping == .whenBeamsFull
        var mergedScores = source.finished.map(\.score)
        var mergedFinished = source.isFinished
        var mergedTokens = source.finished.map(\.tokens)
        for (index, candidate) in top.enumerated() {
            var score = candidate.value / divisor
            if full { score += impossible }
            if !source.heuristicUnsatisfied { score += impossible }
            let justFinished = hits[index] && index < beams
            if !justFinished { score += impossible }
            mergedScores.append(score)
            mergedFinished.append(justFinished)
            mergedTokens.append(previous[candidate.beam].tokens + [candidate.token])
        }
        let chosen = stableTopIndices(mergedScores, count: beams)
        source.finished = chosen.map { Hypothesis(tokens: mergedTokens[$0], score: mergedScores[$0]) }
        source.isFinished = chosen.map { mergedFinished[$0] }
    }

    private static func updateHeuristic(_ source: inout Source, curLength: Int, maxLength: Int, settings: GenerationSettings) {
        let hypotheticalLength = settings.earlyStopping == .never && settings.lengthPenalty > 0 ? maxLength - 1 : curLength - 1
        let bestRunning = source.running[0].score / Float(pow(Double(hypotheticalLength), Double(settings.lengthPenalty)))
        let worstFinished = source.isFinished.contains(false) ? impossible : source.finished.map(\.score).min()!
        source.heuristicUnsatisfied = source.heuristicUnsatisfied && bestRunning > worstFinished
    }

    /// Indices of the `count` largest values, largest first, lower index first on ties.
    private static func stableTopIndices(_ values: [Float], count: Int) -> [Int] {
        Array(values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(count))
    }
}
