# kata_add_exercise(SLUG): one test executable per implementation of an exercise.
#
#   build/<profile>/bin/<slug>/exercise        tests against exercises/<slug>/ (the learner's)
#   build/<profile>/bin/<slug>/solution        tests against solutions/<slug>/
#   build/<profile>/bin/<slug>/mutant.<name>   tests against solutions/<slug>/ with
#                                              tests/<slug>/mutants/<name>/mutant.patch applied
#
# Target names are <slug>.<implementation>. The metadata (exercises/<slug>/kata.json,
# docs/exercise-format.md) says which files make an implementation ("files"), which
# files every implementation shares ("given": built from exercises/<slug>/, with identical twins in solutions/),
# and which libraries it needs; the tests are every *.cpp in tests/<slug>/.

set(KATA_EXERCISES_DIR "${CMAKE_SOURCE_DIR}/exercises" CACHE PATH "Learner implementations and metadata")
set(KATA_SOLUTIONS_DIR "${CMAKE_SOURCE_DIR}/solutions" CACHE PATH "Reference implementations")
set(KATA_TESTS_DIR "${CMAKE_SOURCE_DIR}/tests" CACHE PATH "Hidden tests and mutants (may be an instructor's private copy)")
set(KATA_ONLY "" CACHE STRING "If set, a ;-list of the only slugs this tree builds")

find_package(Threads REQUIRED)
find_package(Catch2 2.13 REQUIRED)
find_package(Boost 1.81...<1.82 CONFIG REQUIRED COMPONENTS thread chrono json)

# kata_json_strings(JSON KEY OUT): the strings of the array JSON.KEY as a list
# (empty when the key is missing or the array is empty).
function(kata_json_strings json key out)
  set(items "")
  string(JSON n ERROR_VARIABLE missing LENGTH "${json}" ${key})
  if(NOT missing AND n GREATER 0)
    math(EXPR last "${n} - 1")
    foreach(i RANGE ${last})
      string(JSON item GET "${json}" ${key} ${i})
      list(APPEND items "${item}")
    endforeach()
  endif()
  set(${out} "${items}" PARENT_SCOPE)
endfunction()

# kata_read_metadata(SLUG PREFIX): sets <PREFIX>_FILES, <PREFIX>_GIVEN and <PREFIX>_LIBRARIES,
# or <PREFIX>_ERROR when the metadata cannot be used (the exercise is then
# skipped with a warning: one broken exercise must not break the others).
function(kata_read_metadata slug prefix)
  set(meta_file "${KATA_EXERCISES_DIR}/${slug}/kata.json")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${meta_file}")
  file(READ "${meta_file}" meta)
  string(JSON version ERROR_VARIABLE err GET "${meta}" schema_version)
  if(err OR NOT version EQUAL 1)
    set(${prefix}_ERROR "schema_version must be 1 (${err})" PARENT_SCOPE)
    return()
  endif()

  string(JSON n ERROR_VARIABLE err LENGTH "${meta}" files)
  if(err OR n EQUAL 0)
    set(${prefix}_ERROR "\"files\" must be a non-empty array (${err})" PARENT_SCOPE)
    return()
  endif()
  kata_json_strings("${meta}" files files)
  kata_json_strings("${meta}" given given)
  kata_json_strings("${meta}" libraries libraries)

  set(${prefix}_ERROR "" PARENT_SCOPE)
  set(${prefix}_FILES "${files}" PARENT_SCOPE)
  set(${prefix}_GIVEN "${given}" PARENT_SCOPE)
  set(${prefix}_LIBRARIES "${libraries}" PARENT_SCOPE)
endfunction()

# Libraries an exercise may name in "libraries", as link targets.
function(kata_link_libraries target)
  target_link_libraries(${target} PRIVATE kata_test_main Threads::Threads)
  # The test main first of all objects (tests/support/CMakeLists.txt).
  target_link_options(${target} PRIVATE $<TARGET_OBJECTS:kata_harness>)
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS $<TARGET_OBJECTS:kata_harness>)
  add_dependencies(${target} kata_harness)
  set(pch kata_pch)
  foreach(lib IN LISTS ARGN)
    if(lib STREQUAL "boost_thread")
      # Boost.Thread's timed waits need Boost.Chrono's clocks.
      target_link_libraries(${target} PRIVATE Boost::thread Boost::chrono)
    elseif(lib STREQUAL "boost_json")
      target_link_libraries(${target} PRIVATE Boost::json)
    elseif(lib STREQUAL "asio")
      target_link_libraries(${target} PRIVATE Boost::headers)
      set(pch kata_pch_asio)
    elseif(lib STREQUAL "interprocess")
      target_link_libraries(${target} PRIVATE Boost::headers rt)
    else()
      message(WARNING "${target}: unknown library '${lib}' in kata.json (known: boost_thread, boost_json, asio, interprocess)")
    endif()
  endforeach()
  target_precompile_headers(${target} REUSE_FROM ${pch})
endfunction()

# kata_first_missing(DIR FILES OUT): the path of the first of FILES missing from
# DIR, or empty: an implementation with a file missing is not built.
function(kata_first_missing dir files out)
  foreach(f IN LISTS files)
    if(NOT EXISTS "${dir}/${f}")
      set(${out} "${dir}/${f}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

# kata_add_implementation(SLUG NAME DIR FILES GIVEN_DIR GIVEN LIBRARIES TESTS [TEST_OBJECTS target])
# FILES come from DIR, the GIVEN files from GIVEN_DIR (searched for headers after
# DIR). TESTS are compiled against those headers, unless TEST_OBJECTS names an
# object library of the tests already compiled against identical headers.
function(kata_add_implementation slug name dir files given_dir given libraries tests)
  cmake_parse_arguments(ARG "" "TEST_OBJECTS" "" ${ARGN})
  set(target "${slug}.${name}")
  kata_first_missing("${dir}" "${files}" missing)
  if(NOT missing)
    kata_first_missing("${given_dir}" "${given}" missing)
  endif()
  if(missing)
    message(WARNING "${target}: ${missing} is missing; this implementation is not built")
    return()
  endif()
  if(ARG_TEST_OBJECTS)
    set(sources $<TARGET_OBJECTS:${ARG_TEST_OBJECTS}>)
  else()
    set(sources ${tests})
  endif()
  foreach(f IN LISTS files)
    if(f MATCHES "\\.cpp$")
      list(APPEND sources "${dir}/${f}")
    endif()
  endforeach()
  foreach(f IN LISTS given)
    if(f MATCHES "\\.cpp$")
      list(APPEND sources "${given_dir}/${f}")
    endif()
  endforeach()
  add_executable(${target} ${sources})
  kata_include_implementation(${target} "${dir}" "${given_dir}" "${given}")
  kata_link_libraries(${target} ${libraries})
  set_target_properties(${target} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bin/${slug}"
    OUTPUT_NAME "${name}")
  add_dependencies(${slug}.all ${target})
  set_property(GLOBAL APPEND PROPERTY KATA_TARGETS ${target})
endfunction()

# The implementation's folder first, then (when there are given files and they
# live elsewhere) the folder of the given files.
function(kata_include_implementation target dir given_dir given)
  target_include_directories(${target} BEFORE PRIVATE "${dir}")
  if(given AND NOT given_dir STREQUAL dir)
    target_include_directories(${target} PRIVATE "${given_dir}")
  endif()
endfunction()

# kata_copy_given(SLUG GIVEN OUT_DIR): the given files of exercises/<slug>/, copied
# into the build tree, where the solution's build reads them. A copy, so that a
# given file's quoted #include of a learner file finds the solution's, never the
# learner's (the solution build reads nothing the learner edits).
function(kata_copy_given slug given out_dir)
  set(dir "${CMAKE_BINARY_DIR}/impl/${slug}/given")
  kata_first_missing("${KATA_EXERCISES_DIR}/${slug}" "${given}" missing)
  if(missing)
    message(WARNING "${slug}: ${missing} (given) is missing; solution and mutants not built")
    set(${out_dir} "" PARENT_SCOPE)
    return()
  endif()
  foreach(f IN LISTS given)
    configure_file("${KATA_EXERCISES_DIR}/${slug}/${f}" "${dir}/${f}" COPYONLY)
  endforeach()
  set(${out_dir} "${dir}" PARENT_SCOPE)
endfunction()

# kata_apply_mutant(SLUG NAME SOLUTION_DIR GIVEN_DIR MUTANT_DIR FILES GIVEN OUT_DIR OUT_REUSE):
# builds the mutant's sources in the build tree. OUT_DIR is empty when its
# patch is missing or does not apply (a warning says why); OUT_REUSE is
# "TEST_OBJECTS <slug>.solution_tests" when the patch changes only .cpp files.
# The patch applies to the solution's files and the given ones together (a bug in
# a given file is a bug the tests must catch too); OUT_DIR holds them all.
function(kata_apply_mutant slug mutant solution_dir given_dir mutant_dir files given out_dir out_reuse)
  set(${out_dir} "" PARENT_SCOPE)
  set(patch "${mutant_dir}/mutant.patch")
  if(NOT EXISTS "${patch}")
    message(WARNING "${slug}: mutant ${mutant} has no mutant.patch; skipped")
    return()
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${patch}")
  set(staging "${CMAKE_BINARY_DIR}/impl/${slug}/.staging/mutant.${mutant}")
  foreach(f IN LISTS files)
    configure_file("${solution_dir}/${f}" "${staging}/${f}" COPYONLY)
  endforeach()
  foreach(f IN LISTS given)
    configure_file("${given_dir}/${f}" "${staging}/${f}" COPYONLY)
  endforeach()
  execute_process(COMMAND patch --quiet --forward --fuzz=0 --no-backup-if-mismatch -p1
                          -d "${staging}" -i "${patch}"
                  RESULT_VARIABLE failed OUTPUT_VARIABLE said ERROR_VARIABLE said)
  if(failed)
    message(WARNING "${slug}: mutant ${mutant}: mutant.patch does not apply to the solution; skipped\n${said}")
    return()
  endif()
  # Which files it changes: the "+++ b/<file>" lines.
  file(STRINGS "${patch}" targets REGEX "^\\+\\+\\+ ")
  set(reuse TEST_OBJECTS ${slug}.solution_tests)
  foreach(target IN LISTS targets)
    string(REGEX REPLACE "^\\+\\+\\+ b/([^\t]*).*$" "\\1" f "${target}")
    if(NOT f IN_LIST files AND NOT f IN_LIST given)
      message(WARNING "${slug}: mutant ${mutant} changes ${f}, which is not in kata.json's files or given; skipped")
      return()
    endif()
    if(NOT f MATCHES "\\.cpp$")
      set(reuse "")  # a changed header: the tests must see it
    endif()
  endforeach()
  set(overlay "${CMAKE_BINARY_DIR}/impl/${slug}/mutant.${mutant}")
  foreach(f IN LISTS files given)
    configure_file("${staging}/${f}" "${overlay}/${f}" COPYONLY)
  endforeach()
  set(${out_dir} "${overlay}" PARENT_SCOPE)
  set(${out_reuse} ${reuse} PARENT_SCOPE)
endfunction()

function(kata_add_exercise slug)
  kata_read_metadata(${slug} META)
  if(META_ERROR)
    message(WARNING "${KATA_EXERCISES_DIR}/${slug}/kata.json: ${META_ERROR}; exercise skipped")
    return()
  endif()
  file(GLOB tests CONFIGURE_DEPENDS "${KATA_TESTS_DIR}/${slug}/*.cpp")
  if(NOT tests)
    message(WARNING "${slug}: no tests in ${KATA_TESTS_DIR}/${slug}; skipped")
    return()
  endif()
  add_custom_target(${slug}.all)

  kata_add_implementation(${slug} exercise "${KATA_EXERCISES_DIR}/${slug}" "${META_FILES}"
                          "${KATA_EXERCISES_DIR}/${slug}" "${META_GIVEN}" "${META_LIBRARIES}" "${tests}")
  if(NOT EXISTS "${KATA_SOLUTIONS_DIR}/${slug}")
    return()
  endif()
  # The tests compiled once against the solution's headers: the solution and
  # every mutant that changes no header link these instead of recompiling.
  set(solution_dir "${KATA_SOLUTIONS_DIR}/${slug}")
  kata_first_missing("${solution_dir}" "${META_FILES}" missing)
  if(missing)
    message(WARNING "${slug}: ${missing} is missing; solution and mutants not built")
    return()
  endif()
  set(given_dir "${solution_dir}")
  if(META_GIVEN)
    kata_copy_given(${slug} "${META_GIVEN}" given_dir)
    if(NOT given_dir)
      return()
    endif()
  endif()
  add_library(${slug}.solution_tests OBJECT ${tests})
  kata_include_implementation(${slug}.solution_tests "${solution_dir}" "${given_dir}" "${META_GIVEN}")
  kata_link_libraries(${slug}.solution_tests ${META_LIBRARIES})
  kata_add_implementation(${slug} solution "${solution_dir}" "${META_FILES}" "${given_dir}" "${META_GIVEN}"
                          "${META_LIBRARIES}" "${tests}" TEST_OBJECTS ${slug}.solution_tests)

  # A mutant is the solution with one deliberate bug: mutants/<name>/mutant.patch
  # is a unified diff against the solution's folder (paths a/<file>, b/<file>).
  # It is applied at configure time in a staging copy; configure_file then
  # copies only what changed, so an unchanged mutant is not rebuilt.
  file(GLOB mutants LIST_DIRECTORIES true CONFIGURE_DEPENDS "${KATA_TESTS_DIR}/${slug}/mutants/*")
  foreach(mutant_dir IN LISTS mutants)
    if(NOT IS_DIRECTORY "${mutant_dir}")
      continue()
    endif()
    get_filename_component(mutant "${mutant_dir}" NAME)
    kata_apply_mutant(${slug} ${mutant} "${solution_dir}" "${given_dir}" "${mutant_dir}"
                      "${META_FILES}" "${META_GIVEN}" overlay reuse)
    if(NOT overlay)
      continue()
    endif()
    kata_add_implementation(${slug} "mutant.${mutant}" "${overlay}" "${META_FILES}" "${overlay}" "${META_GIVEN}"
                            "${META_LIBRARIES}" "${tests}" ${reuse})
  endforeach()
endfunction()

function(kata_add_all_exercises)
  file(GLOB metas CONFIGURE_DEPENDS "${KATA_EXERCISES_DIR}/*/kata.json")
  foreach(meta IN LISTS metas)
    get_filename_component(dir "${meta}" DIRECTORY)
    get_filename_component(slug "${dir}" NAME)
    if(KATA_ONLY AND NOT slug IN_LIST KATA_ONLY)
      continue()
    endif()
    kata_add_exercise(${slug})
  endforeach()
  # The grader reads which targets exist: asking ninja for one that does not
  # would fail the whole build.
  get_property(targets GLOBAL PROPERTY KATA_TARGETS)
  list(JOIN targets "\n" text)
  file(WRITE "${CMAKE_BINARY_DIR}/kata-targets.txt" "${text}\n")
endfunction()
