/// `train.keep: best`: the lowest validation loss seen so far, the trainable values it was measured
/// on, and how many evaluations since have not beaten it (early stopping counts these). It is part of
/// every checkpoint, so a resumed run chooses the step an uninterrupted one would.
struct BestSoFar: Equatable {
    var step: Int
    var validationLoss: Float
    /// Trainable parameter name → values at `step`.
    var values: [String: [Float]]
    var evaluationsWithoutImprovement = 0

    /// Takes the evaluation at `step`; a loss that is not lower than the best (a tie too) keeps the
    /// earlier step. `values` is read only when the step becomes the best.
    static func update(_ best: inout BestSoFar?, step: Int, validationLoss: Float, values: () -> [String: [Float]]) {
        if let current = best, !(validationLoss < current.validationLoss) {
            best!.evaluationsWithoutImprovement += 1
        } else {
            best = BestSoFar(step: step, validationLoss: validationLoss, values: values())
        }
    }
}
