// The chat's input line: on a terminal, libedit's editor (arrow keys and Home/End move, Ctrl-A/E/K/U/W edit,
// Up/Down walk the history of this session's lines); on a pipe or file, plain lines. Ctrl-C while a line is being
// typed (the caller holds an InterruptGuard) gives `interrupted`, Ctrl-D on an empty line `eof`.
#pragma once
#include <string>

#include "cli/terminal.h"

typedef struct editline EditLine;
typedef struct historyW HistoryW;

namespace seek::cli {

class LineEditor {
 public:
  LineEditor();  // libedit only when standard input and output are terminals
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // Shows `prompt` (may hold ANSI styling) and reads one line, without its newline. Non-empty lines go into the
  // history.
  ReadResult read(const std::string& prompt, std::string& line);

 private:
  static wchar_t* prompt_of(EditLine* el);
  static int read_char(EditLine* el, wchar_t* c);

  EditLine* el_ = nullptr;
  HistoryW* history_ = nullptr;
  std::wstring prompt_;
  bool interrupted_ = false;
};

}  // namespace seek::cli
