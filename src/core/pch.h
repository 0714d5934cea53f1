// Precompiled header for every emofuse target: <torch/torch.h> alone costs ~30 s per translation
// unit on our 2-core machines, so it is parsed once here and reused (see CMakeLists.txt).
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>
