/* cli: what the subcommands share: loading the policy named by options,
 * dates, and printing untrusted strings safely on a terminal. */
#ifndef SCS_CLI_H
#define SCS_CLI_H

#include <stdio.h>

#include "core/policy.h"

#define EXIT_OK 0
#define EXIT_DENIED 1
#define EXIT_USAGE 2

int cmd_check(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_proxy(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_sync(int argc, char **argv);

/* Policy files named on the command line (--config, --policy...). */
struct policy_args {
	const char *config;
	const char **specs;
	size_t n_specs;
};

void policy_args_add(struct policy_args *a, const char *spec);
/* $SCS_IMAGE_HOOK_CONFIG, or the installed config. */
const char *cli_default_config(void);

/* Load, or print "scs-image-hook: file:line:col: ..." and return NULL.
 * With neither --config nor --policy, the installed config is used. */
struct policy *policy_args_load(const struct policy_args *a);
/* The projects p's config names (exemptions, quota) resolved to ids:
 * through Keystone with the config's credentials (c), or without any
 * (c NULL or no keystone) refused where one is a name. 0, or -1 with err. */
struct config;
int cli_resolve_projects(const struct config *c, struct policy *p, char *err, size_t errlen);
void policy_args_free(struct policy_args *a);

/* --now YYYY-MM-DD, or today in UTC; -1 (after a message) when malformed. */
int cli_today(const char *now);

/* Print at most max bytes of s, escaping control characters, so a
 * hostile image name cannot move the cursor or forge a line. */
void print_safe(FILE *f, const char *s, size_t max);

void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
