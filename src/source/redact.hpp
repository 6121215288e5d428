#pragma once

#include <string>
#include <string_view>

namespace marquee::source {

/// A URL fit for logs, messages and records, with its secrets replaced by ***: the password of
/// the user info (https://user:***@host/…), or the whole user info when it holds no ':' since
/// that is a token (https://***@host/…), and the value of every query or fragment parameter
/// that names a secret: signatures, credentials, tokens, passwords, keys (X-Amz-Signature=***,
/// sig=***). The rest stays as written, so the operator still sees which object it was. Text
/// without a scheme (a local path) comes back unchanged, and redacting twice changes nothing.
/// Only for showing: the request itself must use the real URL.
std::string redacted(std::string_view url);

/// `text` with every URL inside it passed through redacted(): for text that may quote a URL
/// and is not ours to build, such as libcurl's error messages or a whole log line.
std::string redacted_text(std::string_view text);

}  // namespace marquee::source
