/* Fuzz target: policy files (SCS spec, v2 rules, image metadata rules,
 * operator config) as policy lint and every command load them, then
 * decisions on a few fixed images so that fuzzed regexes, release tables
 * and metadata date formats are exercised too. */
#include "fuzz.h"
#include "core/presence.h"

static const char *const fpol_images[] = {
	("{\"name\":\"Ubuntu 24.04\",\"visibility\":\"public\",\"image_source\":\"https://cloud-images.ubuntu.com/releases/noble/x.img\","
	 "\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\",\"os_purpose\":\"generic\"}"),
	"{\"name\":\"ubuntu-capi-image-v1.30.4\",\"visibility\":\"community\",\"os_purpose\":\"k8snode\"}",
	"{\"name\":\"Debian 12\",\"visibility\":\"private\",\"image_source\":\"\",\"os_distro\":\"debian\",\"os_version\":\"12\"}",
	"{\"name\":\"\\u00e9\\u2028 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\",\"visibility\":\"public\",\"image_source\":\"x\"}",
	"{\"visibility\":\"shared\"}",
	("{\"name\":\"Debian 12 20240501\",\"visibility\":\"public\",\"min_disk\":1,\"size\":2147483648,\"min_ram\":0,"
	 "\"architecture\":\"x86_64\",\"image_build_date\":\"2024-5-1 10:00\",\"created_at\":\"2024-05-01T00:00:00Z\","
	 "\"uuid_validity\":\"last-3\",\"hotfix_hours\":\"\",\"image_source\":\"https://x/\",\"os_hidden\":true}"),
};
#define FPOL_N_IMAGES (sizeof(fpol_images) / sizeof(fpol_images[0]))

static struct image fpol_img[FPOL_N_IMAGES];
static char fpol_path[300];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];
	(void)argc;
	(void)argv;
	snprintf(fpol_path, sizeof(fpol_path), "%s/policy.yaml", fuzz_dir());
	for (size_t i = 0; i < FPOL_N_IMAGES; i++)
		FUZZ_CHECK(image_parse(&fpol_img[i], fpol_images[i], strlen(fpol_images[i]), err, sizeof(err)) == 0,
			   "%s", err);
	return 0;
}

static void fpol_exercise(const struct policy *p)
{
	struct decision d;
	struct caller who = { .project_id = "p1" };
	int today = date_parse("2026-11-21");

	FUZZ_CHECK(strlen(p->sha256) == 64, "no policy hash");
	for (size_t i = 0; i < FPOL_N_IMAGES; i++) {
		decide(p, &fpol_img[i], &who, today, &d);
		fuzz_check_decision(&d);
	}
	for (size_t i = 0; i < p->n_presence; i++) {
		const struct release *latest, *previous;
		presence_expected(&p->presence[i], today, &latest, &previous);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024] = "";

	fuzz_write(fpol_path, data, size);
	/* policy lint's entry (any kind of file), then the config-only entry */
	for (int config = 0; config < 2; config++) {
		struct policy *p = policy_new();
		err[0] = '\0';
		int rc = opconf_load(fpol_path, config ? 0 : OPCONF_ANY_FILE, p, NULL, err, sizeof(err));
		if (rc == 0)
			rc = policy_finish(p, err, sizeof(err));
		if (rc < 0)
			FUZZ_CHECK_ERR(err);
		else
			fpol_exercise(p);
		policy_free(p);
	}
	return 0;
}
