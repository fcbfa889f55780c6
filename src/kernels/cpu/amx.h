// AMX (Advanced Matrix Extensions) tiles at run time: whether the matmul kernels may use them, and the tile
// configuration a thread loads before it does.
#pragma once

namespace seek::cpu {

// True when this build carries the AMX-BF16 kernels (compiled for a CPU with AMX tiles and bf16 tile products) and
// the operating system granted this process the tile state (Linux asks for it with arch_prctl; a kernel without
// AMX support refuses). Decided once per process, on the first call; false on every other CPU and build.
bool amx_bf16_usable();

}  // namespace seek::cpu
