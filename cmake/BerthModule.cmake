# berth_module(NAME DEPS dep...)
#   Builds src/<NAME>/*.cc (minus *_test.cc) into the static library
#   berth_<NAME>, linked PUBLIC against DEPS, and each *_test.cc beside it
#   into a GoogleTest binary registered with CTest. EXCLUDE file.cc...
#   leaves sources out (a module's part that lower modules link on its own,
#   built by the module's CMakeLists.txt as a library of its own).
function(berth_module name)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS;EXCLUDE" ${ARGN})
  file(GLOB all_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  file(GLOB test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  set(lib_sources ${all_sources})
  if(test_sources)
    list(REMOVE_ITEM lib_sources ${test_sources})
  endif()
  foreach(excluded ${ARG_EXCLUDE})
    list(REMOVE_ITEM lib_sources ${CMAKE_CURRENT_SOURCE_DIR}/${excluded})
  endforeach()
  if(lib_sources)
    add_library(berth_${name} STATIC ${lib_sources})
    target_include_directories(berth_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include
                                                    PRIVATE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(berth_${name} PUBLIC ${ARG_DEPS})
  else()
    # A module whose code is not written yet: headers only.
    add_library(berth_${name} INTERFACE)
    target_include_directories(berth_${name} INTERFACE ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(berth_${name} INTERFACE ${ARG_DEPS})
  endif()
  foreach(test_file ${test_sources})
    get_filename_component(test_name ${test_file} NAME_WE)
    add_executable(${test_name} ${test_file})
    target_include_directories(${test_name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
    target_link_libraries(${test_name} PRIVATE berth_${name} ${ARG_TEST_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
    gtest_discover_tests(${test_name} DISCOVERY_TIMEOUT 60
                         PROPERTIES LABELS unit TIMEOUT 120 ENVIRONMENT "BERTH_SOURCE_DIR=${PROJECT_SOURCE_DIR};BERTH_BINARY_DIR=${CMAKE_BINARY_DIR}")
  endforeach()
endfunction()
