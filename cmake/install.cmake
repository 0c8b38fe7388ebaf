# What `cmake --install` puts where, and the .deb that CPack builds from it (README "Installing on
# Linux"). Windows builds install ssoescrow.exe only: scripts/package-windows.sh makes their package.
include(GNUInstallDirs)

install(TARGETS ssoescrow RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(WIN32)
    return()
endif()

# One man page per command, generated from the command's own --help text by help2man at build
# time, so the pages cannot drift from the program. Not possible without help2man, or when the
# binary cannot run on the build machine.
find_program(HELP2MAN help2man)
if(HELP2MAN AND NOT CMAKE_CROSSCOMPILING)
    set(man_dir ${PROJECT_BINARY_DIR}/man)
    add_custom_command(
        OUTPUT ${man_dir}/ssoescrow.1
        COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/gen-manpages.sh $<TARGET_FILE:ssoescrow>
            ${man_dir} ${PROJECT_VERSION}
        DEPENDS ssoescrow ${PROJECT_SOURCE_DIR}/scripts/gen-manpages.sh
        COMMENT "Generating the man pages from --help"
        VERBATIM)
    add_custom_target(manpages ALL DEPENDS ${man_dir}/ssoescrow.1)
    install(DIRECTORY ${man_dir}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        FILES_MATCHING PATTERN "*.1")
else()
    message(STATUS "help2man not found (or cross-compiling): no man pages will be installed")
endif()

install(FILES ${PROJECT_SOURCE_DIR}/scripts/completion/ssoescrow.bash
    DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ssoescrow)

# The systemd units, with ExecStart= pointing at the installed binary instead of /usr/local/bin.
# Rewritten at install time: the prefix is only known then (`cmake --install --prefix`, CPack).
foreach(unit ssoescrow-status.service ssoescrow-status.timer)
    set(unit_source ${PROJECT_SOURCE_DIR}/scripts/systemd/${unit})
    set(unit_staged ${PROJECT_BINARY_DIR}/systemd/${unit})
    install(CODE "
        file(READ \"${unit_source}\" unit_text)
        string(REPLACE \"/usr/local/bin/ssoescrow\"
            \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/ssoescrow\" unit_text \"\${unit_text}\")
        file(WRITE \"${unit_staged}\" \"\${unit_text}\")")
    install(FILES ${unit_staged} DESTINATION lib/systemd/system)
endforeach()

install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/SECURITY.md
    ${PROJECT_SOURCE_DIR}/vault/FORMAT.md
    DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/scripts/systemd/README.md
    DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME systemd.md)
# The Windows scripts are documentation on Linux: an administrator copies them to the BizTalk
# servers from here (the Windows package installs them under %ProgramFiles%\ssoescrow).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scripts/windows/
    DESTINATION ${CMAKE_INSTALL_DOCDIR}/windows FILES_MATCHING PATTERN "*.ps1" PATTERN "*.psm1")

# .deb: `cpack -G DEB` in the build directory (README "Installing on Linux").
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ssoescrow)
set(CPACK_PACKAGE_VENDOR "ssoescrow")
set(CPACK_PACKAGE_CONTACT "ssoescrow maintainers <ssoescrow@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "escrow, restore and monitor the BizTalk ENTSSO master secret")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "ssoescrow backs up the Enterprise Single Sign-On master secret of BizTalk Server through a "
    "bridge on the secret server, seals each backup to K of N custodians in a vault, restores it "
    "with custodian approvals and reports its freshness to monitoring systems.")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The package carries the program, not its debugging information.
set(CPACK_STRIP_FILES TRUE)
if(SSOESCROW_TEST_HOOKS)
    # A build with crash points and fault injection must never pass for a release.
    set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}~testhooks")
endif()
include(CPack)
