// Open MPI's C API for Swift. Its handles (MPI_COMM_WORLD, MPI_FLOAT, …) are macros that take the
// address of a library symbol, which Swift cannot import; these inline functions return them.
#include <mpi.h>

static inline MPI_Comm flan_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype flan_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype flan_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype flan_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Errhandler flan_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int flan_mpi_success(void) { return MPI_SUCCESS; }
