#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "format/csv_field.hpp"

namespace marquee::report {

/// Appends one line of a report file to `line`: the cells as SPEC 5 writes CSV (a missing value
/// is an empty field), then '\n'. `text_of(cell)` gives a cell's text or nullopt.
template <class Cells, class TextOf>
void append_report_line(std::string& line, const Cells& cells, TextOf&& text_of) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line.push_back(',');
    if (std::optional<std::string_view> text = text_of(cells[i]))
      format::append_csv_field(line, *text);
  }
  line.push_back('\n');
}

}  // namespace marquee::report
