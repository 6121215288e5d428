# cmake -DLOCK=package-lock.json -DOUT_DIR=dir [-DFROM=chart.umd.js] [-DNODE_MODULES=dir]
#       -DNPM=npm -DNODE=node -P fetch_chartjs.cmake
# Puts the chart.js that tests/node/package-lock.json pins into OUT_DIR (chart.umd.js and its
# LICENSE.md when there is one), for `install` to vendor into share/marquee/web/vendor/. Taken from, in order:
# FROM (MARQUEE_CHARTJS: a copy for offline builds), NODE_MODULES (test.sh's `npm ci`), else
# `npm pack chart.js@VERSION` (the npm registry, or npm's cache when offline), whose tarball
# must have the lock's sha512. Whatever the origin, the file must say it is the pinned version.

file(READ "${LOCK}" lock_text)
string(JSON version GET "${lock_text}" packages "node_modules/chart.js" version)
string(JSON integrity GET "${lock_text}" packages "node_modules/chart.js" integrity)
string(CONCAT hint "configure with -DMARQUEE_CHARTJS=/path/to/chart.umd.js (chart.js ${version}), "
       "or -DMARQUEE_VENDOR_CHARTJS=OFF to install a dashboard without charts")

file(REMOVE_RECURSE "${OUT_DIR}")
file(MAKE_DIRECTORY "${OUT_DIR}")
set(license "")
if(FROM)
  if(NOT EXISTS "${FROM}")
    message(FATAL_ERROR "MARQUEE_CHARTJS=${FROM}: no such file; ${hint}")
  endif()
  set(umd "${FROM}")
  get_filename_component(from_dir "${FROM}" DIRECTORY)
  if(EXISTS "${from_dir}/../LICENSE.md")
    set(license "${from_dir}/../LICENSE.md")
  endif()
  set(origin "${FROM}")
elseif(NODE_MODULES AND EXISTS "${NODE_MODULES}/chart.js/dist/chart.umd.js")
  set(umd "${NODE_MODULES}/chart.js/dist/chart.umd.js")
  set(license "${NODE_MODULES}/chart.js/LICENSE.md")
  set(origin "${NODE_MODULES}/chart.js")
else()
  set(pack_dir "${OUT_DIR}/pack")
  file(MAKE_DIRECTORY "${pack_dir}")
  execute_process(
    COMMAND "${NPM}" pack "chart.js@${version}" --pack-destination "${pack_dir}" --prefer-offline
            --loglevel=error
    WORKING_DIRECTORY "${pack_dir}"
    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE npm_error)
  set(tarball "${pack_dir}/chart.js-${version}.tgz")
  if(NOT rc EQUAL 0 OR NOT EXISTS "${tarball}")
    message(FATAL_ERROR "npm pack chart.js@${version} failed (${rc}): ${npm_error}\n"
                        "The npm registry is unreachable and npm's cache lacks chart.js ${version}: "
                        "run ./test.sh's `npm ci` into build/node once online, or ${hint}")
  endif()
  # The lock's integrity is base64; node (npm's runtime) turns it into the hex file() gives.
  string(REGEX REPLACE "^sha512-" "" integrity_b64 "${integrity}")
  execute_process(
    COMMAND "${NODE}" -e "process.stdout.write(Buffer.from(process.argv[1], 'base64').toString('hex'))"
            "${integrity_b64}"
    OUTPUT_VARIABLE expected RESULT_VARIABLE rc)
  file(SHA512 "${tarball}" actual)
  if(NOT rc EQUAL 0 OR NOT actual STREQUAL expected)
    message(FATAL_ERROR "${tarball}: sha512 ${actual} is not the lock's ${integrity} (${LOCK})")
  endif()
  file(ARCHIVE_EXTRACT INPUT "${tarball}" DESTINATION "${pack_dir}"
       PATTERNS package/dist/chart.umd.js package/LICENSE.md)
  set(umd "${pack_dir}/package/dist/chart.umd.js")
  set(license "${pack_dir}/package/LICENSE.md")
  set(origin "npm pack chart.js@${version} (sha512 as in the lock)")
endif()

file(STRINGS "${umd}" banner LIMIT_COUNT 5 REGEX "Chart\\.js v[0-9]")
if(NOT banner MATCHES "Chart\\.js v${version}([^0-9.]|$)")
  message(FATAL_ERROR "${umd} is not chart.js ${version} (its banner: '${banner}'); ${hint}")
endif()
file(COPY_FILE "${umd}" "${OUT_DIR}/chart.umd.js")
# The MIT notice is also in chart.umd.js's banner, so a lone MARQUEE_CHARTJS file is enough.
if(license AND EXISTS "${license}")
  file(COPY_FILE "${license}" "${OUT_DIR}/LICENSE.md")
endif()
file(REMOVE_RECURSE "${OUT_DIR}/pack")
message(STATUS "chart.js ${version} for the dashboard: from ${origin}")
