import Foundation
import JSON

/// The processes that run one stage together: this process alone (every run without `mpirun`), or
/// `mpirun`'s ranks (the MPI module). Rank 0 decides (cache hit or compute), writes the store entry,
/// the checkpoints and the log; the others compute their share and discard their outputs.
/// Every collective is ordered by rank, so its result does not depend on timing.
public protocol ProcessGroup: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Rank 0 receives every rank's bytes, in rank order; the other ranks receive [].
    func gather(_ bytes: [UInt8]) throws -> [[UInt8]]
    /// Every rank receives rank 0's bytes.
    func broadcast(_ bytes: [UInt8]) throws -> [UInt8]
    /// Replaces `values` (the same count on every rank) on every rank with the elementwise sum of the first
    /// `contributors` ranks' values, added in rank order ((v₀ + v₁) + v₂ …): the bytes a single process gets
    /// when it adds the same terms in the same order. Not MPI_Allreduce, whose order is not fixed.
    func orderedSum(_ values: inout [Float], contributors: Int) throws
    /// Returns when every rank has called it.
    func barrier() throws
    /// Ends every process of the group with `status` (a failed rank must not leave the others waiting).
    func abort(status: Int32) -> Never
}

/// The group of one: every collective is the identity.
public final class SingleProcess: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func gather(_ bytes: [UInt8]) throws -> [[UInt8]] { [bytes] }
    public func broadcast(_ bytes: [UInt8]) throws -> [UInt8] { bytes }
    public func orderedSum(_ values: inout [Float], contributors: Int) throws {}
    public func barrier() throws {}
    public func abort(status: Int32) -> Never { exit(status) }
}

extension ProcessGroup {
    public var isLeader: Bool { rank == 0 }

    /// Rank 0 receives every rank's floats (any count each, bit for bit), in rank order; the others receive [].
    public func gather(floats: [Float]) throws -> [[Float]] {
        try gather(floats.flatMap { bytes(of: $0.bitPattern) }).map { part in
            stride(from: 0, to: part.count, by: 4).map { Float(bitPattern: value(in: part, at: $0)) }
        }
    }

    /// Rank 0 receives every rank's integer, in rank order; the others receive [].
    public func gather(_ value: Int) throws -> [Int] {
        try gather(bytes(of: Int64(value))).map { Int(self.value(in: $0, at: 0) as Int64) }
    }

    /// Rank 0's float, bit for bit, on every rank.
    public func broadcast(_ value: Float) throws -> Float {
        Float(bitPattern: self.value(in: try broadcast(bytes(of: value.bitPattern)), at: 0))
    }

    private func bytes<T: FixedWidthInteger>(of v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    private func value<T: FixedWidthInteger>(in bytes: [UInt8], at offset: Int) -> T {
        var v: T = 0
        withUnsafeMutableBytes(of: &v) { $0.copyBytes(from: bytes[offset..<offset + MemoryLayout<T>.size]) }
        return T(littleEndian: v)
    }

    /// Rank 0's value of a small codable-as-JSON decision, on every rank.
    public func broadcast(_ value: JSONValue) throws -> JSONValue {
        let bytes = try broadcast(Array(value.canonical.utf8))
        return try JSONValue.parse(Data(bytes))
    }
}
