/* scs-image-hook: keeps Glance images in line with SCS-0104 and the
 * operator's fair-use policy. One binary, one cmd_* per subcommand. */
#include "cmd/cli.h"

#include <stdio.h>
#include <string.h>

#ifndef VERSION
#define VERSION "0.1.0"
#endif

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "check", cmd_check, "decide images given as JSON (pipelines, the Glance import plugin)" },
	{ "audit", cmd_audit, "check every image of a cloud against the policy (SCS compliance and more)" },
	{ "proxy", cmd_proxy, "admission proxy in front of glance-api: decide uploads as they happen" },
	{ "policy", cmd_policy, "lint policy files, or show the rules as the hook understands them" },
	{ "log", cmd_log, "read decision logs: filter, table, JSON, summary; verify their chain" },
	{ "sync", cmd_sync, "keep the standard images current from the vendors' metadata, verified" },
};

static void usage(FILE *f)
{
	fputs("usage: scs-image-hook <command> [options]\n\n"
	      "Keeps an OpenStack cloud's Glance images in line with the Sovereign Cloud\n"
	      "Stack image standard (SCS-0104) and the operator's upload policy.\n\n"
	      "commands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fputs("  help     help CMD shows the options of a command\n"
	      "  version  print the version\n\n"
	      "Exit status everywhere: 0 allowed or compliant, 1 denied or violations,\n"
	      "2 usage, policy or input error.\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("scs-image-hook %s\n", VERSION);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "help")) {
		if (argc < 3) {
			usage(stdout);
			return EXIT_OK;
		}
		cmd = argv[2];
		argv[2] = "--help";
		argc = 3;
		argv++;
		argc--;
	} else {
		argv++;
		argc--;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(argc, argv);
	fprintf(stderr, "scs-image-hook: '%s' is not a command\n\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
