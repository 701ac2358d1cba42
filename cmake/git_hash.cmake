# Run at every build (target sw_git_hash): writes OUT with the source tree's commit, plus
# "-dirty" when tracked files differ from it, and touches OUT only when that changes, so a
# reused build tree records the commit it was last built from, not the one it was
# configured at.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE hash OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT hash)
  set(hash "unknown")
else()
  execute_process(COMMAND git diff --quiet HEAD -- WORKING_DIRECTORY ${SRC} RESULT_VARIABLE dirty
                  ERROR_QUIET)
  if(NOT dirty EQUAL 0)
    string(APPEND hash "-dirty")
  endif()
endif()
set(text "// Generated at build time by cmake/git_hash.cmake.\n#include \"build_info.hpp\"\n\nnamespace sw::build {\nconst char* const git_hash = \"${hash}\";\n}  // namespace sw::build\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUT} "${text}")
endif()
