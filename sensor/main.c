/* main.c - davy's entry point: parse options, run. */
#include <stdlib.h>

#include "davy.h"

int main(int argc, char **argv)
{
	static struct davy_config cfg; /* large (file list): not on the stack */
	davy_config_default(&cfg);
	int rc = davy_cli_parse(&cfg, argc, argv);
	if (rc < 0)
		rc = davy_run(&cfg);
	free(cfg.bpf);
	return rc;
}
