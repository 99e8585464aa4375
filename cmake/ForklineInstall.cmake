# Install rules (`make install`, `cmake --install`) and the Debian package (`make deb`,
# CPack DEB). Layout under the prefix:
#   sbin/forklined, bin/forkline
#   share/forkline/web/          the web UI (forklined finds it from its own path)
#   share/forkline/workflows/    workflow files (config/workflows/)
#   share/man/man1/forkline.1.gz, share/man/man8/forklined.8.gz
#   share/doc/forkline/          README, docs, openapi.yaml, protocol.md, examples/
#   lib/python3/dist-packages/forkline.py   the Python client
#   <sysconfdir>/forkline/forklined.toml and the systemd unit forklined.service:
#     prefix /usr (and the .deb): /etc/forkline/, /lib/systemd/system/
#     any other prefix:           <prefix>/etc/forkline/, <prefix>/lib/systemd/system/
include(GNUInstallDirs)
# `make install` and CPack build only what they install (the Makefile's install/deb
# targets build forklined, forkline and forkline_install_files first), not every test.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

install(TARGETS forklined RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS forkline RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/web/ DESTINATION ${CMAKE_INSTALL_DATADIR}/forkline/web
        PATTERN README.md EXCLUDE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/workflows/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/forkline/workflows USE_SOURCE_PERMISSIONS
        PATTERN __pycache__ EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/design.md
              ${PROJECT_SOURCE_DIR}/docs/operations.md ${PROJECT_SOURCE_DIR}/docs/openapi.yaml
              ${PROJECT_SOURCE_DIR}/docs/protocol.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The Python client module: `import forkline` (python3-zmq needed). Debian's python3
# reads /usr/lib/python3/dist-packages; other prefixes need PYTHONPATH.
set(FORKLINE_PYTHON_DIR lib/python3/dist-packages CACHE STRING "where forkline.py goes, under the prefix")
install(FILES ${PROJECT_SOURCE_DIR}/clients/python/forkline.py DESTINATION ${FORKLINE_PYTHON_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/clients/python/examples/novel_to_script.py
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# Man pages: made from the programs' --help by packaging/man/make_man.py (so they never
# drift from the code), compressed as Debian wants them.
set(FORKLINE_MAN_DIR ${PROJECT_BINARY_DIR}/man)
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_custom_command(
  OUTPUT ${FORKLINE_MAN_DIR}/forklined.8.gz ${FORKLINE_MAN_DIR}/forkline.1.gz
  COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/packaging/man/make_man.py
          --forklined $<TARGET_FILE:forklined> --forkline $<TARGET_FILE:forkline>
          --templates ${PROJECT_SOURCE_DIR}/packaging/man --out ${FORKLINE_MAN_DIR}
          --version ${PROJECT_VERSION}
  DEPENDS forklined forkline ${PROJECT_SOURCE_DIR}/packaging/man/make_man.py
          ${PROJECT_SOURCE_DIR}/packaging/man/forklined.8.in
          ${PROJECT_SOURCE_DIR}/packaging/man/forkline.1.in
  COMMENT "man pages from --help")
set(FORKLINE_DEB_CHANGELOG ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz)
add_custom_command(
  OUTPUT ${FORKLINE_DEB_CHANGELOG}
  COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/packaging/debian/changelog > ${FORKLINE_DEB_CHANGELOG}
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/debian/changelog)
add_custom_target(forkline_install_files ALL
  DEPENDS ${FORKLINE_MAN_DIR}/forklined.8.gz ${FORKLINE_MAN_DIR}/forkline.1.gz
          ${FORKLINE_DEB_CHANGELOG})
install(FILES ${FORKLINE_MAN_DIR}/forkline.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${FORKLINE_MAN_DIR}/forklined.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/debian/copyright ${FORKLINE_DEB_CHANGELOG}
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/debian/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME forkline)

# The unit and the config name absolute paths: one variant for this build's prefix,
# one for the Debian package (prefix /usr). The install script picks one.
function(forkline_configure_system_files variant prefix sysconfdir)
  set(FORKLINE_UNIT_SBINDIR ${prefix}/${CMAKE_INSTALL_SBINDIR})
  set(FORKLINE_UNIT_SYSCONFDIR ${sysconfdir})
  set(FORKLINE_DATADIR ${prefix}/${CMAKE_INSTALL_DATADIR}/forkline)
  configure_file(${PROJECT_SOURCE_DIR}/packaging/forklined.service.in
                 ${PROJECT_BINARY_DIR}/packaging/${variant}/forklined.service @ONLY)
  configure_file(${PROJECT_SOURCE_DIR}/packaging/forklined.toml.in
                 ${PROJECT_BINARY_DIR}/packaging/${variant}/forklined.toml @ONLY)
endfunction()
forkline_configure_system_files(prefix ${CMAKE_INSTALL_PREFIX} ${CMAKE_INSTALL_FULL_SYSCONFDIR})
forkline_configure_system_files(deb /usr /etc)
install(CODE "set(FORKLINE_PACKAGING_DIR \"${PROJECT_BINARY_DIR}/packaging\")
set(FORKLINE_CONFIGURED_PREFIX \"${CMAKE_INSTALL_PREFIX}\")
set(FORKLINE_CONFIGURED_SYSCONFDIR \"${CMAKE_INSTALL_FULL_SYSCONFDIR}\")")
install(SCRIPT ${PROJECT_SOURCE_DIR}/cmake/install_system_files.cmake)

# The Debian package: `make deb` (cpack -G DEB). Its Depends come from dpkg-shlibdeps
# (dpkg-dev): the runtime libraries the binaries link (librocksdb7.8, libzmq5,
# libboost-*1.81.0, libssl3, …).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME forkline)
set(CPACK_PACKAGE_VENDOR "Forkline")
set(CPACK_PACKAGE_CONTACT "Forkline maintainers <maintainers@users.noreply.b-seed-416ebe9a.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "event-sourced workflow daemon (novel to screenplay, forks, SSE)")
set(CPACK_PACKAGE_DESCRIPTION
    "Forkline runs multi-step generation workflows one step at a time or by
itself, pauses, resumes and forks them from any completed step, and streams
every event to live subscribers. Commands over ZeroMQ and HTTP, a RocksDB
event log, a web UI. This package holds forklined (with a systemd unit), the
forkline command line client, the Python client module, the web UI, workflow
files and man pages.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)  # 0.1.0-1: packaged from an upstream release
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3, python3-zmq")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_CUSTOM_INSTALL_VARIABLES "FORKLINE_DEB=1")
include(CPack)
