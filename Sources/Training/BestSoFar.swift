/// `train.keep: best`: the best evaluation so far (the lowest validation loss, or with
/// `train.metric_for_best_model` a ROUGE type the highest generated ROUGE), the trainable values it was
/// measured on, and how many evaluations since have not beaten it (early stopping counts these). It is part
/// of every checkpoint, so a resumed run chooses the step an uninterrupted one would.
struct BestSoFar: Equatable {
    var step: Int
    var validationLoss: Float
    /// The metric's value at `step` when it is not the loss (higher is better).
    var metric: Double?
    /// Trainable parameter name → values at `step`.
    var values: [String: [Float]]
    var evaluationsWithoutImprovement = 0

    /// Takes the evaluation at `step`. It becomes the best only when strictly better (a tie keeps the earlier
    /// step), as transformers' Trainer compares with np.less / np.greater: by `metric` when one is given, else
    /// by the loss. `values` is read only when the step becomes the best.
    static func update(_ best: inout BestSoFar?, step: Int, validationLoss: Float, metric: Double? = nil,
                       values: () -> [String: [Float]]) {
        if let current = best, !isBetter(loss: validationLoss, metric: metric, than: current) {
            best!.evaluationsWithoutImprovement += 1
        } else {
            best = BestSoFar(step: step, validationLoss: validationLoss, metric: metric, values: values())
        }
    }

    private static func isBetter(loss: Float, metric: Double?, than current: BestSoFar) -> Bool {
        if let metric, let best = current.metric { return metric > best }
        return loss < current.validationLoss
    }
}
