/* main.c - davy's entry point: `davy correlate ...` runs the correlator
 * (correlate.h); anything else is the sensor: parse options, run. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "correlate.h"
#include "davy.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "correlate") == 0)
		return davy_correlate(argc - 1, argv + 1);
	static struct davy_config cfg; /* large (file list): not on the stack */
	davy_config_default(&cfg);
	int rc = davy_cli_parse(&cfg, argc, argv);
	if (rc < 0)
		rc = davy_run(&cfg);
	davy_config_free(&cfg);
	return rc;
}
