// OpenBLAS's CBLAS interface (Debian: /usr/include/x86_64-linux-gnu/cblas.h via pkg-config).
#include <cblas.h>
// openblas_set_num_threads / openblas_get_num_threads are declared in cblas.h by OpenBLAS.
