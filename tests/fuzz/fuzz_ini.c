/*
 * fuzz_ini.c: libFuzzer target for the configuration reader: inih, the
 * reader (gatewayd/config.c), every key table and value parser.
 *
 * Each input is written as a configuration file in a temp dir and loaded
 * as the spawner loads it (env_file read). The oracle, besides ASan and
 * UBSan: a refused file has at least one error, and every error line names
 * its file; an accepted one has a listener and a function, and loading it
 * again gives functions whose every key compares equal (the reload
 * comparison the key tables derive). The seed corpus is the project's own
 * configurations (conf/, tests/config/), copied by `make fuzz`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/fuzz_ini.XXXXXX";
static char path[sizeof(dir) + 16];
static char err[16384];

/* At exit: the temp dir goes. */
static void remove_dir(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_ini: mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/gw.ini", dir);
	atexit(remove_dir);
	return 0;
}

/* Every line of a refused load's report starts with a file's path. */
static void check_errors(void)
{
	CHECK(err[0] != '\0');
	for (const char *line = err; *line != '\0'; ) {
		const char *end = strchr(line, '\n');
		CHECK(line[0] == '/');
		if (end == NULL)
			break;		/* the report was cut at the buffer's end */
		line = end + 1;
	}
}

/* A second reading of the same file: every function compares equal. */
static void check_stable(const struct gateway_conf *conf)
{
	struct gateway_conf *again;
	char changed[1024];

	CHECK(conf->function_count > 0 && conf->listen.count > 0);
	CHECK(config_load(path, &again, err, sizeof(err)) == 0);
	CHECK(again->function_count == conf->function_count);
	for (size_t i = 0; i < conf->function_count; i++) {
		CHECK(config_function_compare(&conf->functions[i], &again->functions[i], changed,
		    sizeof(changed)) == CONFIG_RELOAD_LIVE);
		CHECK(changed[0] == '\0');
	}
	config_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gateway_conf *conf = NULL;
	FILE *f = fopen(path, "w");

	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	err[0] = '\0';
	if (config_load(path, &conf, err, sizeof(err)) < 0) {
		check_errors();
		return 0;
	}
	check_stable(conf);
	config_free(conf);
	return 0;
}
