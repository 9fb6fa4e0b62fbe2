// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * main.c - bindwatch's entry point: the table of commands.
 *
 * It owns which word names which command; it must not hold any command's
 * logic (cmd/, one file per command).
 *
 * As in bpftool's cmds[] and cmd_select(): the first argument is looked
 * up in the table and the command runs with the arguments from its own
 * name on.  Anything else (no argument, an option, a word no command has)
 * is the monitor's, which reads every argument as an option and says what
 * it does not know.  Adding a command is a file in cmd/ and a row here.
 */
#include <string.h>
#include "cmd.h"
#include "util.h"

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct cmd cmds[] = {
	{ "who", cmd_who },
	{ "check", cmd_check },
	{ "wait", cmd_check },
	{ "check-policy", cmd_check_policy },
};

int main(int argc, char **argv)
{
	size_t i;

	for (i = 0; argc > 1 && i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	return cmd_monitor(argc, argv);
}
