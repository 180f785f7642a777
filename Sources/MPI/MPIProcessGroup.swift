import ArgumentParser
import CMPI
import Failures
import Foundation
import Pipeline

/// `mpirun`'s ranks as a `ProcessGroup`, over Open MPI. A process that `mpirun` did not start never calls
/// MPI (`ProcessGroups.start()` returns `SingleProcess`), so a plain run needs no MPI daemon.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    private let world: MPI_Comm

    /// Whether `mpirun` (Open MPI's launcher, or a PMIx one) started this process.
    public static var launchedByMPIRun: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil
    }

    /// Initialises MPI; call once, from the main thread, before any other thread starts.
    init() throws {
        var provided: Int32 = 0
        try Self.check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided), "MPI_Init_thread")
        world = flan_mpi_comm_world()
        // Errors come back as return codes (reported, then the job is aborted), not as MPI's own abort.
        MPI_Comm_set_errhandler(world, flan_mpi_errors_return())
        var r: Int32 = 0, s: Int32 = 0
        try Self.check(MPI_Comm_rank(world, &r), "MPI_Comm_rank")
        try Self.check(MPI_Comm_size(world, &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
    }

    /// Ends MPI after a successful run (every rank must call it).
    public func finish() {
        MPI_Finalize()
    }

    public func gather(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var count = Int64(bytes.count)
        var counts = [Int64](repeating: 0, count: isLeader ? size : 0)
        try counts.withUnsafeMutableBufferPointer { out in
            try Self.check(MPI_Gather(&count, 1, flan_mpi_int64(), out.baseAddress, 1, flan_mpi_int64(), 0, world), "MPI_Gather")
        }
        guard counts.allSatisfy({ $0 <= Int64(Int32.max) }) else { throw PipelineError.internal("a gathered message exceeds 2 GiB") }
        let sizes = counts.map { Int32($0) }
        var displacements = [Int32](repeating: 0, count: sizes.count)
        for i in sizes.indices.dropFirst() { displacements[i] = displacements[i - 1] + sizes[i - 1] }
        var all = [UInt8](repeating: 0, count: Int(sizes.reduce(0, +)))
        try bytes.withUnsafeBufferPointer { send in
            try all.withUnsafeMutableBufferPointer { recv in
                try Self.check(MPI_Gatherv(send.baseAddress, Int32(bytes.count), flan_mpi_byte(), recv.baseAddress, sizes,
                                           displacements, flan_mpi_byte(), 0, world), "MPI_Gatherv")
            }
        }
        return sizes.indices.map { Array(all[Int(displacements[$0])..<Int(displacements[$0] + sizes[$0])]) }
    }

    public func broadcast(_ bytes: [UInt8]) throws -> [UInt8] {
        var count = Int64(bytes.count)
        try Self.check(MPI_Bcast(&count, 1, flan_mpi_int64(), 0, world), "MPI_Bcast")
        var buffer = isLeader ? bytes : [UInt8](repeating: 0, count: Int(count))
        try buffer.withUnsafeMutableBufferPointer {
            try Self.check(MPI_Bcast($0.baseAddress, Int32(count), flan_mpi_byte(), 0, world), "MPI_Bcast")
        }
        return buffer
    }

    public func orderedSum(_ values: inout [Float], contributors: Int) throws {
        let n = values.count
        guard n <= Int(Int32.max) else { throw PipelineError.internal("a summed buffer exceeds 2^31 floats") }
        var gathered = [Float](repeating: 0, count: isLeader ? n * size : 0)
        try values.withUnsafeBufferPointer { send in
            try gathered.withUnsafeMutableBufferPointer { recv in
                try Self.check(MPI_Gather(send.baseAddress, Int32(n), flan_mpi_float(), recv.baseAddress, Int32(n),
                                          flan_mpi_float(), 0, world), "MPI_Gather")
            }
        }
        if isLeader {
            // Rank 0's own terms first, then each contributor's in rank order: a fixed summation order.
            gathered.withUnsafeBufferPointer { all in
                values.withUnsafeMutableBufferPointer { sum in
                    for r in 1..<max(1, min(contributors, size)) {
                        let part = all.baseAddress! + r * n
                        for i in 0..<n { sum[i] += part[i] }
                    }
                }
            }
        }
        try values.withUnsafeMutableBufferPointer {
            try Self.check(MPI_Bcast($0.baseAddress, Int32(n), flan_mpi_float(), 0, world), "MPI_Bcast")
        }
    }

    public func barrier() throws { try Self.check(MPI_Barrier(world), "MPI_Barrier") }

    public func abort(status: Int32) -> Never {
        MPI_Abort(world, status)
        exit(status)
    }

    static func check(_ code: Int32, _ call: String) throws {
        guard code != flan_mpi_success() else { return }
        var length: Int32 = 0
        var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
        MPI_Error_string(code, &text, &length)
        throw PipelineError.io("\(call) failed: \(String(cString: text))")
    }
}

/// The group this process belongs to: MPI's ranks under `mpirun`, else this process alone.
public enum ProcessGroups {
    public static func start() throws -> ProcessGroup {
        MPIProcessGroup.launchedByMPIRun ? try MPIProcessGroup() : SingleProcess()
    }

    /// Runs a stage executable's body in `group`: a failure on any rank (its error line already printed)
    /// ends every rank with that status; success finalises MPI.
    public static func run(_ group: ProcessGroup, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as ExitCode where group.size > 1 {
            group.abort(status: e.rawValue)
        }
        (group as? MPIProcessGroup)?.finish()
    }
}
