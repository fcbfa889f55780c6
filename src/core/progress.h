// A progress bar for long work: "label [#####     ] 45%  12.3 MB/s  ETA 0:12" redrawn in place on a terminal
// (at most 10 times a second), or a plain line every 10% when stderr is not a terminal, so logs stay readable.
#pragma once
#include <cstdint>
#include <string>

namespace seek {

class Progress {
 public:
  // unit: what is counted ("B" shows bytes as KB/MB/GB, anything else is printed as is: "tok", "step").
  Progress(std::string label, int64_t total, std::string unit = "");
  ~Progress();  // finishes the line where the work got to if done() was not called
  void add(int64_t n) { update(done_ + n); }
  void update(int64_t done);
  void done();
  // Extra text shown after the rate and ETA (e.g. "loss 2.31 lr 3e-4"); drawn at the next update.
  void set_note(std::string note) { note_ = std::move(note); }

 private:
  void draw(bool final);
  std::string label_, unit_, note_;
  int64_t total_, done_ = 0;
  double start_, last_draw_ = 0;
  int last_decile_ = -1;
  bool tty_, finished_ = false;
};

}  // namespace seek
