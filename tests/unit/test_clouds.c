/* clouds: which credentials are picked, from which file or variable, and
 * what every refusal says. Each test runs in a fresh temporary directory
 * that is also $HOME and the working directory, with no OS_* variables. */
#include "unit.h"
#include "io/clouds.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const vars[] = {
	"OS_CLOUD", "OS_CLIENT_CONFIG_FILE", "OS_CLIENT_SECURE_FILE", "XDG_CONFIG_HOME",
	"OS_AUTH_URL", "OS_USERNAME", "OS_USER_ID", "OS_PASSWORD", "OS_PROJECT_NAME",
	"OS_TENANT_NAME", "OS_PROJECT_ID", "OS_TENANT_ID", "OS_USER_DOMAIN_NAME",
	"OS_USER_DOMAIN_ID", "OS_PROJECT_DOMAIN_NAME", "OS_PROJECT_DOMAIN_ID", "OS_DOMAIN_NAME",
	"OS_DOMAIN_ID", "OS_APPLICATION_CREDENTIAL_ID", "OS_APPLICATION_CREDENTIAL_NAME",
	"OS_APPLICATION_CREDENTIAL_SECRET", "OS_TOKEN", "OS_AUTH_TOKEN", "OS_AUTH_TYPE",
	"OS_REGION_NAME", "OS_INTERFACE", "OS_ENDPOINT_TYPE", "OS_CACERT", "OS_INSECURE",
};

static char dir[64];
static char old_cwd[PATH_MAX];
static char *old_home;

static void unset_vars(void)
{
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

static void setup(void)
{
	unset_vars();
	snprintf(dir, sizeof(dir), "/tmp/scs-clouds-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(getcwd(old_cwd, sizeof(old_cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	setenv("HOME", dir, 1);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void teardown(void)
{
	unset_vars();
	if (old_home)
		setenv("HOME", old_home, 1);
	else
		unsetenv("HOME");
	free(old_home);
	old_home = NULL;
	ck_assert_int_eq(chdir(old_cwd), 0);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write text to dir/rel (creating its directories); the path, in a static buffer. */
static const char *put(const char *rel, const char *text)
{
	static char path[4][PATH_MAX];
	static int i;
	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, rel);
	for (char *s = path[i] + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path[i], 0700);
		*s = '/';
	}
	FILE *f = fopen(path[i], "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path[i];
}

static const char clouds_yaml[] =
	"clouds:\n"
	"  prod:\n"
	"    auth:\n"
	"      auth_url: https://keystone.example.com:5000/v3\n"
	"      username: admin\n"
	"      password: s3cret\n"
	"      project_name: images\n"
	"      user_domain_name: Default\n"
	"      project_domain_id: default\n"
	"    region_name: RegionOne\n"
	"    identity_api_version: 3\n"
	"    image_api_version: 2\n"
	"    profile: whatever\n"
	"    networks: [{name: public, routes_externally: true}]\n"
	"  dev:\n"
	"    auth_type: v3password\n"
	"    auth: {auth_url: 'https://dev/v3', user_id: u1, password: pw, project_id: p1}\n"
	"    interface: internalURL\n"
	"    verify: false\n"
	"    cacert: /etc/ssl/dev.pem\n";

static struct cloud_auth resolve_ok(const char *name)
{
	struct cloud_auth a;
	char err[1024];
	ck_assert_msg(clouds_resolve(name, &a, err, sizeof(err)) == 0, "%s", err);
	return a;
}

static void assert_fails(const char *name, const char *want1, const char *want2)
{
	struct cloud_auth a;
	char err[2048];
	ck_assert_msg(clouds_resolve(name, &a, err, sizeof(err)) < 0, "resolved %s", name ? name : "(env)");
	ck_assert_msg(strstr(err, want1), "'%s' lacks '%s'", err, want1);
	if (want2)
		ck_assert_msg(strstr(err, want2), "'%s' lacks '%s'", err, want2);
	ck_assert_ptr_null(a.auth_url);
}

START_TEST(named_cloud)
{
	const char *path = put("conf/clouds.yaml", clouds_yaml);
	setenv("OS_CLIENT_CONFIG_FILE", path, 1);
	struct cloud_auth a = resolve_ok("prod");
	ck_assert_str_eq(a.cloud, "prod");
	ck_assert_str_eq(a.source, path);
	ck_assert_ptr_null(a.secure_source);
	ck_assert_str_eq(a.auth_type, "password");
	ck_assert_str_eq(a.auth_url, "https://keystone.example.com:5000/v3");
	ck_assert_str_eq(a.username, "admin");
	ck_assert_str_eq(a.password, "s3cret");
	ck_assert_str_eq(a.project_name, "images");
	ck_assert_str_eq(a.user_domain_name, "Default");
	ck_assert_str_eq(a.project_domain_id, "default");
	ck_assert_ptr_null(a.project_domain_name);
	ck_assert_str_eq(a.region_name, "RegionOne");
	ck_assert_str_eq(a.interface, "public");
	ck_assert_int_eq(a.verify, 1);
	ck_assert_ptr_null(a.cacert);
	cloud_auth_free(&a);
}
END_TEST

START_TEST(os_cloud_selects)
{
	setenv("OS_CLIENT_CONFIG_FILE", put("clouds.yaml", clouds_yaml), 1);
	setenv("OS_CLOUD", "dev", 1);
	setenv("OS_AUTH_URL", "https://ignored/v3", 1);
	struct cloud_auth a = resolve_ok(NULL);
	ck_assert_str_eq(a.cloud, "dev");
	ck_assert_str_eq(a.auth_type, "password");
	ck_assert_str_eq(a.auth_url, "https://dev/v3");
	ck_assert_str_eq(a.user_id, "u1");
	ck_assert_str_eq(a.project_id, "p1");
	ck_assert_ptr_null(a.region_name);
	ck_assert_str_eq(a.interface, "internal");
	ck_assert_int_eq(a.verify, 0);
	ck_assert_str_eq(a.cacert, "/etc/ssl/dev.pem");
	cloud_auth_free(&a);
	/* --os-cloud wins over OS_CLOUD */
	a = resolve_ok("prod");
	ck_assert_str_eq(a.cloud, "prod");
	cloud_auth_free(&a);
}
END_TEST

/* ./clouds.yaml, then $XDG_CONFIG_HOME/openstack, then ~/.config/openstack. */
START_TEST(search_order)
{
	const char *home = put(".config/openstack/clouds.yaml", clouds_yaml);
	struct cloud_auth a = resolve_ok("prod");
	ck_assert_str_eq(a.source, home);
	cloud_auth_free(&a);

	const char *xdg = put("xdg/openstack/clouds.yml", clouds_yaml);
	char xdg_dir[PATH_MAX];
	snprintf(xdg_dir, sizeof(xdg_dir), "%s/xdg", dir);
	setenv("XDG_CONFIG_HOME", xdg_dir, 1);
	a = resolve_ok("prod");
	ck_assert_str_eq(a.source, xdg);
	cloud_auth_free(&a);

	const char *cwd = put("clouds.yaml", clouds_yaml);
	a = resolve_ok("prod");
	ck_assert_str_eq(a.source, cwd);
	cloud_auth_free(&a);

	/* an override that does not exist is passed over, as openstacksdk does */
	setenv("OS_CLIENT_CONFIG_FILE", "/nonexistent/clouds.yaml", 1);
	a = resolve_ok("prod");
	ck_assert_str_eq(a.source, cwd);
	cloud_auth_free(&a);
}
END_TEST

START_TEST(secure_yaml_merges)
{
	const char *cpath = put("clouds.yaml",
				"clouds:\n  prod:\n    auth:\n      auth_url: https://k/v3\n"
				"      username: admin\n      project_name: images\n"
				"      user_domain_name: Default\n    region_name: RegionOne\n");
	const char *spath = put("sec/secure.yaml",
				"clouds:\n  prod:\n    auth:\n      password: from-secure\n"
				"    region_name: RegionTwo\n  only-secret:\n    auth: {auth_url: https://s/v3, token: t}\n");
	setenv("OS_CLIENT_SECURE_FILE", spath, 1);
	struct cloud_auth a = resolve_ok("prod");
	ck_assert_str_eq(a.source, cpath);
	ck_assert_str_eq(a.secure_source, spath);
	ck_assert_str_eq(a.username, "admin");
	ck_assert_str_eq(a.password, "from-secure");
	ck_assert_str_eq(a.user_domain_name, "Default");
	ck_assert_str_eq(a.region_name, "RegionTwo");
	cloud_auth_free(&a);

	/* a cloud may live in secure.yaml alone: openstacksdk merges whole files */
	a = resolve_ok("only-secret");
	ck_assert_str_eq(a.source, spath);
	ck_assert_str_eq(a.auth_type, "token");
	cloud_auth_free(&a);
}
END_TEST

START_TEST(domain_name_fallback)
{
	put("clouds.yaml",
	    "clouds:\n"
	    "  one:\n"
	    "    auth: {auth_url: u, username: n, password: p, project_name: x,\n"
	    "           domain_name: Default, user_domain_name: Users}\n"
	    "  ids:\n"
	    "    domain_id: d1\n"
	    "    auth: {auth_url: u, username: n, password: p, tenant_id: x}\n"
	    "  scoped:\n"
	    "    auth: {auth_url: u, user_id: n, password: p, domain_name: Acme}\n");
	struct cloud_auth a = resolve_ok("one");
	ck_assert_str_eq(a.user_domain_name, "Users");
	ck_assert_str_eq(a.project_domain_name, "Default");
	ck_assert_ptr_null(a.domain_name);
	cloud_auth_free(&a);

	a = resolve_ok("ids");
	ck_assert_str_eq(a.project_id, "x");
	ck_assert_str_eq(a.user_domain_id, "d1");
	ck_assert_str_eq(a.project_domain_id, "d1");
	ck_assert_ptr_null(a.domain_id);
	cloud_auth_free(&a);

	/* no project: the domain is the scope, as in openstacksdk */
	a = resolve_ok("scoped");
	ck_assert_str_eq(a.domain_name, "Acme");
	ck_assert_ptr_null(a.user_domain_name);
	cloud_auth_free(&a);
}
END_TEST

START_TEST(auth_type_inferred)
{
	put("clouds.yaml",
	    "clouds:\n"
	    "  appcred:\n"
	    "    auth: {auth_url: u, application_credential_id: id1, application_credential_secret: s}\n"
	    "  appname:\n"
	    "    auth: {auth_url: u, application_credential_name: n, username: me,\n"
	    "           application_credential_secret: s}\n"
	    "  tok:\n"
	    "    auth: {auth_url: u, token: gAAAA}\n"
	    "  v3tok:\n"
	    "    auth_type: v3token\n"
	    "    auth: {auth_url: u, token: gAAAA}\n");
	struct cloud_auth a = resolve_ok("appcred");
	ck_assert_str_eq(a.auth_type, "v3applicationcredential");
	ck_assert_str_eq(a.application_credential_id, "id1");
	ck_assert_str_eq(a.application_credential_secret, "s");
	cloud_auth_free(&a);
	a = resolve_ok("appname");
	ck_assert_str_eq(a.auth_type, "v3applicationcredential");
	cloud_auth_free(&a);
	a = resolve_ok("tok");
	ck_assert_str_eq(a.auth_type, "token");
	ck_assert_str_eq(a.token, "gAAAA");
	cloud_auth_free(&a);
	a = resolve_ok("v3tok");
	ck_assert_str_eq(a.auth_type, "token");
	cloud_auth_free(&a);
}
END_TEST

START_TEST(plain_os_variables)
{
	setenv("OS_AUTH_URL", "https://env/v3", 1);
	setenv("OS_USERNAME", "envuser", 1);
	setenv("OS_PASSWORD", "envpw", 1);
	setenv("OS_TENANT_NAME", "legacy", 1);
	setenv("OS_USER_DOMAIN_NAME", "Default", 1);
	setenv("OS_PROJECT_DOMAIN_ID", "default", 1);
	setenv("OS_REGION_NAME", "RegionOne", 1);
	setenv("OS_INTERFACE", "admin", 1);
	setenv("OS_CACERT", "/ca.pem", 1);
	/* a clouds.yaml is not read without a cloud name */
	put("clouds.yaml", "clouds: [broken");
	struct cloud_auth a = resolve_ok(NULL);
	ck_assert_ptr_null(a.cloud);
	ck_assert_str_eq(a.source, "environment");
	ck_assert_str_eq(a.auth_type, "password");
	ck_assert_str_eq(a.auth_url, "https://env/v3");
	ck_assert_str_eq(a.username, "envuser");
	ck_assert_str_eq(a.password, "envpw");
	ck_assert_str_eq(a.project_name, "legacy");
	ck_assert_str_eq(a.user_domain_name, "Default");
	ck_assert_str_eq(a.project_domain_id, "default");
	ck_assert_str_eq(a.region_name, "RegionOne");
	ck_assert_str_eq(a.interface, "admin");
	ck_assert_str_eq(a.cacert, "/ca.pem");
	ck_assert_int_eq(a.verify, 1);
	cloud_auth_free(&a);

	/* OS_PROJECT_NAME wins over OS_TENANT_NAME */
	setenv("OS_PROJECT_NAME", "modern", 1);
	a = resolve_ok(NULL);
	ck_assert_str_eq(a.project_name, "modern");
	cloud_auth_free(&a);

	setenv("OS_APPLICATION_CREDENTIAL_ID", "ac", 1);
	setenv("OS_APPLICATION_CREDENTIAL_SECRET", "acs", 1);
	a = resolve_ok(NULL);
	ck_assert_str_eq(a.auth_type, "v3applicationcredential");
	cloud_auth_free(&a);
}
END_TEST

START_TEST(os_insecure)
{
	setenv("OS_AUTH_URL", "https://env/v3", 1);
	setenv("OS_TOKEN", "t", 1);
	setenv("OS_INSECURE", "true", 1);
	struct cloud_auth a = resolve_ok(NULL);
	ck_assert_int_eq(a.verify, 0);
	ck_assert_str_eq(a.auth_type, "token");
	cloud_auth_free(&a);
	setenv("OS_INSECURE", "1", 1);
	a = resolve_ok(NULL);
	ck_assert_int_eq(a.verify, 0);
	cloud_auth_free(&a);
	setenv("OS_INSECURE", "False", 1);
	a = resolve_ok(NULL);
	ck_assert_int_eq(a.verify, 1);
	cloud_auth_free(&a);
	setenv("OS_INSECURE", "maybe", 1);
	assert_fails(NULL, "environment: OS_INSECURE must be true or false, not 'maybe'", NULL);

	/* insecure: true in clouds.yaml wins over verify: true */
	put("clouds.yaml", "clouds:\n  c:\n    verify: true\n    insecure: true\n"
			   "    auth: {auth_url: u, token: t}\n");
	a = resolve_ok("c");
	ck_assert_int_eq(a.verify, 0);
	cloud_auth_free(&a);
}
END_TEST

START_TEST(interface_names)
{
	setenv("OS_AUTH_URL", "https://env/v3", 1);
	setenv("OS_TOKEN", "t", 1);
	setenv("OS_INTERFACE", "internalURL", 1);
	struct cloud_auth a = resolve_ok(NULL);
	ck_assert_str_eq(a.interface, "internal");
	cloud_auth_free(&a);
	unsetenv("OS_INTERFACE");
	setenv("OS_ENDPOINT_TYPE", "publicURL", 1);
	a = resolve_ok(NULL);
	ck_assert_str_eq(a.interface, "public");
	cloud_auth_free(&a);
	setenv("OS_INTERFACE", "private", 1);
	assert_fails(NULL, "environment: OS_INTERFACE must be public, internal or admin, not 'private'",
		     NULL);

	const char *path = put("clouds.yaml", "clouds:\n  c:\n    auth: {auth_url: u, token: t}\n"
					      "    interface: URL\n");
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "%s:4:16: cloud 'c': interface must be public, internal or admin", path);
	assert_fails("c", want, "not 'URL'");
}
END_TEST

START_TEST(regions_list)
{
	put("clouds.yaml", "clouds:\n  c:\n    region_name: Ignored\n"
			   "    regions: [{name: First, values: {}}, Second]\n"
			   "    auth: {auth_url: u, token: t}\n"
			   "  comma:\n    region_name: 'A,B'\n    auth: {auth_url: u, token: t}\n");
	struct cloud_auth a = resolve_ok("c");
	ck_assert_str_eq(a.region_name, "First");
	cloud_auth_free(&a);
	a = resolve_ok("comma");
	ck_assert_str_eq(a.region_name, "A");
	cloud_auth_free(&a);
}
END_TEST

START_TEST(unknown_cloud_lists_names)
{
	const char *path = put("clouds.yaml", clouds_yaml);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "cloud 'staging' not found in %s", path);
	assert_fails("staging", want, "(it defines: prod, dev)");

	const char *sec = put("secure.yaml", "clouds: {}\n");
	snprintf(want, sizeof(want), "nor in %s (it defines no clouds)", sec);
	assert_fails("staging", "(it defines: prod, dev)", want);
}
END_TEST

START_TEST(no_file_lists_paths)
{
	struct stat st;
	char want[PATH_MAX + 64];
	/* with nothing at all: the hint for the plain variables */
	assert_fails(NULL, "no cloud: give --os-cloud NAME, set OS_CLOUD, or set OS_AUTH_URL and "
			   "credentials", NULL);
	/* a machine with a system-wide clouds.yaml would find it */
	if (!stat("/etc/openstack/clouds.yaml", &st) || !stat("/etc/xdg/openstack/clouds.yaml", &st))
		return;
	setenv("OS_CLIENT_CONFIG_FILE", "/nonexistent/mine.yaml", 1);
	snprintf(want, sizeof(want), "%s/clouds.yaml, %s/.config/openstack/clouds.yaml", dir, dir);
	assert_fails("prod", "cloud 'prod': no clouds.yaml found (searched "
			     "OS_CLIENT_CONFIG_FILE=/nonexistent/mine.yaml, ", want);
	assert_fails("prod", "/etc/xdg/openstack/clouds.yaml, /etc/openstack/clouds.yaml "
			     "(each also .yml and .json)", NULL);
}
END_TEST

START_TEST(yaml_syntax_error_position)
{
	const char *path = put("clouds.yaml", "clouds:\n  prod:\n    auth: {auth_url: u\n    region_name: x\n");
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "%s:4:16: YAML syntax error", path);
	assert_fails("prod", want, NULL);
}
END_TEST

/* openstacksdk reads clouds.yaml with PyYAML's safe_load: anchors,
 * aliases and merge keys are taken, with PyYAML's precedence (a key
 * written in the mapping wins; of a list of merged mappings, the first).
 * The expectations were checked against PyYAML 6. */
static const char anchored_yaml[] =
	"base: &base\n"
	"  auth: &auth\n"
	"    auth_url: http://k/v3\n"
	"    username: u\n"
	"    password: p\n"
	"    project_name: demo\n"
	"  region_name: R1\n"
	"other: &other {region_name: R3, interface: internal}\n"
	"clouds:\n"
	"  one:\n"
	"    <<: *base\n"
	"    region_name: R2\n"
	"  two: *base\n"
	"  three:\n"
	"    <<: [*other, *base]\n"
	"    auth:\n"
	"      <<: *auth\n"
	"      password: q\n"
	"  four: {<<: *base, <<: {region_name: R4}}\n"
	"  '<<': {auth: {auth_url: http://quoted/v3, token: t}}\n";

START_TEST(anchors_aliases_merge_keys)
{
	setenv("OS_CLIENT_CONFIG_FILE", put("clouds.yaml", anchored_yaml), 1);
	static const struct { const char *cloud, *region, *password, *interface; } cases[] = {
		{ "one", "R2", "p", "public" },         /* written over merged */
		{ "two", "R1", "p", "public" },         /* a plain alias */
		{ "three", "R3", "q", "internal" },     /* first of the list wins; nested merge */
		{ "four", "R4", "p", "public" },         /* the later of two merge keys wins */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cloud_auth a = resolve_ok(cases[i].cloud);
		ck_assert_str_eq(a.auth_url, "http://k/v3");
		ck_assert_str_eq(a.username, "u");
		ck_assert_str_eq(a.project_name, "demo");
		ck_assert_msg(!strcmp(a.region_name, cases[i].region), "%s: region %s", cases[i].cloud, a.region_name);
		ck_assert_msg(!strcmp(a.password, cases[i].password), "%s: password", cases[i].cloud);
		ck_assert_msg(!strcmp(a.interface, cases[i].interface), "%s: interface %s", cases[i].cloud, a.interface);
		cloud_auth_free(&a);
	}
	/* a quoted '<<' is a plain key, a cloud of that name */
	struct cloud_auth a = resolve_ok("<<");
	ck_assert_str_eq(a.auth_url, "http://quoted/v3");
	cloud_auth_free(&a);
}
END_TEST

/* secure.yaml too, merged over clouds.yaml as before. */
START_TEST(anchors_in_secure_yaml)
{
	setenv("OS_CLIENT_CONFIG_FILE", put("clouds.yaml", "clouds:\n  prod: {auth: {auth_url: http://k/v3, username: u}}\n"), 1);
	setenv("OS_CLIENT_SECURE_FILE",
	       put("secure.yaml", "pw: &pw {password: from-secure}\nclouds:\n  prod: {auth: {<<: *pw}}\n"), 1);
	struct cloud_auth a = resolve_ok("prod");
	ck_assert_str_eq(a.password, "from-secure");
	ck_assert_str_eq(a.username, "u");
	cloud_auth_free(&a);
}
END_TEST

START_TEST(alias_errors_name_the_place)
{
	static const struct { const char *yaml, *want; } cases[] = {
		{ "clouds:\n  a: *nope\n", ":2:6: alias '*nope' names no anchor before it" },
		{ "x: &a 1\nclouds:\n  a: &a {auth: {auth_url: u, token: t}}\n", ":3:6: anchor '&a' is defined twice (first at line 1)" },
		{ "x: &a 1\nclouds:\n  a: {<<: *a}\n", ":3:11: a merge key '<<' takes a mapping or a list of mappings, not a scalar" },
		{ "clouds:\n  a: &a [*a]\n", ":2:10: alias '*a' names no anchor before it" },   /* no recursion */
		{ "clouds:\n  a: !!map {}\n", ":2:6: tags (tag:yaml.org,2002:map) are not allowed" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[PATH_MAX + 128];
		const char *path = put("clouds.yaml", cases[i].yaml);
		setenv("OS_CLIENT_CONFIG_FILE", path, 1);
		snprintf(want, sizeof(want), "%s%s", path, cases[i].want);
		assert_fails("a", want, NULL);
	}
}
END_TEST

/* A billion laughs: ten aliases of ten aliases, nine levels deep, would
 * be 10^9 nodes. The expansion stops at its bound, with the place. */
START_TEST(billion_laughs_is_bounded)
{
	char yaml[4096] = "l0: &l0 [lol]\n";
	for (int lvl = 1; lvl <= 9; lvl++) {
		char line[256];
		snprintf(line, sizeof(line), "l%d: &l%d [*l%d,*l%d,*l%d,*l%d,*l%d,*l%d,*l%d,*l%d,*l%d,*l%d]\n", lvl, lvl,
			 lvl - 1, lvl - 1, lvl - 1, lvl - 1, lvl - 1, lvl - 1, lvl - 1, lvl - 1, lvl - 1, lvl - 1);
		strcat(yaml, line);
	}
	strcat(yaml, "clouds:\n  a: {auth: {auth_url: u, token: t}}\n");
	setenv("OS_CLIENT_CONFIG_FILE", put("clouds.yaml", yaml), 1);
	assert_fails("a", "aliases expand to more than 524288 bytes", NULL);

	/* and the same through merge keys, mappings of mappings */
	char merged[4096] = "m0: &m0 {a0: lol}\n";
	for (int lvl = 1; lvl <= 9; lvl++) {
		char line[512];
		int k = snprintf(line, sizeof(line), "m%d: &m%d {", lvl, lvl);
		for (int j = 0; j < 10; j++)
			k += snprintf(line + k, sizeof(line) - k, "%sk%d: *m%d", j ? ", " : "", j, lvl - 1);
		snprintf(line + k, sizeof(line) - k, "}\n");
		strcat(merged, line);
	}
	strcat(merged, "clouds:\n  a: {<<: *m9, auth: {auth_url: u, token: t}}\n");
	setenv("OS_CLIENT_CONFIG_FILE", put("clouds.yaml", merged), 1);
	assert_fails("a", "aliases expand to more than 524288 bytes", NULL);
}
END_TEST

START_TEST(missing_and_wrong_values)
{
	const char *path = put("clouds.yaml",
			       "clouds:\n"
			       "  nopw:\n    auth: {auth_url: u, username: n, project_name: x}\n"
			       "  nouser:\n    auth: {auth_url: u, password: p}\n"
			       "  nourl:\n    auth: {token: t}\n"
			       "  appcred:\n    auth: {auth_url: u, application_credential_name: n,\n"
			       "           application_credential_secret: s}\n"
			       "  oidc:\n    auth_type: v3oidcpassword\n    auth: {auth_url: u}\n"
			       "  badauth:\n    auth: [u]\n"
			       "  badpw:\n    auth: {auth_url: u, username: n, password: {x: 1}}\n"
			       "  badverify:\n    verify: sometimes\n    auth: {auth_url: u, token: t}\n");
	char want[PATH_MAX + 128];
	snprintf(want, sizeof(want), "%s:2:3: cloud 'nopw': password auth needs auth.password", path);
	assert_fails("nopw", want, NULL);
	assert_fails("nouser", "cloud 'nouser': password auth needs auth.username or auth.user_id", NULL);
	assert_fails("nourl", "cloud 'nourl': token auth needs auth.auth_url", NULL);
	assert_fails("appcred", "cloud 'appcred': v3applicationcredential auth needs "
				"auth.application_credential_id, or auth.application_credential_name "
				"with auth.username or auth.user_id", NULL);
	snprintf(want, sizeof(want), "%s:12:16: cloud 'oidc': auth_type 'v3oidcpassword' is not supported",
		 path);
	assert_fails("oidc", want, NULL);
	assert_fails("badauth", ":15:11: cloud 'badauth': auth must be a mapping, not a list", NULL);
	assert_fails("badpw", ":17:48: cloud 'badpw': auth.password must be a string, not a mapping", NULL);
	assert_fails("badverify", ":19:13: cloud 'badverify': verify must be true or false, not 'sometimes'",
		     NULL);

	/* a missing secret names secure.yaml too, where it usually lives */
	const char *sec = put("secure.yaml", "clouds:\n  nopw:\n    region_name: R\n");
	snprintf(want, sizeof(want), "needs auth.password (not in %s either)", sec);
	assert_fails("nopw", want, NULL);

	setenv("OS_AUTH_URL", "https://env/v3", 1);
	setenv("OS_USERNAME", "n", 1);
	assert_fails(NULL, "environment: password auth needs OS_PASSWORD", NULL);
	setenv("OS_AUTH_TYPE", "v2password", 1);
	assert_fails(NULL, "environment: OS_AUTH_TYPE 'v2password' is not supported", NULL);
}
END_TEST

START_TEST(not_a_clouds_file)
{
	const char *path = put("clouds.yaml", "- prod\n");
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "%s:1:1: must be a mapping with a 'clouds' key, not a list", path);
	assert_fails("prod", want, NULL);
	path = put("clouds.yaml", "clouds:\n  prod: just-a-string\n");
	snprintf(want, sizeof(want), "%s:2:9: cloud 'prod' must be a mapping, not a scalar", path);
	assert_fails("prod", want, NULL);
	put("clouds.yaml", "");
	assert_fails("prod", "(it defines no clouds)", NULL);
}
END_TEST

Suite *suite_clouds(void)
{
	Suite *s = suite_create("clouds");
	TCase *tc = tcase_create("resolve");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, named_cloud);
	tcase_add_test(tc, os_cloud_selects);
	tcase_add_test(tc, search_order);
	tcase_add_test(tc, secure_yaml_merges);
	tcase_add_test(tc, domain_name_fallback);
	tcase_add_test(tc, auth_type_inferred);
	tcase_add_test(tc, plain_os_variables);
	tcase_add_test(tc, os_insecure);
	tcase_add_test(tc, interface_names);
	tcase_add_test(tc, regions_list);
	tcase_add_test(tc, unknown_cloud_lists_names);
	tcase_add_test(tc, no_file_lists_paths);
	tcase_add_test(tc, yaml_syntax_error_position);
	tcase_add_test(tc, anchors_aliases_merge_keys);
	tcase_add_test(tc, anchors_in_secure_yaml);
	tcase_add_test(tc, alias_errors_name_the_place);
	tcase_add_test(tc, billion_laughs_is_bounded);
	tcase_add_test(tc, missing_and_wrong_values);
	tcase_add_test(tc, not_a_clouds_file);
	suite_add_tcase(s, tc);
	return s;
}
