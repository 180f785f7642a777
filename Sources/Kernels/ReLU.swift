// ReLU for the original T5 feed-forward (feed_forward_proj "relu").

public enum ReLU {
    public static func forward(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count where x[i] < 0 { x[i] = 0 }
    }

    /// dx = dout where the saved output was positive.
    public static func backward(_ dout: UnsafePointer<Float>, output: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dx[i] = output[i] > 0 ? dout[i] : 0 }
    }
}
