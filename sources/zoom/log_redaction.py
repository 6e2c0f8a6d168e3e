"""Masks query-string values in the HTTP libraries' log lines, at every level.

urllib3 logs each request line at DEBUG (`"GET /rec/file-host/…?exp=…&sig=… HTTP/1.1" 200`), and its
retry messages carry the URL. A download URL's query can hold a download token or a CDN signature that
lets anyone fetch the recording, so every query value becomes `***` before a handler sees it.
"""

from __future__ import annotations

import logging
import re
import threading

__all__ = ["QueryRedactingFilter", "install_http_log_redaction", "redact_queries"]

# the loggers that print request URLs (a filter on a logger only sees that logger's own records)
HTTP_LOGGERS = ("urllib3", "urllib3.connectionpool", "urllib3.util.retry", "urllib3.response", "requests")
# a query parameter's value: after "?" or "&", up to the next separator, quote or whitespace
_QUERY_VALUE = re.compile(r"([?&][^=&?#\s\"'<>]+=)[^&#\s\"'<>]*")

_installed = False
_lock = threading.Lock()


def redact_queries(text: str) -> str:
    """Replaces every query-parameter value in `text` with `***` (parameter names stay).

    Args:
        text: a log message.

    Returns:
        The message with `?a=1&b=2` shown as `?a=***&b=***`.
    """
    return _QUERY_VALUE.sub(r"\1***", text)


class QueryRedactingFilter(logging.Filter):
    """Rewrites a record's message with `redact_queries` (it never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_queries(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def install_http_log_redaction() -> None:
    """Adds the filter to urllib3's and requests' loggers, once per process."""
    global _installed
    with _lock:
        if _installed:
            return
        for name in HTTP_LOGGERS:
            logging.getLogger(name).addFilter(QueryRedactingFilter())
        _installed = True
