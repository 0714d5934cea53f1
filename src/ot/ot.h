// Optimal-transport library (namespace emofuse::ot): log-domain Sinkhorn, IPOT, entropic
// Gromov-Wasserstein and cost helpers. One include for users; see docs/ot.md.
#pragma once

#include "ot/costs.h"
#include "ot/gromov_wasserstein.h"
#include "ot/ipot.h"
#include "ot/sinkhorn.h"
