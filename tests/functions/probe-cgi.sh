#!/bin/sh
# probe-cgi.sh: the integration tests' CGI program (mode = cgi, RFC 3875),
# run by tests/integration/test_71_sdk.sh. It answers with the status that
# ?status=NNN asks for (default 200), an "X-Probe: cgi" header, and a
# text/plain body of four lines: the method, the ?name= parameter (not
# URL-decoded), the X-Trace request header, and the request body (stdin,
# which gatewayd closes after CONTENT_LENGTH bytes).
body=$(cat)
name=$(printf '%s\n' "${QUERY_STRING:-}" | tr '&' '\n' | sed -n 's/^name=//p' | head -n 1)
status=$(printf '%s\n' "${QUERY_STRING:-}" | tr '&' '\n' | sed -n 's/^status=\([1-9][0-9][0-9]\)$/\1/p' | head -n 1)
[ -n "$status" ] && printf 'Status: %s\r\n' "$status"
printf 'Content-Type: text/plain\r\nX-Probe: cgi\r\n\r\n'
printf 'method=%s\nname=%s\ntrace=%s\nbody=%s\n' "${REQUEST_METHOD:-}" "$name" "${HTTP_X_TRACE:-}" "$body"
