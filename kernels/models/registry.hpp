#pragma once
// Every neuron model of the build. A new model is one header in this folder
// (the interface is described in model.hpp) and one entry in Models.

#include "kernels/models/adex.hpp"
#include "kernels/models/izhikevich.hpp"
#include "kernels/models/lif.hpp"
#include "kernels/models/poisson.hpp"
#include "kernels/models/spike_times.hpp"
#include "kernels/models/stn_hh.hpp"
#include "kernels/models/stn_terman_rubin.hpp"
#include "kernels/models/tc_rubin_terman.hpp"

namespace cbgtc::models {

template <class... M>
struct ModelList {};

using Models = ModelList<StnHH, StnTermanRubin, AdEx, Izhikevich, Lif, Poisson, SpikeTimes, TcRubinTerman>;

}  // namespace cbgtc::models
