#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"marquee: ETL and analytics for The Movies Dataset"};
  app.set_version_flag("--version", MARQUEE_VERSION);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
