// Precompiled header of fl_http: the heavy third-party headers, parsed once per build.
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "daemon/http/net.h"
