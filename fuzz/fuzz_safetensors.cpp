// libFuzzer target: the safetensors parser must turn any byte string into either a valid file or a seek::Error —
// never a crash, a hang, an out-of-bounds read or any other exception. Every tensor it accepts is read end to end.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "formats/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    seek::SafetensorsFile f = seek::SafetensorsFile::parse(nullptr, data, size, "fuzz-input");
    volatile uint8_t sink = 0;
    for (const auto& name : f.names()) {
      seek::Tensor t = f.tensor(name);
      const uint8_t* p = static_cast<const uint8_t*>(t.data);
      for (size_t i = 0; i < t.nbytes(); i++) sink = sink ^ p[i];
    }
  } catch (const seek::Error&) {
  }
  return 0;
}
