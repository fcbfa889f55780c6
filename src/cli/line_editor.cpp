#include "cli/line_editor.h"

#include <histedit.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <clocale>
#include <cstdio>
#include <cstdlib>

namespace seek::cli {

namespace {

// UTF-8 <-> wide characters without the C library's locale: the chat's text is UTF-8 whatever LANG says.
std::wstring widen(const std::string& s) {
  std::wstring w;
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i++]);
    const int n = b < 0xc0 ? 0 : b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
    uint32_t c = n == 0 ? b : n == 1 ? (b & 0x1fu) : n == 2 ? (b & 0x0fu) : (b & 0x07u);
    for (int k = 0; k < n && i < s.size() && (static_cast<unsigned char>(s[i]) & 0xc0) == 0x80; k++)
      c = (c << 6) | (static_cast<unsigned char>(s[i++]) & 0x3fu);
    w += wchar_t(c);
  }
  return w;
}

std::string narrow(const wchar_t* w) {
  std::string s;
  for (; *w; ++w) {
    const auto c = static_cast<uint32_t>(*w);
    if (c < 0x80) {
      s += char(c);
    } else if (c < 0x800) {
      s += char(0xc0 | (c >> 6)), s += char(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      s += char(0xe0 | (c >> 12)), s += char(0x80 | ((c >> 6) & 0x3f)), s += char(0x80 | (c & 0x3f));
    } else {
      s += char(0xf0 | (c >> 18)), s += char(0x80 | ((c >> 12) & 0x3f));
      s += char(0x80 | ((c >> 6) & 0x3f)), s += char(0x80 | (c & 0x3f));
    }
  }
  return s;
}

// One byte of standard input; 0 at end of input, -1 on Ctrl-C (InterruptGuard's flag) or a read error.
int read_byte(unsigned char& b) {
  for (;;) {
    const ssize_t n = ::read(0, &b, 1);
    if (n == 1) return 1;
    if (n == 0) return 0;
    if (errno != EINTR) return -1;
    if (InterruptGuard::flag().load()) return -1;
  }
}

}  // namespace

LineEditor::LineEditor() {
  if (!is_terminal(0) || !is_terminal(1)) return;
  // libedit draws wide characters through the C library's multibyte conversion: make it UTF-8.
  if (!std::setlocale(LC_CTYPE, "") || MB_CUR_MAX == 1) std::setlocale(LC_CTYPE, "C.UTF-8");
  el_ = el_init("seek", stdin, stdout, stderr);
  if (!el_) return;
  history_ = history_winit();
  HistEventW ev;
  history_w(history_, &ev, H_SETSIZE, 1000);
  el_wset(el_, EL_CLIENTDATA, this);
  el_wset(el_, EL_EDITOR, L"emacs");
  el_wset(el_, EL_SIGNAL, 0);  // our InterruptGuard owns SIGINT
  el_wset(el_, EL_HIST, history_w, history_);
  el_wset(el_, EL_PROMPT_ESC, &LineEditor::prompt_of, L'\1');
  el_wset(el_, EL_GETCFN, &LineEditor::read_char);
}

LineEditor::~LineEditor() {
  if (el_) el_end(el_);
  if (history_) history_wend(history_);
}

wchar_t* LineEditor::prompt_of(EditLine* el) {
  void* self = nullptr;
  el_wget(el, EL_CLIENTDATA, &self);
  return const_cast<wchar_t*>(static_cast<LineEditor*>(self)->prompt_.c_str());
}

// libedit's character source: UTF-8 from standard input, with Ctrl-C ending the read.
int LineEditor::read_char(EditLine* el, wchar_t* c) {
  void* self = nullptr;
  el_wget(el, EL_CLIENTDATA, &self);
  unsigned char b = 0;
  int r = read_byte(b);
  if (r <= 0) {
    if (r < 0 && InterruptGuard::flag().load()) static_cast<LineEditor*>(self)->interrupted_ = true;
    *c = 0;
    return r;
  }
  const int n = b < 0xc0 ? 0 : b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
  wchar_t w = n == 0 ? b : n == 1 ? (b & 0x1f) : n == 2 ? (b & 0x0f) : (b & 0x07);
  for (int k = 0; k < n; k++) {
    unsigned char cb = 0;
    if (read_byte(cb) != 1 || (cb & 0xc0) != 0x80) break;
    w = wchar_t((w << 6) | (cb & 0x3f));
  }
  *c = w;
  return 1;
}

ReadResult LineEditor::read(const std::string& prompt, std::string& line) {
  line.clear();
  if (!el_) {
    std::fputs(prompt.c_str(), stdout);
    std::fflush(stdout);
    return read_line(line);
  }
  // Styling escapes are invisible: libedit must not count them as columns.
  std::string p;
  for (size_t i = 0; i < prompt.size(); i++) {
    if (prompt[i] == '\x1b') {
      const size_t m = prompt.find('m', i);
      if (m != std::string::npos) {
        p += '\1' + prompt.substr(i, m - i + 1) + '\1';
        i = m;
        continue;
      }
    }
    p += prompt[i];
  }
  prompt_ = widen(p);
  interrupted_ = false;
  int count = 0;
  const wchar_t* got = el_wgets(el_, &count);
  if (interrupted_) {
    InterruptGuard::clear();
    return ReadResult::interrupted;
  }
  if (!got || count <= 0) return ReadResult::eof;
  line = narrow(got);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (!line.empty()) {
    HistEventW ev;
    history_w(history_, &ev, H_ENTER, widen(line).c_str());
  }
  return ReadResult::line;
}

}  // namespace seek::cli
