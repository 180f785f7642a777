// A named fp32 tensor of the model and, when it is trained, its gradient buffer.

/// Owned, zero-initialised Float storage (freed with the owner).
final class FloatStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}

public final class Parameter: @unchecked Sendable {
    /// Hugging Face / PEFT state-dict name, e.g. "encoder.block.0.layer.0.SelfAttention.q.weight".
    public let name: String
    public let shape: [Int]
    public let count: Int
    /// The values. Frozen weights of a LoRA run may point into the read-only mapped model file.
    public let value: UnsafeMutablePointer<Float>
    /// ∂loss/∂value accumulated by `backward`; nil for frozen parameters (no weight-gradient work at all).
    public let gradient: UnsafeMutablePointer<Float>?
    private let owners: [AnyObject]

    init(name: String, shape: [Int], value: UnsafeMutablePointer<Float>, valueOwner: AnyObject?, trainable: Bool) {
        self.name = name
        self.shape = shape
        count = shape.reduce(1, *)
        self.value = value
        var owners: [AnyObject] = valueOwner.map { [$0] } ?? []
        if trainable {
            let storage = FloatStorage(count: count)
            owners.append(storage)
            gradient = storage.pointer
        } else {
            gradient = nil
        }
        self.owners = owners
    }

    /// A parameter owning a copy of `values`.
    convenience init(name: String, shape: [Int], values: [Float], trainable: Bool) {
        let storage = FloatStorage(count: values.count)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: values.count) }
        self.init(name: name, shape: shape, value: storage.pointer, valueOwner: storage, trainable: trainable)
    }

    public var isTrainable: Bool { gradient != nil }

    public var values: [Float] { Array(UnsafeBufferPointer(start: value, count: count)) }

    public var gradients: [Float]? { gradient.map { Array(UnsafeBufferPointer(start: $0, count: count)) } }

    public func zeroGradient() { gradient?.update(repeating: 0, count: count) }
}
