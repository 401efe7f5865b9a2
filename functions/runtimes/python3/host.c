/*
 * host.c: the worker program of runtime = python3 (functions/README.md).
 *
 * A libfcgi responder that embeds CPython, as uWSGI does: the interpreter
 * starts once per worker, the function's handler is imported once, and each
 * request is a call into gatewayd_runtime.py, which speaks to the handler in
 * its own style and hands back the whole CGI response as bytes. The FastCGI
 * side (records, params, the body) stays in C, where it costs least.
 *
 *	gatewayd-python3 HANDLER FUNCTION text|raw
 *
 * gatewayd writes that command line itself from the function's runtime keys
 * (gatewayd/config_runtime.c); gatewayd_runtime.py is read from this
 * program's own directory. Like every worker it gets its listening socket on
 * fd 0. The GIL is released while waiting for a request and while reading
 * or writing it, so that threads a handler starts keep running between
 * requests.
 *
 * A request's params become a dict only when asked for, through the module
 * _gatewayd_host this program adds (params()): handle(req) never needs
 * them but to log a failure, and building the dict is a fifth of the
 * runtime's own cost per request.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <fcgiapp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read from the request's stdin at a time when its length is not given. */
#define HOST_READ_CHUNK 65536

/* What a request gets when the runtime itself fails (never the handler's error). */
static const char host_failure[] =
	"Status: 500 Internal Server Error\r\n"
	"Content-Type: application/json\r\n"
	"\r\n"
	"{\"error\": \"the Python runtime failed: see gatewayd's log\"}\n";

/* The request being served, for params(); NULL between requests. */
static FCGX_Request *host_request;

static PyObject *host_module_init(void);
static PyObject *host_load(const char *self, char **args);
static void host_serve(PyObject *serve, FCGX_Request *req);
static PyObject *host_params(char **envp);
static PyObject *host_body(FCGX_Request *req);
static PyObject *host_body_chunks(FCGX_Request *req);

int main(int argc, char **argv)
{
	FCGX_Request req;
	PyConfig config;
	PyStatus status;

	if (argc != 4 || (strcmp(argv[3], "text") != 0 && strcmp(argv[3], "raw") != 0)) {
		fprintf(stderr, "usage: %s HANDLER FUNCTION text|raw "
		    "(gatewayd runs this for runtime = python3)\n", argv[0]);
		return 2;
	}
	/*
	 * UTF-8 mode instead of locale coercion, which would add LC_CTYPE to
	 * the environment: the handler sees what env and env_file set, and
	 * nothing else (which may hold PYTHON* settings). sys.argv is the handler.
	 */
	PyPreConfig preconfig;
	PyPreConfig_InitPythonConfig(&preconfig);
	preconfig.coerce_c_locale = 0;
	preconfig.utf8_mode = 1;
	status = Py_PreInitialize(&preconfig);
	if (PyStatus_Exception(status))
		Py_ExitStatusException(status);
	if (PyImport_AppendInittab("_gatewayd_host", host_module_init) < 0)
		return 1;
	PyConfig_InitPythonConfig(&config);
	config.parse_argv = 0;
	/*
	 * A worker's user has no home of its own, and its code is not its to
	 * rewrite: no user site directory, and no __pycache__ written beside
	 * the handler (compile at deploy: python3 -m compileall). site is run
	 * by gatewayd_runtime.py, which keeps it from looking for the home
	 * (with no HOME, glibc asks nscd's socket). This also keeps the runtime
	 * within seccomp = strict.
	 */
	config.user_site_directory = 0;
	config.write_bytecode = 0;
	config.site_import = 0;
	status = PyConfig_SetBytesArgv(&config, 1, &argv[1]);
	if (!PyStatus_Exception(status))
		status = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(status))
		Py_ExitStatusException(status);

	PyObject *serve = host_load(argv[0], argv + 1);
	if (serve == NULL) {
		PyErr_Print();
		return 1;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	for (;;) {
		int accepted;
		Py_BEGIN_ALLOW_THREADS
		accepted = FCGX_Accept_r(&req);
		Py_END_ALLOW_THREADS
		if (accepted < 0)	/* the listening socket is closed: gatewayd stops us */
			break;
		host_serve(serve, &req);
	}
	Py_DECREF(serve);
	FCGX_Free(&req, 1);
	return Py_FinalizeEx() < 0 ? 1 : 0;
}

/* _gatewayd_host.params(): the current request's params, as host_params() makes them. */
static PyObject *host_py_params(PyObject *module, PyObject *unused)
{
	(void)module;
	(void)unused;
	if (host_request == NULL) {
		PyErr_SetString(PyExc_RuntimeError, "no request is being served");
		return NULL;
	}
	return host_params(host_request->envp);
}

static PyMethodDef host_methods[] = {
	{ "params", host_py_params, METH_NOARGS, "The current request's FastCGI params, a dict." },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef host_module = {
	PyModuleDef_HEAD_INIT, "_gatewayd_host", "What the worker program gives gatewayd_runtime.",
	-1, host_methods, NULL, NULL, NULL, NULL,
};

static PyObject *host_module_init(void)
{
	return PyModule_Create(&host_module);
}

/*
 * Imports gatewayd_runtime from self's directory and has it import the
 * handler. Returns its serve(body) callable (a new reference), or
 * NULL with a Python error set: a handler that does not import stops the
 * worker, and its traceback reaches gatewayd's log.
 */
static PyObject *host_load(const char *self, char **args)
{
	char *copy = strdup(self);
	PyObject *serve = NULL;

	if (copy == NULL)
		return PyErr_NoMemory();
	PyObject *dir = PyUnicode_DecodeFSDefault(dirname(copy));
	free(copy);
	PyObject *path = PySys_GetObject("path");	/* borrowed */
	if (dir == NULL || path == NULL || PyList_Insert(path, 0, dir) < 0)
		goto out;
	PyObject *runtime = PyImport_ImportModule("gatewayd_runtime");
	if (runtime != NULL) {
		serve = PyObject_CallMethod(runtime, "load", "ssO", args[0], args[1],
		    strcmp(args[2], "raw") == 0 ? Py_True : Py_False);
		Py_DECREF(runtime);
	}
out:
	Py_XDECREF(dir);
	return serve;
}

/*
 * One request: its body handed to serve (which may ask for its params),
 * whose bytes are the response. An error in the runtime (not in the
 * handler: serve catches those) is printed to the log and answered 500.
 */
static void host_serve(PyObject *serve, FCGX_Request *req)
{
	PyObject *body = host_body(req);
	PyObject *response = NULL;

	if (body != NULL) {
		host_request = req;
		response = PyObject_CallOneArg(serve, body);
		host_request = NULL;
	}
	char *data;
	Py_ssize_t len;

	if (response == NULL || PyBytes_AsStringAndSize(response, &data, &len) < 0) {
		PyErr_Print();
		data = (char *)host_failure;
		len = (Py_ssize_t)sizeof(host_failure) - 1;
	}
	Py_BEGIN_ALLOW_THREADS
	FCGX_PutStr(data, (int)len, req->out);
	FCGX_Finish_r(req);
	Py_END_ALLOW_THREADS
	Py_XDECREF(response);
	Py_XDECREF(body);
}

/*
 * The request's params as a dict of str, decoded as UTF-8 with surrogate
 * escapes (PEP 383), so no byte is lost. A new reference, or NULL.
 */
static PyObject *host_params(char **envp)
{
	PyObject *params = PyDict_New();

	for (size_t i = 0; params != NULL && envp[i] != NULL; i++) {
		const char *eq = strchr(envp[i], '=');
		if (eq == NULL)
			continue;
		PyObject *name = PyUnicode_DecodeUTF8(envp[i], eq - envp[i], "surrogateescape");
		PyObject *value = PyUnicode_DecodeUTF8(eq + 1, (Py_ssize_t)strlen(eq + 1),
		    "surrogateescape");
		if (name == NULL || value == NULL || PyDict_SetItem(params, name, value) < 0)
			Py_CLEAR(params);
		Py_XDECREF(name);
		Py_XDECREF(value);
	}
	return params;
}

/*
 * The request body as bytes: CONTENT_LENGTH bytes (gatewayd has bounded it
 * by request.max_body), or, without a length, all that comes before the end
 * of stdin. A new reference, or NULL.
 */
static PyObject *host_body(FCGX_Request *req)
{
	const char *length = FCGX_GetParam("CONTENT_LENGTH", req->envp);
	char *end;

	if (length == NULL || *length == '\0')
		return host_body_chunks(req);
	long long want = strtoll(length, &end, 10);
	if (*end != '\0' || want < 0 || want > INT_MAX)
		return host_body_chunks(req);
	PyObject *body = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)want);
	if (body == NULL || want == 0)
		return body;
	int got;
	Py_BEGIN_ALLOW_THREADS
	got = FCGX_GetStr(PyBytes_AS_STRING(body), (int)want, req->in);
	Py_END_ALLOW_THREADS
	if (got < want && _PyBytes_Resize(&body, got < 0 ? 0 : got) < 0)
		return NULL;
	return body;
}

/* All of stdin, HOST_READ_CHUNK bytes at a time. A new reference, or NULL. */
static PyObject *host_body_chunks(FCGX_Request *req)
{
	PyObject *body = PyBytes_FromStringAndSize(NULL, HOST_READ_CHUNK);
	Py_ssize_t have = 0;
	int got = 0;

	while (body != NULL) {
		Py_BEGIN_ALLOW_THREADS
		got = FCGX_GetStr(PyBytes_AS_STRING(body) + have, HOST_READ_CHUNK, req->in);
		Py_END_ALLOW_THREADS
		have += got > 0 ? got : 0;
		if (got < HOST_READ_CHUNK)
			break;
		if (_PyBytes_Resize(&body, have + HOST_READ_CHUNK) < 0)
			return NULL;
	}
	if (body != NULL && _PyBytes_Resize(&body, have) < 0)
		return NULL;
	return body;
}
