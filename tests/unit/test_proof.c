/* proof: the verification record reads back as itself, refuses anything
 * else, and vouches for an image only as Glance held it when written. */
#include "unit.h"
#include "core/proof.h"

#include <stdio.h>
#include <string.h>

static const char *const ID = "8f3e0c1a-7a53-4a57-9b3d-2c0e5f6a7b8c";
#define D256 "0b3c5a1e6f4d2c9b8a7e6d5c4b3a291807f6e5d4c3b2a1908f7e6d5c4b3a2910"
#define D512 D256 D256
#define URL "https://cloud-images.ubuntu.com/releases/noble/release-20240821/ubuntu-24.04-server-cloudimg-amd64.img"
#define LIST "https://cloud-images.ubuntu.com/releases/noble/release-20240821/SHA256SUMS"
#define FPR "D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81"
#define LINE "v1 image=8f3e0c1a-7a53-4a57-9b3d-2c0e5f6a7b8c algo=sha256 digest=" D256 " glance=sha512:" D512 \
	" size=661454848 source=" URL " list=" LIST " signer=" FPR " time=2026-12-07T06:30:00Z"

static struct proof sample(void)
{
	struct proof p = { .algo = SUMS_SHA256, .size = 661454848, .time = 1796625000 };

	snprintf(p.image, sizeof(p.image), "%s", ID);
	snprintf(p.digest, sizeof(p.digest), "%s", D256);
	snprintf(p.glance_algo, sizeof(p.glance_algo), "sha512");
	snprintf(p.glance_hash, sizeof(p.glance_hash), "%s", D512);
	snprintf(p.source, sizeof(p.source), "%s", URL);
	snprintf(p.list, sizeof(p.list), "%s", LIST);
	snprintf(p.signer, sizeof(p.signer), "%s", FPR);
	return p;
}

START_TEST(formats_and_reads_back)
{
	struct proof p = sample(), q;
	char line[PROOF_MAX], again[PROOF_MAX], err[256];

	ck_assert_int_eq(proof_format(&p, line, sizeof(line)), 0);
	ck_assert_str_eq(line, LINE);
	ck_assert_msg(proof_parse(line, &q, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(proof_format(&q, again, sizeof(again)), 0);
	ck_assert_str_eq(again, line);
	ck_assert_int_eq(q.size, 661454848);
	ck_assert_int_eq(q.time, p.time);
	ck_assert_str_eq(q.signer, FPR);

	snprintf(p.signer, sizeof(p.signer), "unsigned");
	p.algo = SUMS_SHA512;
	snprintf(p.digest, sizeof(p.digest), "%s", D512);
	ck_assert_int_eq(proof_format(&p, line, sizeof(line)), 0);
	ck_assert_msg(proof_parse(line, &q, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(q.algo, SUMS_SHA512);
	ck_assert_str_eq(q.signer, "unsigned");
	ck_assert_int_eq(proof_format(&p, line, 100), -1);     /* does not fit: not written cut */
}
END_TEST

START_TEST(refuses_what_it_never_writes)
{
	static const char *const bad[] = {
		"",
		"v2 image=x",
		"v1",
		LINE " ",
		LINE " extra=1",
		" " LINE,
		"v1  image=8f3e0c1a-7a53-4a57-9b3d-2c0e5f6a7b8c",
		/* fields out of order, renamed, emptied */
		"v1 algo=sha256 image=8f3e0c1a-7a53-4a57-9b3d-2c0e5f6a7b8c",
		"v1 image= algo=sha256",
		"v1 image=8f3e0c1a/7a53 algo=sha256",
		"v1 image=8f3e0c1a-7a53-4a57-9b3d-2c0e5f6a7b8c algo=md5 digest=" D256,
		/* a sha256 digest of the wrong length, in upper case */
		"v1 image=x algo=sha256 digest=" D256 "00",
		"v1 image=x algo=sha256 digest=0B3C5A1E6F4D2C9B8A7E6D5C4B3A291807F6E5D4C3B2A1908F7E6D5C4B3A2910",
		"v1 image=x algo=sha256 digest=" D256 " glance=" D512,
		"v1 image=x algo=sha256 digest=" D256 " glance=sha512:" D512 " size=-1",
		"v1 image=x algo=sha256 digest=" D256 " glance=sha512:" D512 " size=012",
		"v1 image=x algo=sha256 digest=" D256 " glance=sha512:" D512 " size=1 source=" URL " list=" LIST
			" signer=d2eb44626fddc30b513d5bb71a5d6c4c7db87c81 time=2026-12-07T06:30:00Z",
		"v1 image=x algo=sha256 digest=" D256 " glance=sha512:" D512 " size=1 source=" URL " list=" LIST
			" signer=" FPR " time=2026-12-07 06:30:00",
		"v1 image=x algo=sha256 digest=" D256 " glance=sha512:" D512 " size=1 source=" URL " list=" LIST
			" signer=" FPR " time=2026-02-30T06:30:00Z",
		"v1 image=x algo=sha256 digest=" D256 " glance=sha512:" D512 " size=1 source=" URL " list=" LIST
			" signer=" FPR " time=2026-12-07T24:30:00Z",
	};
	struct proof p;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(proof_parse(bad[i], &p, err, sizeof(err)) < 0, "accepted #%zu: %s", i, bad[i]);
	ck_assert_int_eq(proof_parse("v1 image=x algo=sha256", &p, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "nothing after 'algo'");
}
END_TEST

static const char *mismatch(const char *json, const char *source)
{
	static struct image img;
	struct proof p = sample();
	char err[256];

	image_release(&img);
	memset(&img, 0, sizeof(img));
	ck_assert_msg(image_parse(&img, json, strlen(json), err, sizeof(err)) == 0, "%s", err);
	return proof_mismatch(&p, &img, source);
}

#define IMG(id, algo, hash, size) \
	"{\"id\": \"" id "\", \"os_hash_algo\": \"" algo "\", \"os_hash_value\": \"" hash "\", \"size\": " size "}"

START_TEST(vouches_only_for_the_image_as_written)
{
	ck_assert_ptr_null(mismatch(IMG("8f3e0c1a-7a53-4a57-9b3d-2c0e5f6a7b8c", "sha512", D512, "661454848"), URL));
	ck_assert_str_eq(mismatch(IMG("00000000-7a53-4a57-9b3d-2c0e5f6a7b8c", "sha512", D512, "661454848"), URL),
			 "it was written for another image");
	ck_assert_str_eq(mismatch(IMG("8f3e0c1a-7a53-4a57-9b3d-2c0e5f6a7b8c", "sha512", D256 D256 "", "661454848"),
				  URL "x"), "image_source is not the file it was verified for");
	ck_assert_str_eq(mismatch(IMG("8f3e0c1a-7a53-4a57-9b3d-2c0e5f6a7b8c", "sha256", D512, "661454848"), URL),
			 "Glance's digest of the data is not the one it was verified with");
	ck_assert_str_eq(mismatch(IMG("8f3e0c1a-7a53-4a57-9b3d-2c0e5f6a7b8c", "sha512", D512, "661454849"), URL),
			 "the data's size is not the one it was verified with");
	ck_assert_str_eq(mismatch(IMG("8f3e0c1a-7a53-4a57-9b3d-2c0e5f6a7b8c", "sha512", D512, "\"661454848\""), URL),
			 "the data's size is not the one it was verified with");
	ck_assert_str_eq(mismatch("{\"id\": \"8f3e0c1a-7a53-4a57-9b3d-2c0e5f6a7b8c\", \"size\": 661454848}", URL),
			 "Glance's digest of the data is not the one it was verified with");
	ck_assert_str_eq(mismatch(IMG("8f3e0c1a-7a53-4a57-9b3d-2c0e5f6a7b8c", "sha512", D512, "661454848"), NULL),
			 "image_source is not the file it was verified for");
}
END_TEST

START_TEST(read_from_the_image)
{
	struct image img = { 0 };
	struct proof p;
	char err[256];
	static const char with[] = "{\"id\": \"x\", \"" PROOF_KEY "\": \"" LINE "\"}";
	static const char broken[] = "{\"id\": \"x\", \"" PROOF_KEY "\": \"v1 image=x\"}";

	ck_assert_str_eq(PROOF_KEY, "scs_image_hook_verified");
	ck_assert_int_eq(image_parse(&img, with, strlen(with), err, sizeof(err)), 0);
	ck_assert_int_eq(proof_of(&img, &p, err, sizeof(err)), 1);
	ck_assert_str_eq(p.image, ID);
	image_release(&img);
	memset(&img, 0, sizeof(img));
	ck_assert_int_eq(image_parse(&img, broken, strlen(broken), err, sizeof(err)), 0);
	ck_assert_int_eq(proof_of(&img, &p, err, sizeof(err)), -1);
	image_release(&img);
	memset(&img, 0, sizeof(img));
	ck_assert_int_eq(image_parse(&img, "{\"id\": \"x\"}", 11, err, sizeof(err)), 0);
	ck_assert_int_eq(proof_of(&img, &p, err, sizeof(err)), 0);
	image_release(&img);
}
END_TEST

Suite *suite_proof(void)
{
	Suite *s = suite_create("proof");
	TCase *t = tcase_create("proof");

	tcase_add_test(t, formats_and_reads_back);
	tcase_add_test(t, refuses_what_it_never_writes);
	tcase_add_test(t, vouches_only_for_the_image_as_written);
	tcase_add_test(t, read_from_the_image);
	suite_add_tcase(s, t);
	return s;
}
