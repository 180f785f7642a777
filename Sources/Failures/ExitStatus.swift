import Foundation

/// The documented exit codes of every stage executable (see README "Exit codes").
/// They follow sysexits(3) where one fits, so shell scripts can tell failures apart.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    /// `--verify` found a recomputed output that differs from the cached one.
    case verifyMismatch = 1
    /// Bad command line or bad pipeline.yaml (unknown key, wrong type).
    case usage = 64
    /// An input file is malformed: corrupt archive, bad JSON, invalid record, hostile header.
    case badInput = 65
    /// A required input file does not exist.
    case missingInput = 66
    /// Every mirror failed, a timeout, an HTTP error.
    case network = 69
    /// A bug: an invariant that should hold did not.
    case `internal` = 70
    /// The disk refused: cannot create, write, rename, fsync.
    case io = 74
    /// Training produced a NaN/Inf loss or gradient (the last good checkpoint is kept).
    case trainingDiverged = 75
    /// Content does not match its pinned digest or size.
    case integrity = 76
    /// Killed by SIGINT/SIGTERM (128 + signal number is the shell's convention; we use 130).
    case interrupted = 130
}
