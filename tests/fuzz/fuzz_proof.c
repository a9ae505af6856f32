/* Fuzz target: the verification record (scs_image_hook_verified). What
 * proof_parse accepts, proof_format writes back byte for byte (a record is
 * only ever what the hook writes), and parsing that again gives the same
 * fields; a refusal says why. */
#include "fuzz.h"
#include "core/proof.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[PROOF_MAX + 16], out[PROOF_MAX], err[256] = "";
	struct proof p, q;

	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';
	if (proof_parse(in, &p, err, sizeof(err)) < 0) {
		FUZZ_CHECK_ERR(err);
		return 0;
	}
	FUZZ_CHECK(proof_format(&p, out, sizeof(out)) == 0, "an accepted record cannot be written: %s", in);
	FUZZ_CHECK(!strcmp(in, out), "not written back as read: %s -> %s", in, out);
	FUZZ_CHECK(proof_parse(out, &q, err, sizeof(err)) == 0, "what was written is refused: %s", err);
	FUZZ_CHECK(!memcmp(&p, &q, sizeof(p)), "read again, the fields differ: %s", out);
	return 0;
}
