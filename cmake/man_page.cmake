# Generates the man page sitewatch.1 from the built binary's own help (run at build time by
# the sw_man target): help2man formats `sitewatch --help`, and a COMMANDS section holds each
# command's `--help`, so the page never disagrees with the binary.
#   cmake -DSITEWATCH=<binary> -DHELP2MAN=<help2man> -DVERSION=<x.y.z> -DOUT=<sitewatch.1>
#         -P man_page.cmake
execute_process(COMMAND ${SITEWATCH} --help OUTPUT_VARIABLE top RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${SITEWATCH} --help failed (${rc})")
endif()
# The command names: the first words, indented by two, of the subcommand block of --help.
string(REGEX REPLACE ".*(SUBCOMMANDS|Subcommands):\n" "" block "${top}")
string(REGEX REPLACE "\n\n.*" "" block "\n${block}")
string(REGEX MATCHALL "\n  [a-z]+ " names "${block}")
if(NOT names)
  message(FATAL_ERROR "no commands found in `${SITEWATCH} --help`")
endif()
set(include "[COMMANDS]\n")
foreach(n IN LISTS names)
  string(STRIP "${n}" n)
  execute_process(COMMAND ${SITEWATCH} ${n} --help OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${SITEWATCH} ${n} --help failed (${rc})")
  endif()
  # roff: a leading dot or quote would be a request; backslashes are escapes
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "\n([.'])" "\n\\\\&\\1" text "${text}")
  string(APPEND include ".SS ${n}\n.nf\n${text}.fi\n")
endforeach()
string(APPEND include "[SEE ALSO]\nREADME.md and docs/ (OUTPUT.md: the tables, CONFIG.md: every "
                      "config key, SCENES.md: the inputs) in /usr/share/doc/sitewatch.\n")
file(WRITE ${OUT}.h2m "${include}")
execute_process(
  COMMAND ${HELP2MAN} --no-info --no-discard-stderr --section 1
          --name "per-site object counts and change from satellite scene archives"
          --version-string ${VERSION} --include ${OUT}.h2m --output ${OUT} ${SITEWATCH}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed (${rc})")
endif()
