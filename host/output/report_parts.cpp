#include "host/output/report_parts.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "host/io/scene_time.hpp"

namespace sw::report {
namespace {

constexpr std::int64_t day_s = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

std::chrono::year_month_day civil(std::int64_t t) {
  return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{floor_div(t, day_s)}}};
}

std::int64_t month_start(std::int64_t month_index) {  // year * 12 + month - 1
  const std::chrono::year_month_day d{
      std::chrono::year{static_cast<int>(month_index / 12)},
      std::chrono::month{static_cast<unsigned>(month_index % 12) + 1}, std::chrono::day{1}};
  return std::chrono::sys_days{d}.time_since_epoch().count() * day_s;
}

const std::array<const char*, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// A tick unit: every n days (aligned to the epoch, or to Mondays) or every n months (aligned
// to the year).
struct tick_unit {
  bool months;
  int n;
  bool mondays;
};

std::vector<std::int64_t> unit_ticks(const tick_unit& u, std::int64_t t0, std::int64_t t1,
                                     std::size_t limit) {
  std::vector<std::int64_t> out;
  if (u.months) {
    const auto c = civil(t0);
    std::int64_t m = static_cast<std::int64_t>(int(c.year())) * 12 + unsigned(c.month()) - 1;
    if (month_start(m) < t0) ++m;
    m += (u.n - m % u.n) % u.n;
    for (; month_start(m) <= t1 && out.size() <= limit; m += u.n) out.push_back(month_start(m));
    return out;
  }
  std::int64_t d = floor_div(t0 + day_s - 1, day_s);  // first midnight at or after t0
  const std::int64_t step = u.mondays ? 7 * u.n : u.n;
  const std::int64_t phase = u.mondays ? 4 : 0;  // 1970-01-05, day 4, was a Monday
  d += ((phase - d) % step + step) % step;
  for (; d * day_s <= t1 && out.size() <= limit; d += step) out.push_back(d * day_s);
  return out;
}

bool has_value(const point& p) {
  return p.observable && p.value.has_value();
}

}  // namespace

double nice_number(double x, bool round) {
  if (!(x > 0)) return 0;
  const double e = std::floor(std::log10(x));
  const double f = x / std::pow(10.0, e);
  double nf;
  if (round)
    nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  else
    nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * std::pow(10.0, e);
}

axis nice_axis(double data_lo, double data_hi, int target_ticks, bool integer) {
  if (!(data_hi > data_lo)) data_hi = data_lo + 1;  // a flat series still gets an axis
  const double range = nice_number(data_hi - data_lo, false);
  axis a;
  a.step = nice_number(range / std::max(1, target_ticks - 1), true);
  if (integer) a.step = std::max(1.0, std::round(a.step));
  a.lo = std::floor(data_lo / a.step) * a.step;
  a.hi = std::ceil(data_hi / a.step) * a.step;
  const int n = static_cast<int>(std::lround((a.hi - a.lo) / a.step));
  for (int k = 0; k <= n; ++k) a.ticks.push_back(a.lo + k * a.step);
  return a;
}

std::string tick_label(double value, double step) {
  if (std::fabs(value) < step * 1e-9) value = 0;  // no "-0"
  const char* suffix = "";
  if (step >= 1000) {  // thousands: "5k", "10k", "2.5k" fit a small chart's margin
    value /= 1000;
    step /= 1000;
    suffix = "k";
  }
  if (value == 0) return "0";
  int decimals = 0;  // as many as the step has: 0.25 -> 2, 2.5 -> 1, 20 -> 0
  while (decimals < 6 && std::fabs(step * std::pow(10.0, decimals) -
                                   std::round(step * std::pow(10.0, decimals))) > 1e-6)
    ++decimals;
  return fmt::format("{:.{}f}{}", value, decimals, suffix);
}

std::string iso_date(std::int64_t t) {
  return format_rfc3339(t).substr(0, 10);  // "YYYY-MM-DD" of "YYYY-MM-DDTHH:MM:SSZ"
}

std::vector<date_tick> date_ticks(std::int64_t t0, std::int64_t t1, int max_ticks) {
  static const std::array<tick_unit, 11> units = {{{false, 1, false},
                                                   {false, 2, false},
                                                   {false, 1, true},
                                                   {false, 2, true},
                                                   {true, 1, false},
                                                   {true, 2, false},
                                                   {true, 3, false},
                                                   {true, 6, false},
                                                   {true, 12, false},
                                                   {true, 24, false},
                                                   {true, 60, false}}};
  const auto limit = static_cast<std::size_t>(std::max(1, max_ticks));
  std::vector<std::int64_t> ts;
  tick_unit chosen = units.back();
  for (const auto& u : units) {
    ts = unit_ticks(u, t0, t1, limit);
    chosen = u;
    if (ts.size() <= limit) break;
  }
  if (ts.empty()) return {{t0, iso_date(t0)}};
  std::vector<date_tick> out;
  int last_year = std::numeric_limits<int>::min();
  for (const auto t : ts) {
    const auto c = civil(t);
    const int y = int(c.year());
    const char* m = month_names[unsigned(c.month()) - 1];
    std::string label;
    if (chosen.months && chosen.n >= 12)
      label = fmt::format("{}", y);
    else if (chosen.months)
      label = y != last_year ? fmt::format("{} {}", m, y) : m;
    else
      label = y != last_year ? fmt::format("{} {}, {}", m, unsigned(c.day()), y)
                             : fmt::format("{} {}", m, unsigned(c.day()));
    last_year = y;
    out.push_back({t, label});
  }
  return out;
}

std::vector<run> value_runs(const std::vector<point>& pts) {
  std::vector<run> runs;
  for (std::size_t i = 0; i < pts.size();) {
    if (!has_value(pts[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < pts.size() && has_value(pts[j])) ++j;
    runs.push_back({i, j});
    i = j;
  }
  return runs;
}

std::optional<history> history_before(const std::vector<point>& pts, std::size_t i) {
  std::vector<double> v;
  for (std::size_t k = 0; k < std::min(i, pts.size()); ++k)
    if (has_value(pts[k]) && !pts[k].anomaly) v.push_back(*pts[k].value);
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  history h;
  h.n = static_cast<int>(v.size());
  h.median = v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  h.max = v.back();
  return h;
}

std::string class_noun(const std::string& cls, double n) {
  std::string s = cls;
  std::replace(s.begin(), s.end(), '_', ' ');
  if (n == 1 || s.empty()) return s;
  auto ends = [&](const char* e) {
    const std::string x(e);
    return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
  };
  if (ends("s") || ends("x") || ends("z") || ends("ch") || ends("sh")) return s + "es";
  if (ends("y") && s.size() > 1 && std::string("aeiou").find(s[s.size() - 2]) == std::string::npos)
    return s.substr(0, s.size() - 1) + "ies";
  return s + "s";
}

std::string anomaly_sentence(const std::string& site_id, const std::string& cls, const point& p,
                             const std::optional<history>& h) {
  const std::string date = p.acquired.size() >= 10 ? p.acquired.substr(0, 10) : iso_date(p.t);
  const double v = p.value.value_or(0);
  if (cls == "change") {
    std::string s = fmt::format("{}: {:.0f} m² changed on {}", site_id, v, date);
    return s + (h ? fmt::format(", history median {:.0f} m², max {:.0f} m²", h->median, h->max)
                  : std::string(", no earlier history"));
  }
  std::string s = fmt::format("{}: {:g} {} on {}", site_id, v, class_noun(cls, v), date);
  return s + (h ? fmt::format(", history median {:g}, max {:g}", h->median, h->max)
                : std::string(", no earlier history"));
}

double departure(double value, const std::optional<history>& h) {
  if (!h) return 1e9;
  return std::fabs(value - h->median) / std::max(h->max - h->median, 1.0);
}

std::vector<std::size_t> headlines(const std::vector<std::string>& groups,
                                   const std::vector<double>& departures, std::size_t cap) {
  std::map<std::string, std::vector<std::size_t>> by_group;  // each by departure, largest last
  for (std::size_t i = 0; i < groups.size(); ++i) by_group[groups[i]].push_back(i);
  for (auto& [g, idx] : by_group)
    std::stable_sort(idx.begin(), idx.end(),
                     [&](std::size_t a, std::size_t b) { return departures[a] < departures[b]; });
  std::vector<std::size_t> out;
  while (out.size() < cap) {
    // this round: every group's next, the largest departures first
    std::vector<std::size_t> round;
    for (auto& [g, idx] : by_group)
      if (!idx.empty()) {
        round.push_back(idx.back());
        idx.pop_back();
      }
    if (round.empty()) break;
    std::stable_sort(round.begin(), round.end(),
                     [&](std::size_t a, std::size_t b) { return departures[a] > departures[b]; });
    for (std::size_t i = 0; i < round.size() && out.size() < cap; ++i) out.push_back(round[i]);
  }
  return out;
}

reference parse_reference(const std::string& text) {
  reference r;
  const auto colon = text.find(':');
  if (colon == std::string::npos) {
    r.kind = text;
    return r;
  }
  r.kind = text.substr(0, colon);
  std::size_t b = colon + 1;
  while (b <= text.size()) {
    const auto e = std::min(text.find('+', b), text.size());
    if (e > b) r.ids.push_back(text.substr(b, e - b));
    b = e + 1;
  }
  return r;
}

std::string reference_chip_scene(const reference& ref,
                                 const std::map<std::string, std::int64_t>& acquired_t) {
  std::string best;
  std::int64_t best_t = std::numeric_limits<std::int64_t>::min();
  for (const auto& id : ref.ids) {
    const auto it = acquired_t.find(id);
    const std::int64_t t =
        it == acquired_t.end() ? std::numeric_limits<std::int64_t>::min() : it->second;
    if (best.empty() || t >= best_t) {
      best = id;
      best_t = t;
    }
  }
  return best;
}

}  // namespace sw::report
