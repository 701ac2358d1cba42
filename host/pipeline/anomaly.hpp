// The `anomaly` column (SPEC 4): a row is flagged when its value (a count, or the changed
// area of a `change` zone) lies far outside the site's own history of that class.
//
// - The history is the previous observable rows, less those that were flagged themselves: a
//   day with 73 rail cars must not make 60 look normal a week later. A level that persists is
//   the new normal, though: after `min_history` flagged rows in a row they join the history
//   and the recent history (median, trend) starts again from them (a depot that fills up is
//   flagged while it fills, not forever).
// - Counts: robust z = (value - median) / max(1.4826 MAD, 1) of the last `window` values.
// - The changed fraction of a `change` zone follows the seasons (fields brown in autumn,
// docs/ALGORITHMS.md "Seasons"),
//   so it is compared like with like: against the rows of the same time of year (within 30
//   days of the day of year) of earlier years when there are at least `min_history` of them,
//   else against the trend of the last `window` values (Theil-Sen line; Sen, "Estimates of
//   the regression coefficient based on Kendall's tau", JASA 63(324), 1968), z being the
//   residual over max(1.4826 MAD of the residuals, change_scale_floor): fields that brown
//   against a weeks-old median reference take the changed fraction of a quiet site from
//   ~0.01 to 0.10-0.17 within two dates (synthetic control site, November), so only
//   departures of more than z x 0.05 (0.2 at z = 4) from the season or trend count while the
//   history is flat.
// - A changed fraction is reported once per change: it is a state, and it stays as long as
//   the change stands (against the archive reference, for the rest of the archive: a quiet
//   site's fields that browned in November were flagged on every later date). A row outside
//   its season or trend is not reported while it lies within z x change_scale_floor of the
//   value last reported; the change is over when a row is ordinary again and away from that
//   value. Counts are reported on every abnormal row (a second day with 68 rail cars is
//   news).
// No score (nullopt) with fewer than `min_history` values to compare with.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace sw {

// Least robust sigma of a changed fraction (counts: 1).
inline constexpr double change_scale_floor = 0.05;

class anomaly_history {
 public:
  anomaly_history(int window, double z, int min_history, bool seasonal)
      : window_(window), z_(z), min_history_(min_history), seasonal_(seasonal) {}

  // The robust z-score of `value` observed at `t` (Unix seconds) against the history.
  std::optional<double> score(std::int64_t t, double value) const;

  // Scores the row, records it, and returns its flag (nullopt: too little history).
  std::optional<bool> observe(std::int64_t t, double value);

 private:
  struct entry {
    std::int64_t t;
    double value;
  };
  int window_;
  double z_;
  int min_history_;
  bool seasonal_;
  std::vector<entry> history_;      // unflagged (or admitted) rows, in time order
  std::size_t regime_start_ = 0;    // first entry of the current level (median, trend)
  std::vector<entry> flagged_;      // the current run of consecutive flagged rows
  std::optional<double> reported_;  // changed fraction: the value of the change last reported
};

// (value - median) / max(1.4826 MAD, floor) over `values`; nullopt when there are fewer than
// min_history (or none).
std::optional<double> robust_z(const std::vector<double>& values, double value, int min_history,
                               double floor = 1.0);

}  // namespace sw
