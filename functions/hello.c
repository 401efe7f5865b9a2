/*
 * hello: the smallest useful gatewayd function, and the benchmark baseline.
 *
 * Answers every request with exactly
 *
 *	"Content-Type: text/plain\r\n\r\nhello, world\n"
 *
 * on FCGI_STDOUT. functions/hello.php prints the same body, so the benchmark
 * compares gatewayd + libfcgi with gatewayd + php-cgi on equal work.
 *
 * Like every libfcgi program it is started with its listening socket on fd 0
 * (FCGI_LISTENSOCK_FILENO, FastCGI spec section 2.2): by gatewayd, by
 * spawn-fcgi, or by any other process manager. The request body, if any, is
 * ignored; FCGX_Finish_r() discards what is left of it.
 */
#include <fcgiapp.h>

static const char hello_response[] =
	"Content-Type: text/plain\r\n"
	"\r\n"
	"hello, world\n";

int main(void)
{
	FCGX_Request req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;

	/* FCGX_Accept_r() returns < 0 when the listening socket is closed. */
	while (FCGX_Accept_r(&req) >= 0)
		FCGX_PutStr(hello_response, (int)sizeof(hello_response) - 1, req.out);

	FCGX_Free(&req, 1);
	return 0;
}
