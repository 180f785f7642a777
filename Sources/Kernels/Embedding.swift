// Token embedding lookup and its backward (scatter-add into the table's gradient).

public enum Embedding {
    /// out[i, :] = table[ids[i], :]; ids must already be bounds-checked against the vocabulary.
    public static func forward(ids: [Int32], table: UnsafePointer<Float>, dim: Int, _ out: UnsafeMutablePointer<Float>) {
        for (i, id) in ids.enumerated() {
            (out + i * dim).update(from: table + Int(id) * dim, count: dim)
        }
    }

    /// dtable[ids[i], :] += dout[i, :].
    public static func backward(ids: [Int32], dout: UnsafePointer<Float>, dim: Int, dtable: UnsafeMutablePointer<Float>) {
        for (i, id) in ids.enumerated() {
            let row = dtable + Int(id) * dim, d = dout + i * dim
            for j in 0..<dim { row[j] += d[j] }
        }
    }
}
