// SwiftPM builds a C target only if it has a source file; everything lives in include/CPUHints.h.
#include "CPUHints.h"
