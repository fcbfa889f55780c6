#include "core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace seek {

namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

std::string amount(double v, const std::string& unit) {
  char buf[48];
  const char* si[] = {"", "K", "M", "G", "T"};
  int i = 0;
  while (v >= 1000 && i < 4) v /= 1000, i++;
  if (unit == "B")
    std::snprintf(buf, sizeof buf, "%.1f %sB", v, si[i]);
  else
    std::snprintf(buf, sizeof buf, "%.1f %s%s", v, si[i], unit.c_str());
  return buf;
}

std::string clock(double s) {
  char buf[32];
  int t = int(s + 0.5);
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%d:%02d", t / 60, t % 60);
  return buf;
}
}  // namespace

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(std::max<int64_t>(total, 1)),
      start_(now()),
      tty_(isatty(2) == 1) {}

Progress::~Progress() {
  if (finished_) return;
  finished_ = true;
  draw(true);  // the work ended early (an error, a stop): the line shows how far it got, not 100%
}

void Progress::update(int64_t d) {
  done_ = std::min(d, total_);
  double t = now();
  int decile = int(10 * done_ / total_);
  if (tty_ ? t - last_draw_ >= 0.1 : decile != last_decile_) {
    last_draw_ = t;
    last_decile_ = decile;
    draw(false);
  }
}

void Progress::done() {
  done_ = total_;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final) {
  const double el = now() - start_, frac = double(done_) / double(total_);
  const double rate = el > 0 ? double(done_) / el : 0;
  std::string rate_s = amount(rate, unit_) + "/s";
  std::string tail = final ? "in " + clock(el) : (rate > 0 ? "ETA " + clock(double(total_ - done_) / rate) : "");
  if (!note_.empty()) tail += "  " + note_;
  if (tty_) {
    constexpr int W = 30;
    int fill = int(frac * W);
    std::fprintf(stderr, "\r%s [%s%s] %3d%%  %s  %s\x1b[K%s", label_.c_str(), std::string(size_t(fill), '#').c_str(),
                 std::string(size_t(W - fill), ' ').c_str(), int(frac * 100), rate_s.c_str(), tail.c_str(),
                 final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s %3d%%  %s  %s\n", label_.c_str(), int(frac * 100), rate_s.c_str(), tail.c_str());
  }
  std::fflush(stderr);
}

}  // namespace seek
