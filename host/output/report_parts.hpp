// The pure pieces of `sitewatch report` (host/output/report.cpp), each tested on its own in
// tests/host/output/report_test.cpp: the axes' ticks, the split of a series at the dates it
// has no value, the history an anomaly is told against, the sentence that tells it, and the
// reading of the `reference` column.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sw::report {

// One row of site_counts as the report plots it.
struct point {
  std::string scene_id, acquired;  // acquired: RFC 3339 text
  std::int64_t t = 0;              // acquired, Unix seconds
  bool observable = false;
  std::optional<double> value;  // count, or changed area (m²) for "change"; NULL stays empty
  bool anomaly = false;
  std::string reference;  // the `reference` column ("" when NULL)
};

// Heckbert's "nice numbers" (Graphics Gems, 1990): the number of the form {1, 2, 5, 10} x
// 10^k nearest x (round) or not below x (ceiling).
double nice_number(double x, bool round);

// A linear axis: ticks at multiples of `step` from `lo` to `hi` (both ticks), covering the
// data range given. `integer`: the step is a whole number (counts: never 0, 0, 1, 1, 1).
struct axis {
  double lo = 0, hi = 1, step = 1;
  std::vector<double> ticks;
};
axis nice_axis(double data_lo, double data_hi, int target_ticks, bool integer);

// A tick value with as many decimals as the step needs ("0.5", "20", "1500"); steps of a
// thousand or more in thousands ("5k", "10k", "2.5k" for a step of 2500).
std::string tick_label(double value, double step);

// A dated axis: ticks on calendar boundaries (UTC): days, Mondays, first days of months, of
// quarters, of years; the finest unit that gives at most `max_ticks` ticks in [t0, t1].
// Labels "Oct", "Oct 3"; the year is added to the first tick and where it changes. A span
// with no boundary in it gets one tick at t0, labelled with its date.
struct date_tick {
  std::int64_t t = 0;
  std::string label;
};
std::vector<date_tick> date_ticks(std::int64_t t0, std::int64_t t1, int max_ticks);

// "YYYY-MM-DD" of Unix seconds (UTC).
std::string iso_date(std::int64_t t);

// The runs [begin, end) of consecutive points that have a value. A point without one (not
// observable, or no count yet) ends a run: a line is drawn within a run, never across.
struct run {
  std::size_t begin = 0, end = 0;
  bool operator==(const run&) const = default;
};
std::vector<run> value_runs(const std::vector<point>& pts);

// What an anomaly is told against: the values of the points before `i` (in time order) that
// are observable, have a value and are not flagged themselves. Empty without any.
struct history {
  int n = 0;
  double median = 0, max = 0;
};
std::optional<history> history_before(const std::vector<point>& pts, std::size_t i);

// "rail car" / "rail cars" for the class "rail_car"; "ship" / "ships"; "box" / "boxes".
std::string class_noun(const std::string& cls, double n);

// One line per anomaly: "tumangang_rail: 73 rail cars on 2023-10-03, history median 6,
// max 20"; for "change": "control: 5300 m² changed on 2023-11-02, history median 800 m²,
// max 1200 m²".
std::string anomaly_sentence(const std::string& site_id, const std::string& cls, const point& p,
                             const std::optional<history>& h);

// How far an anomaly departs from its history: |value - median| / max(max - median, 1),
// so 73 cars against a median of 6 and a maximum of 20 is 4.8; a value without history 1e9.
double departure(double value, const std::optional<history>& h);

// Which anomalies lead the first screen: the (site, class) groups take turns, each giving its
// largest departure not yet taken, until `cap` are chosen; so one busy series (a depot that
// fills up) does not push every other site's anomaly below the fold. Returns indices into
// `groups` / `departures` (parallel vectors), in the order chosen.
std::vector<std::size_t> headlines(const std::vector<std::string>& groups,
                                   const std::vector<double>& departures, std::size_t cap);

// The `reference` column read back: "median:a+b+c" -> {"median", {a, b, c}}; kinds are
// median, previous, fixed, archive, "archive q0.25". Empty ids when the text has no ':'.
struct reference {
  std::string kind;
  std::vector<std::string> ids;
};
reference parse_reference(const std::string& text);

// The scene whose chip stands for the reference: its only member, or the most recent member
// by `acquired_t` (scene id -> Unix seconds; ids not in it are older than any). "" if none.
std::string reference_chip_scene(const reference& ref,
                                 const std::map<std::string, std::int64_t>& acquired_t);

}  // namespace sw::report
