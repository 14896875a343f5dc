// Precompiled for tests of exercises that list "asio" in kata.json.
#pragma once
#include "pch.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
