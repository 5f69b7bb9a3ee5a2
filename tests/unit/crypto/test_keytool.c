// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-keytool end to end: vectors through the CLI, JSON output, the
 * key store commands, and errors (stderr, non-zero exit). */
#include "ks_util.h"

#include <libgen.h>
#include <stdarg.h>
#include <sys/wait.h>

static char tool[4096];
static char out[16384];

/* Runs the keytool with a shell-quoted argument string; returns the exit
 * status; stdout in out[], stderr appended to out[] after a '|' marker
 * when want_err. */
static int kt(const char *fmt, ...)
{
	char args[4096], cmd[8300];
	va_list ap;
	FILE *p;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", tool, args);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Value of "name: " line in out[] (static buffer). */
static const char *field(const char *name)
{
	static char v[2048];
	char key[64];
	const char *p;
	size_t n;

	snprintf(key, sizeof(key), "%s: ", name);
	for (p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, key, strlen(key))) {
			p += strlen(key);
			n = strcspn(p, "\n");
			if (n >= sizeof(v))
				n = sizeof(v) - 1;
			memcpy(v, p, n);
			v[n] = 0;
			return v;
		}
	}
	ck_abort_msg("no %s in output:\n%s", name, out);
	return NULL;
}

static void find_tool(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *env = getenv("PAYTERM_KEYTOOL");

	if (env) {
		snprintf(tool, sizeof(tool), "%s", env);
		return;
	}
	if (n <= 0) {
		perror("readlink /proc/self/exe");
		exit(1);
	}
	self[n] = 0;
	/* <B>/tests/unit/crypto_keytool -> <B>/payterm-keytool */
	snprintf(tool, sizeof(tool), "%s/../../payterm-keytool", dirname(self));
	if (access(tool, X_OK)) {
		fprintf(stderr, "keytool not found at %s\n", tool);
		exit(1);
	}
}

START_TEST(dukpt_vectors_cli)
{
	json_t *root = vec_load("x9_24_3_2017_aes.json"), *set, *tx;
	size_t i, j;

	json_array_foreach(json_object_get(root, "sets"), i, set) {
		ck_assert_int_eq(kt("dukpt-ik --bdk %s --ikid %s", vec_str(set, "bdk"),
				    vec_str(set, "initial_key_id")), 0);
		ck_assert_str_eq(field("initial_key"), vec_str(set, "initial_key"));
		json_array_foreach(json_object_get(set, "transactions"), j, tx) {
			ck_assert_int_eq(kt("dukpt-keys --bdk %s --ksn %s", vec_str(set, "bdk"),
					    vec_str(tx, "ksn")), 0);
			ck_assert_str_eq(field("transaction_key"), vec_str(tx, "transaction_key"));
			if (json_object_get(tx, "pin_key_aes128")) {
				ck_assert_str_eq(field("pin_key"), vec_str(tx, "pin_key_aes128"));
				ck_assert_str_eq(field("mac_gen_key"), vec_str(tx, "mac_gen_key_aes128"));
				ck_assert_str_eq(field("data_enc_key"), vec_str(tx, "data_enc_key_aes128"));
				field("mac_ver_key");
				field("data_dec_key");
			}
			if (json_object_get(tx, "pin_key_aes256")) {
				ck_assert_int_eq(kt("dukpt-keys --bdk %s --ksn %s --key-type aes256",
						    vec_str(set, "bdk"), vec_str(tx, "ksn")), 0);
				ck_assert_str_eq(field("pin_key"), vec_str(tx, "pin_key_aes256"));
				ck_assert_str_eq(field("mac_gen_key"), vec_str(tx, "mac_gen_key_aes256"));
				ck_assert_str_eq(field("data_enc_key"), vec_str(tx, "data_enc_key_aes256"));
			}
			if (test_slow() && j > 2)
				break;
		}
	}
	json_decref(root);

	root = vec_load("dukpt_tdes.json");
	ck_assert_int_eq(kt("dukpt-ik --bdk %s --ksn %s", vec_str(root, "bdk"),
			    vec_str(root, "initial_ksn")), 0);
	ck_assert_str_eq(field("ipek"), vec_str(root, "ipek"));
	json_array_foreach(json_object_get(root, "transactions"), j, tx) {
		char pinkey[40];

		ck_assert_int_eq(kt("dukpt-keys --bdk %s --ksn %s", vec_str(root, "bdk"),
				    vec_str(tx, "ksn")), 0);
		ck_assert_str_eq(field("transaction_key"), vec_str(tx, "future_key"));
		snprintf(pinkey, sizeof(pinkey), "%s", field("pin_key"));
		ck_assert_int_eq(kt("pinblock encrypt --format 0 --pin %s --pan %s --key %s",
				    vec_str(root, "pin"), vec_str(root, "pan"), pinkey), 0);
		ck_assert_str_eq(field("pin_block"), vec_str(tx, "encrypted_pin_block"));
	}
	json_decref(root);
}
END_TEST

START_TEST(json_output)
{
	json_t *j;
	json_error_t e;

	ck_assert_int_eq(kt("--json dukpt-keys --bdk FEDCBA9876543210F1F1F1F1F1F1F1F1 "
			    "--ksn 123456789012345600000001"), 0);
	j = json_loads(out, 0, &e);
	ck_assert_ptr_nonnull(j);
	ck_assert(json_is_object(j));
	ck_assert_str_eq(json_string_value(json_object_get(j, "pin_key")),
			 "AF8CB133A78F8DC2D1359F18527593FB");
	ck_assert_uint_eq(json_object_size(j), 7);
	json_decref(j);
}
END_TEST

START_TEST(pinblock_cli)
{
	ck_assert_int_eq(kt("pinblock encode --format 0 --pin 1234 --pan 5432101234567891"), 0);
	ck_assert_str_eq(field("pin_block"), "041215FEDCBA9876");
	ck_assert_int_eq(kt("pinblock encrypt --format 4 --pin 1234 --pan 4111111111111111 "
			    "--key AF8CB133A78F8DC2D1359F18527593FB --fill 2F69ADDE2E9E7ACE"), 0);
	ck_assert_str_eq(field("pin_block"), "A912150391AB65A67E52883D81CE2D15");
	ck_assert_int_eq(kt("pinblock decrypt --format 4 --pan 4111111111111111 "
			    "--key AF8CB133A78F8DC2D1359F18527593FB "
			    "--block A912150391AB65A67E52883D81CE2D15"), 0);
	ck_assert_str_eq(field("pin"), "1234");
	ck_assert_int_eq(kt("pinblock encrypt --format 3 --pin 98765 --pan 4111111111111111 "
			    "--key 0123456789ABCDEFFEDCBA9876543210"), 0);
	{
		char blk[40];

		snprintf(blk, sizeof(blk), "%s", field("pin_block"));
		ck_assert_int_eq(kt("pinblock decrypt --format 3 --pan 4111111111111111 "
				    "--key 0123456789ABCDEFFEDCBA9876543210 --block %s", blk), 0);
		ck_assert_str_eq(field("pin"), "98765");
	}
	ck_assert_int_eq(kt("pinblock encode --format 0 --pin 123 --pan 5432101234567891"), 1);
	ck_assert_ptr_nonnull(strstr(out, "PIN must be 4 to 12"));
	ck_assert_int_eq(kt("pinblock encode --format 0 --pin 1234 --pan 1234567"), 1);
	ck_assert_ptr_nonnull(strstr(out, "PAN"));
	ck_assert_int_eq(kt("pinblock encrypt --format 4 --pin 1234 --pan 4111111111111111 "
			    "--key 0123456789ABCDEF"), 1);
	ck_assert_int_eq(kt("pinblock encrypt --format 7 --pin 1234 --pan 4111111111111111 "
			    "--key 0123456789ABCDEF"), 1);
}
END_TEST

START_TEST(tr31_cli)
{
	json_t *root = vec_load("tr31_published.json"), *b;
	size_t i;
	char blk[1024];

	json_array_foreach(json_object_get(root, "blocks"), i, b) {
		ck_assert_int_eq(kt("tr31 unwrap --kbpk %s --block %s", vec_str(b, "kbpk"),
				    vec_str(b, "key_block")), 0);
		ck_assert_str_eq(field("key"), vec_str(b, "clear_key"));
		ck_assert_int_eq(strncmp(field("kcv"), vec_str(b, "kcv"), 6), 0);
	}
	json_decref(root);
	ck_assert_int_eq(kt("tr31 wrap --kbpk 88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6 "
			    "--key 3F419E1CB7079442AA37474C2EFBF8B8 --usage D0 --mode B --kc "
			    "--opt KS=ABCDEF"), 0);
	snprintf(blk, sizeof(blk), "%s", field("block"));
	ck_assert_int_eq(blk[0], 'D');
	ck_assert_int_eq(kt("tr31 unwrap --kbpk 88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6 "
			    "--block %s", blk), 0);
	ck_assert_str_eq(field("key"), "3F419E1CB7079442AA37474C2EFBF8B8");
	ck_assert_str_eq(field("key_usage"), "D0");
	ck_assert_str_eq(field("opt_KS"), "ABCDEF");
	ck_assert_str_eq(field("opt_KC"), "0108793E");
	ck_assert_int_eq(kt("tr31 wrap --kbpk DD7515F2BFC17F85CE48F3CA25CB21F6 "
			    "--key 3F419E1CB7079442AA37474C2EFBF8B8 --header B0000P0TE00E0000"), 0);
	ck_assert_int_eq(field("block")[0], 'B');
	ck_assert_str_eq(field("kcv"), "57C409");
	ck_assert_int_eq(kt("tr31 unwrap --kbpk DD7515F2BFC17F85CE48F3CA25CB21F6 --block "
			    "B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248F"), 1);
	ck_assert_ptr_nonnull(strstr(out, "MAC"));
	ck_assert_int_eq(kt("kcv --key 3F419E1CB7079442AA37474C2EFBF8B8"), 0);
	ck_assert_str_eq(field("kcv"), "57C409");
	ck_assert_str_eq(field("kcv_aes"), "08793E");
	ck_assert_int_eq(kt("kcv --key 3F419E1CB7079442AA37474C2EFBF8B8 --alg aes"), 0);
	ck_assert_str_eq(field("kcv"), "08793E");
}
END_TEST

START_TEST(store_cli)
{
	struct pt_tr31_key k;
	uint8_t kbpk[16] = { 0x11, 0x22, 0x33 };
	char blk[512], kbpkhex[33];

	memset(&k, 0, sizeof(k));
	ck_assert_ok(pt_tr31_set_header(&k, "B0000B1AX00N0000"));
	ck_assert_ok(pt_tr31_opt_add(&k, "IK", "1234567890123456"));
	memcpy(k.key, test_ik, 16);
	k.keylen = 16;
	/* version B cannot carry an AES key? it can: algorithm A, TDES KBPK */
	ck_assert_ok(pt_tr31_wrap(kbpk, 16, &k, blk, sizeof(blk)));
	pt_tr31_clear(&k);
	pt_hex_encode(kbpk, 16, kbpkhex);

	ck_assert_int_eq(kt("store show --store %s --kek-file %s", ks_path, kek_path), 1);
	ck_assert_int_eq(kt("store init --store %s --kek-file %s", ks_path, kek_path), 0);
	ck_assert_str_eq(field("type"), "empty");
	ck_assert_int_eq(kt("store init --store %s --kek-file %s", ks_path, kek_path), 1);
	ck_assert_ptr_nonnull(strstr(out, "already exists"));
	ck_assert_int_eq(kt("store next --store %s --kek-file %s", ks_path, kek_path), 1);
	ck_assert_int_eq(kt("store load --store %s --kek-file %s --kbpk %s --block %s",
			    ks_path, kek_path, kbpkhex, blk), 0);
	ck_assert_str_eq(field("ksn"), "123456789012345600000001");
	ck_assert_int_eq(kt("store next --store %s --kek-file %s", ks_path, kek_path), 0);
	ck_assert_str_eq(field("ksn"), "123456789012345600000001");
	ck_assert_str_eq(field("transaction_key"), "4F21B565BAD9835E112B6465635EAE44");
	ck_assert_str_eq(field("pin_key"), "AF8CB133A78F8DC2D1359F18527593FB");
	ck_assert_int_eq(kt("store next --store %s --kek-file %s", ks_path, kek_path), 0);
	ck_assert_str_eq(field("ksn"), "123456789012345600000002");
	ck_assert_str_eq(field("pin_key"), "D30BDC73EC9714B000BEC66BDB7B6D09");
	ck_assert_int_eq(kt("--json store show --store %s --kek-file %s", ks_path, kek_path), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"ksn\":\"123456789012345600000003\""));
	ck_assert_int_eq(kt("store show --store %s --kek-file /nonexistent", ks_path), 1);
}
END_TEST

START_TEST(errors)
{
	ck_assert_int_eq(kt(""), 2);
	ck_assert_int_eq(kt("frobnicate"), 2);
	ck_assert_int_eq(kt("dukpt-keys --bdk 0123"), 2);
	ck_assert_ptr_nonnull(strstr(out, "missing --ksn"));
	ck_assert_int_eq(kt("dukpt-keys --bdk ABC --ksn 123456789012345600000001"), 1);
	ck_assert_ptr_nonnull(strstr(out, "malformed hex"));
	ck_assert_int_eq(kt("dukpt-keys --bdk 0123456789ABCDEF --ksn 123456789012345600000001"), 1);
	ck_assert_ptr_nonnull(strstr(out, "key length"));
	ck_assert_int_eq(kt("dukpt-keys --bdk FEDCBA9876543210F1F1F1F1F1F1F1F1 "
			    "--ksn 123456789012345600000000"), 1);
	ck_assert_ptr_nonnull(strstr(out, "counter not valid"));
	/* a counter no device uses (17 one bits) is still derived */
	ck_assert_int_eq(kt("dukpt-keys --bdk FEDCBA9876543210F1F1F1F1F1F1F1F1 "
			    "--ksn 12345678901234560001FFFF"), 0);
	ck_assert_int_eq(kt("dukpt-keys --bdk FEDCBA9876543210F1F1F1F1F1F1F1F1 "
			    "--ksn 123456789012345600000001 --key-type aes256"), 1);
	ck_assert_int_eq(kt("dukpt-keys --bdk FEDCBA9876543210F1F1F1F1F1F1F1F1 "
			    "--ksn 123456789012345600000001 --key-type des"), 1);
	ck_assert_int_eq(kt("dukpt-keys --bdk FEDCBA9876543210F1F1F1F1F1F1F1F1 "
			    "--ksn 123456789012345600000001 --bogus 1"), 2);
	ck_assert_int_eq(kt("tr31 unwrap --kbpk 00112233445566778899AABBCCDDEEFF --block X0000"), 1);
	ck_assert_int_eq(kt("--help"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crypto_keytool");
	TCase *t = tcase_create("keytool");

	find_tool();
	tcase_add_checked_fixture(t, ks_setup, ks_teardown);
	tcase_set_timeout(t, 240);
	tcase_add_test(t, dukpt_vectors_cli);
	tcase_add_test(t, json_output);
	tcase_add_test(t, pinblock_cli);
	tcase_add_test(t, tr31_cli);
	tcase_add_test(t, store_cli);
	tcase_add_test(t, errors);
	suite_add_tcase(s, t);
	return run_suite(s);
}
