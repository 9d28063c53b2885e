#pragma once
// Short-term plasticity of a projection: the Tsodyks–Markram model with
// depression and facilitation, in the form of NEST's tsodyks2_synapse
// (docs/model.md §4.8). Every synapse of one source neuron in a projection
// sees the same spike train, so one state per source neuron describes them
// all; it is a function of the source's spike times alone, which every rank
// sees in the same order, so results stay independent of the rank count.

#include <cmath>

#include "kernels/types.hpp"

namespace cbgtc {

struct TsodyksMarkram {
  double U = 0.0;             // release probability of a rested synapse; 0: a static synapse
  double tau_rec_ms = 800.0;  // recovery of the resources x
  double tau_fac_ms = 0.0;    // decay of the facilitation u towards U; 0: no facilitation

  bool enabled() const { return U > 0.0; }
};

/// One source neuron's synapses: u and x as they were at its last spike,
/// before that spike's release (NEST's tsodyks2 convention).
struct ReleaseState {
  double u = 0.0;
  double x = 1.0;
  step_type last_step = -1;  // < 0: no spike yet
};

inline ReleaseState restedRelease(const TsodyksMarkram& model) { return ReleaseState{model.U, 1.0, -1}; }

/// A spike of the source in `step`: updates the state and returns the
/// spike's efficacy u·x / U, so that a weight w is the conductance a spike
/// after a long silence delivers (NEST's tsodyks2 weight is w / U). The
/// first spike finds the synapse rested (efficacy 1).
inline double releaseAt(const TsodyksMarkram& model, ReleaseState& s, step_type step, double dt_ms) {
  if (s.last_step >= 0) {
    const double h_ms = static_cast<double>(step - s.last_step) * dt_ms;
    s.x = 1.0 + (s.x - s.x * s.u - 1.0) * std::exp(-h_ms / model.tau_rec_ms);
    s.u = model.tau_fac_ms > 0.0 ? model.U + s.u * (1.0 - model.U) * std::exp(-h_ms / model.tau_fac_ms)
                                 : model.U;
  }
  s.last_step = step;
  return s.u * s.x / model.U;
}

/// The efficacy of every spike of a regular train with interval h_ms once
/// it has settled (the fixed point of releaseAt): docs/model.md §4.8.
inline double steadyStateEfficacy(const TsodyksMarkram& model, double h_ms) {
  const double d = std::exp(-h_ms / model.tau_rec_ms);
  const double f = model.tau_fac_ms > 0.0 ? std::exp(-h_ms / model.tau_fac_ms) : 0.0;
  const double u = model.U / (1.0 - (1.0 - model.U) * f);
  const double x = (1.0 - d) / (1.0 - (1.0 - u) * d);
  return u * x / model.U;
}

}  // namespace cbgtc
