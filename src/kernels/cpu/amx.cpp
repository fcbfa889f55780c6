#include "kernels/cpu/amx.h"

#if defined(__AMX_TILE__) && defined(__AMX_BF16__) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace seek::cpu {

bool amx_bf16_usable() {
#if defined(__AMX_TILE__) && defined(__AMX_BF16__) && defined(__linux__)
  // Linux keeps the 8 KiB tile data out of every thread's saved state until the process asks for it
  // (ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA); a tile instruction before that faults.
  constexpr int kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  static const bool granted = syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  return granted;
#else
  return false;
#endif
}

}  // namespace seek::cpu
