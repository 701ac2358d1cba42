#include "host/io/scene_time.hpp"

#include <chrono>

#include <fmt/format.h>

namespace sw {

int ascii_digits(std::string_view text, std::size_t pos, std::size_t n) {
  if (pos + n > text.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

namespace {

// Civil UTC time to Unix seconds; nullopt when a field is out of range. Second 60 is accepted
// because RFC 3339 allows leap seconds; it lands on the next minute.
std::optional<std::int64_t> civil_to_unix(int y, int mo, int d, int h, int mi, int s) {
  using namespace std::chrono;
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
      s > 60)
    return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  const std::int64_t days = sys_days{ymd}.time_since_epoch().count();
  return days * 86400 + h * 3600 + mi * 60 + s;
}

}  // namespace

std::optional<std::int64_t> parse_tiff_datetime(std::string_view t) {
  while (!t.empty() && (t.back() == ' ' || t.back() == '\0')) t.remove_suffix(1);
  if (t.size() != 19) return std::nullopt;
  const bool seps = (t[4] == ':' || t[4] == '-') && t[7] == t[4] &&
                    (t[10] == ' ' || t[10] == 'T') && t[13] == ':' && t[16] == ':';
  if (!seps) return std::nullopt;
  const int y = ascii_digits(t, 0, 4), mo = ascii_digits(t, 5, 2), d = ascii_digits(t, 8, 2);
  const int h = ascii_digits(t, 11, 2), mi = ascii_digits(t, 14, 2), s = ascii_digits(t, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return std::nullopt;
  return civil_to_unix(y, mo, d, h, mi, s);
}

std::optional<std::int64_t> time_from_planet_id(std::string_view id) {
  const int y = ascii_digits(id, 0, 4), mo = ascii_digits(id, 4, 2), d = ascii_digits(id, 6, 2);
  const int h = ascii_digits(id, 9, 2), mi = ascii_digits(id, 11, 2), s = ascii_digits(id, 13, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return std::nullopt;
  return civil_to_unix(y, mo, d, h, mi, s);
}

std::optional<std::int64_t> parse_rfc3339(const std::string& text) {
  const std::string_view t = text;
  // date-time = YYYY-MM-DD ("T" | "t" | " ") HH:MM:SS [.frac] ("Z" | "z" | +HH:MM | -HH:MM)
  if (t.size() < 20) return std::nullopt;
  if (t[4] != '-' || t[7] != '-' || t[13] != ':' || t[16] != ':') return std::nullopt;
  if (t[10] != 'T' && t[10] != 't' && t[10] != ' ') return std::nullopt;
  const int y = ascii_digits(t, 0, 4), mo = ascii_digits(t, 5, 2), d = ascii_digits(t, 8, 2);
  const int h = ascii_digits(t, 11, 2), mi = ascii_digits(t, 14, 2), s = ascii_digits(t, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return std::nullopt;
  std::size_t pos = 19;
  if (t[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;  // "12:00:00.Z" has no fraction digits
  }
  if (pos >= t.size()) return std::nullopt;  // the offset is required by RFC 3339
  int offset_s = 0;
  if (t[pos] == 'Z' || t[pos] == 'z') {
    ++pos;
  } else if (t[pos] == '+' || t[pos] == '-') {
    const int oh = ascii_digits(t, pos + 1, 2), om = ascii_digits(t, pos + 4, 2);
    if (oh < 0 || om < 0 || pos + 3 >= t.size() || t[pos + 3] != ':' || oh > 23 || om > 59)
      return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (t[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  const auto local = civil_to_unix(y, mo, d, h, mi, s);
  if (!local) return std::nullopt;
  return *local - offset_s;
}

std::string format_rfc3339(std::int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_seconds tp{seconds{unix_seconds}};
  const auto day_start = floor<days>(tp);
  const year_month_day ymd{day_start};
  const hh_mm_ss hms{tp - day_start};
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

}  // namespace sw
