// What OpenBLAS did the dense math: its build, the kernels it runs (chosen from this CPU's features
// at program start, see Sources/COpenBLAS), and why those kernels.
import COpenBLAS

public enum BLASLibrary {
    /// openblas_get_config(), e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64".
    public static var configuration: String { String(cString: blas_config()) }
    /// openblas_get_corename(): the kernel family in use, e.g. "SkylakeX".
    public static var coreName: String { String(cString: blas_core_name()) }
    /// How the kernels were chosen (the user's OPENBLAS_CORETYPE, this CPU's features, or OpenBLAS itself).
    public static var coreChoice: String { String(cString: blas_core_choice()) }
    /// Why OpenBLAS could not be loaded, or nil.
    public static var loadError: String? { blas_load_error().map { String(cString: $0) } }

    /// The OPENBLAS_CORETYPE this CPU's feature bits call for (nil: OpenBLAS's own detection), and why.
    public static var coreForThisCPU: (core: String?, reason: String) {
        var reason = [CChar](repeating: 0, count: 128)
        let core = blas_core_for_cpu(&reason, Int32(reason.count))
        return (core.map { String(cString: $0) }, String(cString: reason))
    }
}
