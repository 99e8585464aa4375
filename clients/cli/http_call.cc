#include "clients/cli/http_call.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace forkline::cli {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

Result<HttpAnswer> HttpCall(const std::string& host, const std::string& port,
                            const std::string& method, const std::string& target,
                            const std::string& body, const std::string& token,
                            std::chrono::milliseconds timeout) {
  const std::string where = "http://" + host + ":" + port + target;
  try {
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout);
    stream.connect(resolver.resolve(host, port));
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, host);
    req.set(http::field::content_type, "application/json");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    stream.expires_after(timeout);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    beast::error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return HttpAnswer{static_cast<int>(res.result_int()), std::move(res.body())};
  } catch (const std::exception& e) {
    return Status::Unavailable("no answer from " + where + ": " + e.what());
  }
}

}  // namespace forkline::cli
