# Runs at install time (install(SCRIPT)): puts forklined.toml and forklined.service where
# the system looks for them. Under CPack (FORKLINE_DEB set by
# CPACK_CUSTOM_INSTALL_VARIABLES) the package's /etc and /lib/systemd/system (CPack DEB
# installs with DESTDIR = its staging folder and the prefix /usr); otherwise the
# configured prefix decides (see ForklineInstall.cmake).
# file(INSTALL) puts $DESTDIR in front of absolute destinations itself.
if(FORKLINE_DEB)
  set(variant deb)
  set(etc "/etc")
  set(unitdir "/lib/systemd/system")
else()
  set(variant prefix)
  set(etc "${FORKLINE_CONFIGURED_SYSCONFDIR}")
  if(FORKLINE_CONFIGURED_PREFIX STREQUAL "/usr")
    set(unitdir "/lib/systemd/system")
  else()
    set(unitdir "${FORKLINE_CONFIGURED_PREFIX}/lib/systemd/system")
  endif()
endif()
if(NOT FORKLINE_DEB AND EXISTS "$ENV{DESTDIR}${etc}/forkline/forklined.toml")
  # `make install` never overwrites an admin's config (dpkg handles conffiles itself).
  message(STATUS "Keeping: $ENV{DESTDIR}${etc}/forkline/forklined.toml")
else()
  file(INSTALL "${FORKLINE_PACKAGING_DIR}/${variant}/forklined.toml"
       DESTINATION "${etc}/forkline" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
file(INSTALL "${FORKLINE_PACKAGING_DIR}/${variant}/forklined.service"
     DESTINATION "${unitdir}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
