#include "host/pipeline/anomaly.hpp"

#include <algorithm>
#include <cmath>

namespace sw {
namespace {

constexpr double k_day = 86400.0;
constexpr double k_year_days = 365.2425;

double median_of(std::vector<double> v) {
  const std::size_t m = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m), v.end());
  const double hi = v[m];
  if (v.size() % 2) return hi;
  return 0.5 * (*std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m)) + hi);
}

// max(1.4826 * median |v - median(v)|, floor)
double robust_scale(const std::vector<double>& v, double centre, double floor) {
  std::vector<double> dev(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) dev[i] = std::fabs(v[i] - centre);
  return std::max(1.4826 * median_of(dev), floor);
}

// Days between two day-of-year positions, on the circle of a year.
double season_distance(std::int64_t a, std::int64_t b) {
  const double d = std::fmod(std::fabs(static_cast<double>(a - b)) / k_day, k_year_days);
  return std::min(d, k_year_days - d);
}

}  // namespace

std::optional<double> robust_z(const std::vector<double>& values, double value, int min_history,
                               double floor) {
  if (values.empty() || static_cast<int>(values.size()) < min_history) return std::nullopt;
  const double med = median_of(values);
  return (value - med) / robust_scale(values, med, floor);
}

std::optional<double> anomaly_history::score(std::int64_t t, double value) const {
  const std::size_t n =
      std::min(history_.size() - regime_start_, static_cast<std::size_t>(std::max(window_, 0)));
  if (seasonal_) {  // the same time of year in earlier years (at least 300 days before)
    std::vector<double> same_season;
    for (const entry& e : history_)
      if (t - e.t >= static_cast<std::int64_t>(300 * k_day) && season_distance(t, e.t) <= 30.0)
        same_season.push_back(e.value);
    if (static_cast<int>(same_season.size()) >= min_history_)
      return robust_z(same_season, value, min_history_, change_scale_floor);
  }
  if (n == 0 || static_cast<int>(n) < min_history_) return std::nullopt;
  const auto recent = history_.end() - static_cast<std::ptrdiff_t>(n);
  if (!seasonal_) {
    std::vector<double> v;
    for (auto it = recent; it != history_.end(); ++it) v.push_back(it->value);
    return robust_z(v, value, min_history_);
  }
  // else the trend of the recent rows: Theil-Sen slope (median of pairwise slopes, per day)
  std::vector<double> slopes;
  for (auto i = recent; i != history_.end(); ++i)
    for (auto j = i + 1; j != history_.end(); ++j)
      if (j->t != i->t) slopes.push_back((j->value - i->value) / ((j->t - i->t) / k_day));
  const double slope = slopes.empty() ? 0.0 : median_of(slopes);
  std::vector<double> residual;
  for (auto it = recent; it != history_.end(); ++it)
    residual.push_back(it->value - slope * ((it->t - t) / k_day));  // level now, per row
  const double level = median_of(residual);
  return (value - level) / robust_scale(residual, level, change_scale_floor);
}

std::optional<bool> anomaly_history::observe(std::int64_t t, double value) {
  const std::optional<double> z = score(t, value);
  const bool outside = z && std::fabs(*z) > z_;
  // A changed fraction stays at its new level as long as the change stands: within
  // z x change_scale_floor of the level last reported, it is the same change, not news.
  const bool same_change =
      seasonal_ && reported_ && std::fabs(value - *reported_) <= z_ * change_scale_floor;
  if (!outside) {
    flagged_.clear();
    history_.push_back({t, value});
    if (!same_change) reported_.reset();  // back to ordinary: the change is over
  } else {
    flagged_.push_back({t, value});
    if (static_cast<int>(flagged_.size()) >= std::max(min_history_, 1)) {
      // a level that persists is the new normal: recent history starts again from it
      regime_start_ = history_.size();
      history_.insert(history_.end(), flagged_.begin(), flagged_.end());
      flagged_.clear();
    }
    if (seasonal_ && !same_change) reported_ = value;
  }
  if (!z) return std::nullopt;
  return outside && !same_change;
}

}  // namespace sw
