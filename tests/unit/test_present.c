/* present: which images are present, and the one predicate every request
 * is asked: present, under an origin, and not verified by a record that
 * holds. */
#include "unit.h"
#include "core/present.h"
#include "core/proof.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

#define SRC "https://cloud-images.ubuntu.com/releases/noble/release-20240821/ubuntu-24.04-server-cloudimg-amd64.img"
#define D256 "0b3c5a1e6f4d2c9b8a7e6d5c4b3a291807f6e5d4c3b2a1908f7e6d5c4b3a2910"
#define D512 D256 D256
#define RECORD "v1 image=i1 algo=sha256 digest=" D256 " glance=sha512:" D512 " size=42 source=" SRC \
	" list=https://cloud-images.ubuntu.com/releases/noble/release-20240821/SHA256SUMS signer=unsigned " \
	"time=2026-12-07T06:30:00Z"

static struct policy *policy(void)
{
	return load_specs(ours("scs-0104-v1-images-v5.yaml"), ours("scs-origins.yaml"), NULL);
}

/* img: JSON members after "id" */
static enum present_need judge(const struct policy *p, const char *members_json, int members, char *why, size_t len)
{
	char json[4096], err[256];
	struct image img = { 0 };
	struct origin_ref ref;

	snprintf(json, sizeof(json), "{\"id\": \"i1\", %s}", members_json);
	ck_assert_msg(image_parse(&img, json, strlen(json), err, sizeof(err)) == 0, "%s: %s", json, err);
	enum present_need n = present_judge(p, &img, members, &ref, why, len);
	if (n == PRESENT_VERIFY)
		ck_assert_msg(!strncmp(ref.file, "ubuntu-24.04-server-cloudimg-amd64.img", 38), "%s", ref.file);
	else
		ck_assert_ptr_null(ref.list_url);
	origin_ref_free(&ref);
	image_release(&img);
	return n;
}

#define DATA "\"status\": \"active\", \"os_hash_algo\": \"sha512\", \"os_hash_value\": \"" D512 "\", \"size\": 42, "

START_TEST(present_means_seen_and_usable)
{
	struct policy *p = policy();
	char why[1024];

	/* present: active, public or community, not hidden */
	ck_assert_int_eq(judge(p, DATA "\"visibility\": \"public\", \"image_source\": \"" SRC "\"", 0, why, sizeof(why)),
			 PRESENT_VERIFY);
	ck_assert_msg(strstr(why, "no verification record"), "%s", why);
	ck_assert_int_eq(judge(p, DATA "\"visibility\": \"community\", \"image_source\": \"" SRC "\"", 0, why,
			       sizeof(why)), PRESENT_VERIFY);
	/* not present: hidden, private, queued, deactivated; shared while the scope only warns */
	static const char *const absent[] = {
		DATA "\"visibility\": \"public\", \"os_hidden\": true, \"image_source\": \"" SRC "\"",
		DATA "\"visibility\": \"private\", \"image_source\": \"" SRC "\"",
		"\"status\": \"queued\", \"visibility\": \"public\", \"image_source\": \"" SRC "\"",
		"\"status\": \"deactivated\", \"visibility\": \"public\", \"image_source\": \"" SRC "\"",
		"\"status\": \"killed\", \"visibility\": \"public\", \"image_source\": \"" SRC "\"",
		DATA "\"visibility\": \"shared\", \"image_source\": \"" SRC "\"",
		/* under no origin: nothing to verify */
		DATA "\"visibility\": \"public\", \"image_source\": \"https://example.org/x.img\"",
		DATA "\"visibility\": \"public\"",
	};
	for (size_t i = 0; i < ARRAY_SIZE(absent); i++)
		ck_assert_msg(judge(p, absent[i], 1, why, sizeof(why)) == PRESENT_NOTHING, "%s", absent[i]);
	/* shared with members counts where the scope enforces shared images */
	ck_assert_int_eq(judge(p, DATA "\"visibility\": \"shared\", \"image_source\": \"" SRC "\"", 1, why, sizeof(why)),
			 PRESENT_NOTHING);
	p->scope[VIS_SHARED] = MODE_ENFORCE;
	ck_assert_int_eq(judge(p, DATA "\"visibility\": \"shared\", \"image_source\": \"" SRC "\"", 1, why, sizeof(why)),
			 PRESENT_VERIFY);
	ck_assert_int_eq(judge(p, DATA "\"visibility\": \"shared\", \"image_source\": \"" SRC "\"", 0, why, sizeof(why)),
			 PRESENT_NOTHING);
	policy_free(p);
}
END_TEST

START_TEST(a_record_that_holds_verifies)
{
	struct policy *p = policy();
	char why[1024];

	ck_assert_int_eq(judge(p, DATA "\"visibility\": \"public\", \"image_source\": \"" SRC "\", \"" PROOF_KEY
			       "\": \"" RECORD "\"", 0, why, sizeof(why)), PRESENT_VERIFIED);
	/* the data changed (another size), or the record is not one */
	ck_assert_int_eq(judge(p, "\"status\": \"active\", \"os_hash_algo\": \"sha512\", \"os_hash_value\": \"" D512
			       "\", \"size\": 43, \"visibility\": \"public\", \"image_source\": \"" SRC "\", \""
			       PROOF_KEY "\": \"" RECORD "\"", 0, why, sizeof(why)), PRESENT_VERIFY);
	ck_assert_msg(strstr(why, "no longer holds: the data's size"), "%s", why);
	ck_assert_int_eq(judge(p, DATA "\"visibility\": \"public\", \"image_source\": \"" SRC "\", \"" PROOF_KEY
			       "\": \"v1 verified, trust me\"", 0, why, sizeof(why)), PRESENT_VERIFY);
	ck_assert_msg(strstr(why, "cannot be read"), "%s", why);
	/* a record written for another file of the vendor */
	ck_assert_int_eq(judge(p, DATA "\"visibility\": \"public\", \"image_source\": \"" SRC "x\", \"" PROOF_KEY
			       "\": \"" RECORD "\"", 0, why, sizeof(why)), PRESENT_VERIFY);
	ck_assert_msg(strstr(why, "image_source is not the file it was verified for"), "%s", why);
	policy_free(p);
}
END_TEST

START_TEST(other_spellings_and_data_in_flight)
{
	struct policy *p = policy();
	char why[1024];

	ck_assert_int_eq(judge(p, DATA "\"visibility\": \"public\", \"image_source\": "
			       "\"https://cloud-images.ubuntu.com:443/releases/noble/release-20240821/x.img\"", 0, why,
			       sizeof(why)), PRESENT_UNLISTED);
	ck_assert_msg(strstr(why, "write it 'https://cloud-images.ubuntu.com/releases/noble/release-20240821/x.img'"),
		      "%s", why);
	/* a hidden image spelled so is not present: nothing to hold (yet) */
	ck_assert_int_eq(judge(p, DATA "\"visibility\": \"public\", \"os_hidden\": true, \"image_source\": "
			       "\"http://cloud-images.ubuntu.com/releases/noble/x.img\"", 0, why, sizeof(why)),
			 PRESENT_NOTHING);
	static const char *const arriving[] = { "saving", "uploading", "importing" };
	for (size_t i = 0; i < ARRAY_SIZE(arriving); i++) {
		char json[1024];
		snprintf(json, sizeof(json), "\"status\": \"%s\", \"visibility\": \"public\", \"image_source\": \"" SRC
			 "\"", arriving[i]);
		ck_assert_int_eq(judge(p, json, 0, why, sizeof(why)), PRESENT_IN_FLIGHT);
		ck_assert_msg(strstr(why, "its data is arriving"), "%s", why);
	}
	policy_free(p);
}
END_TEST

Suite *suite_present(void)
{
	Suite *s = suite_create("present");
	TCase *t = tcase_create("present");

	tcase_add_test(t, present_means_seen_and_usable);
	tcase_add_test(t, a_record_that_holds_verifies);
	tcase_add_test(t, other_spellings_and_data_in_flight);
	suite_add_tcase(s, t);
	return s;
}
