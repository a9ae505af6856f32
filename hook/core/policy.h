/* policy: SCS spec files, the v2 rules with their distro table, and the
 * operator's config, loaded into one immutable struct the core decides on. */
#ifndef SCS_POLICY_H
#define SCS_POLICY_H

#include <stddef.h>

#include "core/origins.h"
#include "core/regex.h"

/* Enforcement strength, ordered so that the weaker of two is the min. */
enum mode { MODE_DRY_RUN, MODE_WARN, MODE_ENFORCE };

enum visibility { VIS_PUBLIC, VIS_COMMUNITY, VIS_SHARED, VIS_PRIVATE, VIS_COUNT };

enum status { STATUS_OPTIONAL, STATUS_RECOMMENDED, STATUS_MANDATORY };

/* One `images:` entry of an SCS v1 spec file. */
struct spec_entry {
	char *name;
	struct regex scheme;            /* code NULL when there is no name_scheme */
	char **sources;
	size_t n_sources;
	enum status status;
	char *testcase;                 /* SCS testcase id: `testcase:`, or derived from name */
	const char *file;               /* points into policy->files */
	unsigned line;
};

struct release {
	char *version, *codename;
	int released;                   /* days since 1970-01-01 */
	int lts;
};

struct distro {
	char *name;
	struct regex version_format;    /* anchored full match */
	struct release *releases;
	size_t n_releases;
	unsigned line;
};

struct prop_eq {
	char *key, *value;
};

/* A v2 rule: a selector on properties and/or the name, then requirements. */
struct v2_rule {
	char *id;
	struct prop_eq *match;          /* all must equal (ASCII case-insensitive) */
	size_t n_match;
	struct regex name_scheme;       /* optional selector on the name */
	const struct distro *distro;    /* sources are templates with {codename} */
	char **sources;                 /* templates as written */
	size_t n_sources;
	char ***expanded;               /* [release][source]: templates resolved at load */
	struct prop_eq *require;        /* properties that must equal exactly */
	size_t n_require;
	const char *file;
	unsigned line;
};

/* Presence rules are used by audit: the latest and previous release of a
 * distro in effect on a given date, or an image whose name matches. */
struct presence_rule {
	const struct distro *distro;    /* NULL for a name_scheme rule */
	struct regex name_scheme;
	char *os_purpose;
	int lts_only;
	int effective_month, effective_day;  /* fixed day in the release year, or 0 */
	int effective_after_months;          /* months after release, when no fixed day */
	enum status latest, previous;
	unsigned line;
};

/* What a web-download import's URI must be (operator config
 * `import: {download_uri: ...}`): under a source allowed for the image
 * (prefix, the default), also exactly its image_source (equal), or not
 * checked (off). */
enum download_uri { DOWNLOAD_URI_PREFIX, DOWNLOAD_URI_EQUAL, DOWNLOAD_URI_OFF };

struct exemption {
	char *project;                  /* as written: an id, a name or domain/name */
	char *project_id;               /* resolved (projects.h); NULL: not resolved */
	char *where;                    /* "file:line:col" of project, for errors */
	char **rules;                   /* NULL: every rule */
	size_t n_rules;
	int expires;                    /* last day it applies (days since epoch), -1: never */
	char *reason;
};

struct meta_rule;
struct fleet;
struct quota;
struct catalog;
struct yconf;
struct ynode;

struct policy {
	char **files;                   /* every file that shaped this policy */
	size_t n_files;
	char sha256[65];                /* over the contents of files, in order */

	struct spec_entry *entries;
	size_t n_entries;
	struct distro *distros;
	size_t n_distros;
	struct v2_rule *rules;
	size_t n_rules;
	struct presence_rule *presence;
	size_t n_presence;
	struct meta_rule *meta;         /* image metadata rules (meta.h) */
	size_t n_meta;
	struct fleet *fleet;            /* their whole-cloud rules (fleet.h), NULL: none */

	enum mode mode;
	enum mode scope[VIS_COUNT];
	struct exemption *exemptions;
	size_t n_exemptions;
	struct quota *quota;            /* fair use (quota.h), NULL when not configured */
	enum download_uri download_uri;     /* 0: prefix */
	unsigned download_uri_line;         /* where the config sets it, for messages */
	struct origins origins;             /* from `origins:` policy files (origins.h) */
	struct origin_config origin;        /* operator config key `origin:` */
	struct catalog *catalog;            /* `sync:` (catalog.h), NULL when not configured */

	pcre2_match_context *mctx;      /* match limits: a bad regex is bounded */
};

/* Keys of the same config file that the proxy reads (config.c checks
 * them); the policy accepts them so that one file serves every command. */
#define POLICY_SERVICE_KEYS "listen", "admin_listen", "upstream", "keystone", "log", "failure_policy", \
	"timeouts", "limits", "trusted_fronts", "tls"

/* Loading returns 0, or -1 with "file:line:col: what was expected" in err. */
struct policy *policy_new(void);
/* An SCS spec or v2 rules file (--policy, and the files a config names). */
int policy_load_spec(struct policy *p, const char *path, char *err, size_t errlen);
/* A file opconf.c has read and parsed once: the policy keys of an
 * operator config ('policy:'), or a spec, v2 rules, image metadata or
 * origins file, told apart by their keys. text is what was parsed: it is hashed. */
int policy_load_parsed(struct policy *p, const char *path, const char *text, size_t len, const struct ynode *root,
		       char *err, size_t errlen);
/* Seal after the last load: checks the whole and computes the hash. */
int policy_finish(struct policy *p, char *err, size_t errlen);
void policy_free(struct policy *p);



const char *mode_name(enum mode m);
const char *status_name(enum status s);
const char *download_uri_name(enum download_uri u);
int mode_parse(const char *s, enum mode *out);

#include "core/date.h"

#endif
