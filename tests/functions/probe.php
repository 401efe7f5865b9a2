<?php
// probe.php: the integration tests' PHP function (php-cgi with script =),
// run by tests/integration/test_71_sdk.sh. The same answer as
// probe-cgi.sh: the status ?status=NNN asks for (default 200), an
// "X-Probe: php" header, and four lines: the method, the ?name= parameter
// (URL-decoded by PHP), the X-Trace request header, and the request body.
$status = $_GET['status'] ?? '';
if (preg_match('/^[1-9][0-9][0-9]$/', $status)) {
	http_response_code((int)$status);
}
header('Content-Type: text/plain');
header('X-Probe: php');
printf("method=%s\nname=%s\ntrace=%s\nbody=%s\n", $_SERVER['REQUEST_METHOD'],
    $_GET['name'] ?? '', $_SERVER['HTTP_X_TRACE'] ?? '', file_get_contents('php://input'));
