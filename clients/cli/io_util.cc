#include "clients/cli/io_util.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <boost/json/parse.hpp>

namespace forkline::cli {

Result<std::string> ReadFile(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::BadRequest("error reading " + path);
  return text.str();
}

Result<boost::json::value> ReadJsonFile(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(*text, ec);
  if (ec)
    return Status::BadRequest((path == "-" ? "stdin" : path) + " is not JSON: " + ec.message());
  return v;
}

}  // namespace forkline::cli
