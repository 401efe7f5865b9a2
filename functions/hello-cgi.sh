#!/bin/sh
# hello-cgi.sh: functions/hello as a CGI program (mode = cgi): the same
# bytes, "Content-Type: text/plain", a blank line, "hello, world", with the
# CRLF line ends of the header. The request body, if any, is not read.
printf 'Content-Type: text/plain\r\n\r\nhello, world\n'
