/* Fuzz target: clouds.yaml (and secure.yaml) as `audit --os-cloud` and the
 * proxy's `keystone: {cloud: ...}` resolve them. The input is
 * "NAME\nCLOUDS.YAML[\n#secure\nSECURE.YAML]"; both files are found
 * through OS_CLIENT_CONFIG_FILE / OS_CLIENT_SECURE_FILE, and nothing of
 * the machine's own configuration is looked at. Both are parsed as
 * openstacksdk parses them (ydoc's OPENSTACK flavour: anchors, aliases,
 * merge keys, their expansion bounded), so the seeds have those too. */
#include "fuzz.h"
#include "io/clouds.h"

extern char **environ;

static char fcl_clouds_path[300], fcl_secure_path[300];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(fcl_clouds_path, sizeof(fcl_clouds_path), "%s/clouds.yaml", fuzz_dir());
	snprintf(fcl_secure_path, sizeof(fcl_secure_path), "%s/secure.yaml", fuzz_dir());
	/* No OS_* variable of the caller may change what a file means. */
	for (int again = 1; again;) {
		again = 0;
		for (char **e = environ; *e; e++) {
			if (strncmp(*e, "OS_", 3))
				continue;
			char name[256];
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(*e, "="), *e);
			unsetenv(name);
			again = 1;
			break;
		}
	}
	setenv("OS_CLIENT_CONFIG_FILE", fcl_clouds_path, 1);
	setenv("OS_CLIENT_SECURE_FILE", fcl_secure_path, 1);
	setenv("HOME", fuzz_dir(), 1);
	setenv("XDG_CONFIG_HOME", fuzz_dir(), 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char mark[] = "\n#secure\n";
	const uint8_t *nl = memchr(data, '\n', size);
	size_t name_len = nl ? (size_t)(nl - data) : size;
	char err[2048] = "";
	struct cloud_auth a;

	char *name = strndup((const char *)data, name_len);
	FUZZ_CHECK(name, "out of memory");
	const uint8_t *rest = nl ? nl + 1 : data + size;
	size_t rest_len = (size_t)(data + size - rest);
	const uint8_t *sec = memmem(rest, rest_len, mark, sizeof(mark) - 1);
	size_t clouds_len = sec ? (size_t)(sec - rest) : rest_len;
	fuzz_write(fcl_clouds_path, rest, clouds_len);
	if (sec)
		fuzz_write(fcl_secure_path, sec + sizeof(mark) - 1, (size_t)(data + size - sec) - (sizeof(mark) - 1));
	else
		fuzz_write(fcl_secure_path, "", 0);

	if (clouds_resolve(name, &a, err, sizeof(err)) == 0) {
		FUZZ_CHECK(a.source && a.auth_url && a.auth_type && a.interface && (a.verify == 0 || a.verify == 1),
			   "resolved cloud lacks source, auth_url, auth_type, interface or verify");
		FUZZ_CHECK(a.cloud && !strcmp(a.cloud, name), "resolved '%s' for '%s'", a.cloud, name);
		cloud_auth_free(&a);
	} else {
		FUZZ_CHECK_ERR(err);
		FUZZ_CHECK(!a.auth_url && !a.password, "a failed resolution kept credentials");
	}
	free(name);
	return 0;
}
