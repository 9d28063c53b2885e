#pragma once
// The LFP proxy's anti-aliasing (docs/model.md §7.2): the device averages
// each neuron's Σ|I_syn| over short windows at a rate several times the
// analysed one, and the host low-passes that series and keeps every D-th
// sample. A plain average over the analysed interval is not enough: pulse-
// locked synaptic currents (DBS at 130 Hz) have harmonics whose aliases land
// inside the analysed band (910 Hz → 90 Hz at 1 kHz), attenuated by only
// 20 dB by a 1 ms average.

#include <cstdint>
#include <vector>

namespace cbgtc::analysis {

/// How the LFP proxy is sampled for an analysed interval of `every` steps:
/// the device's samples are `device_every` steps apart (each the mean of
/// its steps), and the host keeps every `decimation`-th of them after its
/// low-pass: device_every · decimation = every.
struct LfpSampling {
  std::int64_t every = 1;
  std::int64_t device_every = 1;
  std::int64_t decimation = 1;
};

/// The smallest decimation D ≥ 8 that divides `every` (the device then
/// samples at least 8 times as often as the analysis), or `every` itself
/// (sampling every step) when no such divisor exists.
LfpSampling lfpSampling(std::int64_t every);

/// The low-pass of decimation by D: a Blackman-windowed sinc of 12·D + 1
/// taps cut off at the output's Nyquist frequency f_out/2, scaled to a sum
/// of 1 (DC passes unchanged). Its transition spans about 0.27–0.73·f_out:
/// it passes up to 0.27·f_out within 0.1 % and attenuates from 0.73·f_out
/// on by at least 70 dB, so nothing aliases below 0.27·f_out (270 Hz of a
/// 1 kHz analysis, past the analysed bands).
std::vector<double> decimationFilter(std::int64_t decimation);

/// The highest frequency that the analysed series of `sampling`, at fs_hz,
/// holds unattenuated (within 0.1 %): 0.27·fs_hz after a decimation, the
/// Nyquist frequency fs_hz / 2 without one. A band past it is analysed
/// attenuated, so the analyses treat it as outside the spectrum.
double passbandHz(const LfpSampling& sampling, double fs_hz);

/// x low-passed and sampled at every D-th sample from 0: y[m] is the
/// filter centred on x[m·D] (the ends mirrored), so y keeps x's time base.
std::vector<double> decimate(const std::vector<double>& x, std::int64_t decimation);

}  // namespace cbgtc::analysis
