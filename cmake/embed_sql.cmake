# Writes ${OUT}: a C++ file defining marquee::store::embedded_sql() over every sql/**/*.sql.
file(GLOB_RECURSE sql_files RELATIVE ${SQL_DIR} ${SQL_DIR}/*.sql)
list(SORT sql_files)
set(body "")
foreach(f ${sql_files})
  file(READ ${SQL_DIR}/${f} text)
  string(APPEND body "      {\"${f}\", R\"marquee_sql(${text})marquee_sql\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from sql/ by cmake/embed_sql.cmake; do not edit.
#include \"store/embedded_sql.hpp\"

#include <map>
#include <stdexcept>
#include <string>

namespace marquee::store {

std::string embedded_sql(std::string_view name) {
  static const std::map<std::string, std::string, std::less<>> kFiles = {
${body}  };
  auto it = kFiles.find(name);
  if (it == kFiles.end()) throw std::out_of_range(\"no embedded SQL file \" + std::string(name));
  return it->second;
}

}  // namespace marquee::store
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
