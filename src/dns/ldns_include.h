// <ldns/ldns.h> for C++: ldns's common.h defines the macros bool, true and
// false unless <stdbool.h> was seen first (its __bool_true_false_are_defined
// guard), which breaks every C++ header after it. Include this instead.
#pragma once

// clang-format off
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers): must come before ldns
#include <ldns/ldns.h>
// clang-format on
