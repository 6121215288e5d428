# `cmake --install` and the CPack .deb (`cpack -G DEB` in the build folder). What is installed,
# under the prefix (/usr in the .deb, /usr/local by default):
#   bin/marquee
#   share/marquee/web/               the dashboard, with vendor/chart.umd.js (chart.js from npm)
#   share/marquee/sql/               the SQL, for reading: the binary embeds its own copy
#   lib/systemd/system/              marquee.service/.timer, marquee-backfill, marquee-serve
#   share/man/man1/marquee.1.gz, share/bash-completion/completions/marquee,
#   share/zsh/vendor-completions/_marquee
#   share/doc/marquee/examples/      cron.d, logrotate.d, marquee.env.example, the Airflow DAG
include(GNUInstallDirs)

install(TARGETS marquee RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/web/ DESTINATION ${CMAKE_INSTALL_DATADIR}/marquee/web
        FILES_MATCHING PATTERN "*.html" PATTERN "*.js" PATTERN "*.css" PATTERN "*.svg")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sql/ DESTINATION ${CMAKE_INSTALL_DATADIR}/marquee/sql
        FILES_MATCHING PATTERN "*.sql")
install(FILES ${PROJECT_SOURCE_DIR}/deploy/completion/marquee.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME marquee)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/completion/_marquee
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)

# chart.js is never in the repository: the build takes the version tests/node/package-lock.json
# pins (from MARQUEE_CHARTJS, build/node's `npm ci`, or `npm pack`; see cmake/fetch_chartjs.cmake),
# and the install puts it beside the dashboard, where `serve` looks first.
option(MARQUEE_VENDOR_CHARTJS "Vendor the pinned chart.js into the installed dashboard" ON)
set(MARQUEE_CHARTJS "" CACHE FILEPATH
    "A chart.umd.js of the pinned chart.js to vendor instead of fetching it with npm (offline)")
if(MARQUEE_VENDOR_CHARTJS)
  find_program(MARQUEE_NPM_EXECUTABLE npm)
  find_program(MARQUEE_NODE_EXECUTABLE node)
  set(chartjs_dir ${PROJECT_BINARY_DIR}/vendor/chart.js)
  set(chartjs_lock ${PROJECT_SOURCE_DIR}/tests/node/package-lock.json)
  add_custom_command(
    OUTPUT ${chartjs_dir}/chart.umd.js
    COMMAND ${CMAKE_COMMAND} -DLOCK=${chartjs_lock} -DOUT_DIR=${chartjs_dir}
            -DFROM=${MARQUEE_CHARTJS} -DNODE_MODULES=${PROJECT_BINARY_DIR}/node/node_modules
            -DNPM=${MARQUEE_NPM_EXECUTABLE} -DNODE=${MARQUEE_NODE_EXECUTABLE}
            -P ${PROJECT_SOURCE_DIR}/cmake/fetch_chartjs.cmake
    DEPENDS ${chartjs_lock} ${PROJECT_SOURCE_DIR}/cmake/fetch_chartjs.cmake ${MARQUEE_CHARTJS}
    COMMENT "Vendoring chart.js for the dashboard")
  add_custom_target(chartjs ALL DEPENDS ${chartjs_dir}/chart.umd.js)
  install(FILES ${chartjs_dir}/chart.umd.js
          DESTINATION ${CMAKE_INSTALL_DATADIR}/marquee/web/vendor)
  install(FILES ${chartjs_dir}/LICENSE.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
          RENAME chart.js-LICENSE.md OPTIONAL)
endif()

# The units, the cron line and the DAG name /usr/local/bin/marquee (docs/operations.md installs
# by hand there); their installed copies name the binary of this install's prefix instead.
install(CODE "
  set(MARQUEE_DEPLOY_DIR \"${PROJECT_SOURCE_DIR}/deploy\")
  set(MARQUEE_STAGE_DIR \"${PROJECT_BINARY_DIR}/install-stage\")
  set(MARQUEE_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(MARQUEE_MANDIR \"${CMAKE_INSTALL_MANDIR}\")
  set(MARQUEE_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")")
install(SCRIPT ${PROJECT_SOURCE_DIR}/cmake/install_deploy.cmake)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME marquee)
set(CPACK_PACKAGE_VENDOR "marquee engineers")
set(CPACK_PACKAGE_CONTACT "marquee engineers <eng@marquee.dev>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "ETL and HTTP API for The Movies Dataset (TMDB metadata, MovieLens ratings)")
# The summary is the control file's first Description line; CPack indents this body beneath it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "marquee stages The Movies Dataset from S3, HTTP or files, validates
every record (rejects go to a file with a reason), loads it into SQLite
or PostgreSQL, and answers nine questions about production companies and
genres per year as CSV reports and as a read-only HTTP API with a
dashboard.

The package installs the binary, the dashboard (with chart.js), systemd
units (not enabled), a man page and bash/zsh completions.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
# dpkg-shlibdeps (dpkg-dev) computes the library packages; postinst needs useradd (passwd).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
