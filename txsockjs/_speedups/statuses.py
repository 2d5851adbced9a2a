"""What every response head of ours carries: the reason phrase of its status, and the
header that forbids content sniffing.  Shared by both twins of the response kernel and by
the twisted.web front door."""

from http import HTTPStatus

# Every status the standard library knows, so a status added anywhere in the
# server goes out with its phrase (a missing one once sent "426 Unknown").
# RFC 9110 renamed four; Python 3.13 uses the new names, older Pythons the old
# ones: we send the RFC 9110 names on every Python.
REASONS = {status.value: status.phrase for status in HTTPStatus}
REASONS.update({413: "Content Too Large", 414: "URI Too Long",
                416: "Range Not Satisfiable", 422: "Unprocessable Content"})

# On every response: no browser may guess a type for our bodies (a jsonp
# callback or an echoed message must never run as a script or page).
NOSNIFF = "X-Content-Type-Options: nosniff"
