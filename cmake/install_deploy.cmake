# Run by `cmake --install` and cpack (install(SCRIPT) in cmake/packaging.cmake), where
# CMAKE_INSTALL_PREFIX is the prefix of this install, not the configured one: the .deb's /usr.
# Installs the systemd units, the man page and the deploy examples, each naming the binary of
# this prefix where the repository's copies name /usr/local/bin/marquee.

set(marquee_bin "${CMAKE_INSTALL_PREFIX}/${MARQUEE_BINDIR}/marquee")
set(unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
# One stage folder per destination, so that two installs at once do not share one.
string(MD5 destination "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
set(MARQUEE_STAGE_DIR "${MARQUEE_STAGE_DIR}/${destination}")
file(REMOVE_RECURSE "${MARQUEE_STAGE_DIR}")

# Copies SOURCE (relative to deploy/) to STAGED (relative to the stage folder), pointing it at
# this prefix's binary; HEADER replaces the first line's "/etc/..." install location.
function(marquee_stage source staged header)
  file(READ "${MARQUEE_DEPLOY_DIR}/${source}" text)
  string(REPLACE "/usr/local/bin/marquee" "${marquee_bin}" text "${text}")
  if(header)
    string(REGEX REPLACE "^# /etc/[^:]+:" "# ${header}:" text "${text}")
  endif()
  file(WRITE "${MARQUEE_STAGE_DIR}/${staged}" "${text}")
endfunction()

foreach(unit marquee.service marquee.timer marquee-backfill.service marquee-serve.service)
  marquee_stage(systemd/${unit} systemd/${unit}
                "${unit_dir}/${unit} (packaged; override with systemctl edit)")
endforeach()
file(INSTALL "${MARQUEE_STAGE_DIR}/systemd/" DESTINATION "${unit_dir}"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

marquee_stage(cron/marquee examples/cron.d/marquee "")
marquee_stage(logrotate/marquee examples/logrotate.d/marquee "")
marquee_stage(systemd/marquee.env.example examples/marquee.env.example "")
marquee_stage(systemd/marquee-serve.env.example examples/marquee-serve.env.example "")
marquee_stage(airflow/marquee_hourly.py examples/airflow/marquee_hourly.py "")
file(INSTALL "${MARQUEE_STAGE_DIR}/examples" DESTINATION "${CMAKE_INSTALL_PREFIX}/${MARQUEE_DOCDIR}"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# Debian keeps man pages gzipped at -9, without a timestamp (-n), so that builds are
# reproducible; man reads the page either way, so without gzip it goes in as it is.
find_program(marquee_gzip gzip)
if(marquee_gzip)
  execute_process(COMMAND "${marquee_gzip}" -9nc "${MARQUEE_DEPLOY_DIR}/man/marquee.1"
                  OUTPUT_FILE "${MARQUEE_STAGE_DIR}/marquee.1.gz" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip of the man page failed (${rc})")
  endif()
  set(man_page "${MARQUEE_STAGE_DIR}/marquee.1.gz")
else()
  set(man_page "${MARQUEE_DEPLOY_DIR}/man/marquee.1")
endif()
file(INSTALL "${man_page}" DESTINATION "${CMAKE_INSTALL_PREFIX}/${MARQUEE_MANDIR}/man1"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
