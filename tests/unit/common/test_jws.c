// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests for libpaytermcommon's base64url (b64url.c) and compact JWS
 * ES256 (jws.c), shared by payterm-server and paytermd.  The vectors are
 * copied here from RFC 4648 section 10 (base64, written in the URL
 * alphabet without padding) and RFC 7515 Appendix A.3 (ES256).
 */
#include <check.h>
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "payterm-common.h"
#include "payterm-jws.h"
#include "../check_main.h"

/* ---- base64url -------------------------------------------------------- */

static void enc_eq(const void *in, size_t n, const char *want)
{
	char out[256];
	unsigned char back[256];
	size_t m = 99;

	ck_assert_uint_eq(ptc_b64url_encoded_size(n), strlen(want) + 1);
	ck_assert_int_eq(ptc_b64url_encode(in, n, out, sizeof(out)), 0);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(ptc_b64url_decode(out, strlen(out), back, sizeof(back),
					   &m), 0);
	ck_assert_uint_eq(m, n);
	ck_assert_mem_eq(back, in, n);
}

START_TEST(b64url_rfc4648)
{
	/* RFC 4648 section 10; no padding in base64url as JWS uses it */
	enc_eq("", 0, "");
	enc_eq("f", 1, "Zg");
	enc_eq("fo", 2, "Zm8");
	enc_eq("foo", 3, "Zm9v");
	enc_eq("foob", 4, "Zm9vYg");
	enc_eq("fooba", 5, "Zm9vYmE");
	enc_eq("foobar", 6, "Zm9vYmFy");
	/* the two characters base64url changes: '+' -> '-', '/' -> '_' */
	enc_eq("\xfb\xff\xbf", 3, "-_-_");
	enc_eq("\xfb\xff", 2, "-_8");
}
END_TEST

START_TEST(b64url_long)
{
	/* over OpenSSL's 48-byte blocks of the encoder: 0x00..0x63 */
	static const char want[] =
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss"
		"LS4vMDEyMzQ1Njc4OTo7PD0-P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZ"
		"WltcXV5fYGFiYw";
	unsigned char in[100];
	char w48[65];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)i;
	enc_eq(in, sizeof(in), want);
	memcpy(w48, want, 64);	/* 48 bytes: exactly one block */
	w48[64] = '\0';
	enc_eq(in, 48, w48);
}
END_TEST

static int dec(const char *s, size_t cap)
{
	unsigned char out[64];
	size_t n = 99;
	int r;

	memset(out, 0xa5, sizeof(out));
	r = ptc_b64url_decode(s, strlen(s), out, cap, &n);
	if (r) {
		ck_assert_uint_eq(n, 0);
		/* what was written before the failure is wiped */
		for (size_t i = 0; i < cap; i++)
			ck_assert(out[i] == 0 || out[i] == 0xa5);
	}
	return r;
}

START_TEST(b64url_refusals)
{
	char small[8];
	size_t n;

	ck_assert_int_eq(dec("Zm9vYmFy", 64), 0);
	ck_assert_int_eq(dec("Zg==", 64), -EINVAL);	/* padding */
	ck_assert_int_eq(dec("Zm8=", 64), -EINVAL);
	ck_assert_int_eq(dec("Zm9v+", 64), -EINVAL);	/* 4n + 1 */
	ck_assert_int_eq(dec("Zm9v+A", 64), -EINVAL);	/* base64, not url */
	ck_assert_int_eq(dec("Zm9v/w", 64), -EINVAL);
	ck_assert_int_eq(dec("Zm 9v", 64), -EINVAL);	/* white space */
	ck_assert_int_eq(dec("Zm9v\n", 64), -EINVAL);
	ck_assert_int_eq(dec("Zh", 64), -EINVAL);	/* non-canonical */
	ck_assert_int_eq(dec("Zm9", 64), -EINVAL);
	ck_assert_int_eq(dec("Z", 64), -EINVAL);
	ck_assert_int_eq(dec("Zm9vYmFy", 5), -ENOSPC);
	ck_assert_int_eq(dec("Zm9vYmFy", 6), 0);
	/* a NUL inside the given length is no base64url character */
	ck_assert_int_eq(ptc_b64url_decode("Zm\0v", 4, small, sizeof(small),
					   &n), -EINVAL);
	ck_assert_int_eq(ptc_b64url_decode("Zm9v", 4, small, sizeof(small),
					   NULL), -EINVAL);
	ck_assert_int_eq(ptc_b64url_encode("foo", 3, small, 5), 0);
	ck_assert_int_eq(ptc_b64url_encode("foo", 3, small, 4), -ENOSPC);
	ck_assert_int_eq(ptc_b64url_encode(NULL, 3, small, 5), -EINVAL);
}
END_TEST

/* ---- R || S <-> DER -------------------------------------------------- */

START_TEST(der_raw)
{
	/* r = 5 (DER drops the leading zeros), s = ff..ff (DER adds a 00) */
	static const unsigned char want_head[] = {
		0x30, 0x26, 0x02, 0x01, 0x05, 0x02, 0x21, 0x00, 0xff
	};
	unsigned char raw[64], back[64], *der;
	size_t n;

	memset(raw, 0, 32);
	raw[31] = 5;
	memset(raw + 32, 0xff, 32);
	ck_assert_int_eq(ptc_ecdsa_raw_to_der(raw, &der, &n), 0);
	ck_assert_uint_eq(n, 40);
	ck_assert_mem_eq(der, want_head, sizeof(want_head));
	ck_assert_int_eq(ptc_ecdsa_der_to_raw(der, n, back), 0);
	ck_assert_mem_eq(raw, back, 64);
	/* wrong lengths: one byte short, one byte more */
	ck_assert_int_eq(ptc_ecdsa_der_to_raw(der, n - 1, back), -EBADMSG);
	{
		unsigned char longer[41];

		memcpy(longer, der, n);
		longer[40] = 0;
		ck_assert_int_eq(ptc_ecdsa_der_to_raw(longer, 41, back),
				 -EBADMSG);
	}
	OPENSSL_free(der);
}
END_TEST

START_TEST(der_refusals)
{
	/* r = 5, s = 7 */
	static const unsigned char small[] = {
		0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07
	};
	/* r = -1 */
	static const unsigned char neg[] = {
		0x30, 0x06, 0x02, 0x01, 0xff, 0x02, 0x01, 0x07
	};
	/* r of 33 significant bytes: 01 then 32 zeros */
	unsigned char wide[2 + 2 + 33 + 3] = { 0x30, 2 + 33 + 3, 0x02, 33, 0x01 };
	unsigned char raw[64];

	ck_assert_int_eq(ptc_ecdsa_der_to_raw(small, sizeof(small), raw), 0);
	ck_assert_uint_eq(raw[31], 5);
	ck_assert_uint_eq(raw[63], 7);
	for (int i = 0; i < 31; i++)
		ck_assert_uint_eq(raw[i] | raw[32 + i], 0);
	ck_assert_int_eq(ptc_ecdsa_der_to_raw(neg, sizeof(neg), raw), -EBADMSG);
	wide[2 + 2 + 33] = 0x02;
	wide[2 + 2 + 33 + 1] = 0x01;
	wide[2 + 2 + 33 + 2] = 0x07;
	ck_assert_int_eq(ptc_ecdsa_der_to_raw(wide, sizeof(wide), raw), -ERANGE);
	ck_assert_int_eq(ptc_ecdsa_der_to_raw((const unsigned char *)"\x30", 1,
					      raw), -EBADMSG);
	ck_assert_int_eq(ptc_ecdsa_der_to_raw(small, 0, raw), -EBADMSG);
}
END_TEST

/* ---- JWS ES256: RFC 7515 Appendix A.3 --------------------------------- */

/* A.3.1: the key (x, y, d of the JWK in hex) and the compact JWS */
#define A3_X "7fcdce2770f6c45d4183cbee6fdb4b7b580733357be9ef13bacf6e3c7bd15445"
#define A3_Y "c7f144cd1bbd9b7e872cdfedb9eeb9f4b3695d6ea90b24ad8a4623288588e5ad"
#define A3_D "8e9b109e719098bf980487df1f5d77e9cb29606ebed2263b5f57c213df84f4b2"
#define A3_HDR "eyJhbGciOiJFUzI1NiJ9"
#define A3_PL "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt" \
	"cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
#define A3_SIG "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA" \
	"pmWQxfKTUJqPP3-Kg6NU1Q"
#define A3_JWS A3_HDR "." A3_PL "." A3_SIG

static EVP_PKEY *a3_key(int with_private)
{
	unsigned char pub[65] = { 0x04 }, d[32];
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM *p;
	EVP_PKEY *k = NULL;
	BIGNUM *bn = NULL;
	size_t n;

	ck_assert_int_eq(ptc_hex_decode(A3_X, pub + 1, 32, &n), 0);
	ck_assert_int_eq(ptc_hex_decode(A3_Y, pub + 33, 32, &n), 0);
	ck_assert_int_eq(ptc_hex_decode(A3_D, d, 32, &n), 0);
	ck_assert(b && c);
	OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME,
					"prime256v1", 0);
	OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub,
					 sizeof(pub));
	if (with_private) {
		bn = BN_bin2bn(d, 32, NULL);
		OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, bn);
	}
	p = OSSL_PARAM_BLD_to_param(b);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(EVP_PKEY_fromdata_init(c), 1);
	ck_assert_int_eq(EVP_PKEY_fromdata(c, &k, with_private ? EVP_PKEY_KEYPAIR :
					   EVP_PKEY_PUBLIC_KEY, p), 1);
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(c);
	BN_free(bn);
	return k;
}

START_TEST(jws_rfc7515_a3)
{
	EVP_PKEY *k = a3_key(0);
	json_t *hdr, *pl;

	ck_assert_int_eq(ptc_jws_verify(k, A3_JWS, 4096, &hdr, &pl), 0);
	ck_assert_str_eq(json_string_value(json_object_get(hdr, "alg")), "ES256");
	ck_assert_str_eq(json_string_value(json_object_get(pl, "iss")), "joe");
	ck_assert_int_eq(json_integer_value(json_object_get(pl, "exp")),
			 1300819380);
	ck_assert(json_is_true(json_object_get(pl, "http://example.com/is_root")));
	json_decref(hdr);
	json_decref(pl);
	/* the last signature character changed (still canonical) */
	ck_assert_int_eq(ptc_jws_verify(k, A3_HDR "." A3_PL "."
		"DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"
		"pmWQxfKTUJqPP3-Kg6NU1A", 4096, &hdr, &pl), -EKEYREJECTED);
	ck_assert_ptr_null(hdr);
	ck_assert_ptr_null(pl);
	/* a byte of the payload changed */
	ck_assert_int_eq(ptc_jws_verify(k, A3_HDR "." "fQ" A3_PL "." A3_SIG,
					4096, NULL, &pl), -EKEYREJECTED);
	/* the limit on the length counts */
	ck_assert_int_eq(ptc_jws_verify(k, A3_JWS, strlen(A3_JWS), NULL, &pl), 0);
	json_decref(pl);
	ck_assert_int_eq(ptc_jws_verify(k, A3_JWS, strlen(A3_JWS) - 1, NULL, &pl),
			 -EBADMSG);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(jws_sign_verify)
{
	EVP_PKEY *k = a3_key(1), *pub = a3_key(0), *other = EVP_EC_gen("P-256");
	json_t *h = json_pack("{s:s,s:s}", "alg", "ES256", "kid", "k1");
	json_t *p = json_pack("{s:s,s:i}", "a", "b", "n", 7), *h2, *p2;
	char *jws = NULL;
	unsigned char raw[64];

	ck_assert_int_eq(ptc_jws_sign(k, h, p, &jws), 0);
	/* the header as given, compact, in its own order */
	ck_assert_int_eq(strncmp(jws, "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.", 36),
			 0);
	ck_assert_int_eq(ptc_jws_verify(pub, jws, 4096, &h2, &p2), 0);
	ck_assert_str_eq(json_string_value(json_object_get(h2, "kid")), "k1");
	ck_assert_int_eq(json_integer_value(json_object_get(p2, "n")), 7);
	json_decref(h2);
	json_decref(p2);
	ck_assert_int_eq(ptc_jws_verify(other, jws, 4096, NULL, &p2),
			 -EKEYREJECTED);
	free(jws);
	/* the primitive under it */
	ck_assert_int_eq(ptc_es256_sign(k, "abc", 3, raw), 0);
	ck_assert_int_eq(ptc_es256_verify(pub, "abc", 3, raw), 0);
	ck_assert_int_eq(ptc_es256_verify(pub, "abd", 3, raw), -EKEYREJECTED);
	json_decref(h);
	json_decref(p);
	EVP_PKEY_free(k);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(other);
}
END_TEST

static int verify_bytes(EVP_PKEY *k, const char *hdr, const char *pl)
{
	json_t *p = (json_t *)1;
	char *jws = NULL;
	int r;

	ck_assert_int_eq(ptc_jws_sign_bytes(k, hdr, strlen(hdr), pl, strlen(pl),
					    &jws), 0);
	r = ptc_jws_verify(k, jws, 4096, NULL, &p);
	if (r)
		ck_assert_ptr_null(p);
	json_decref(p);
	free(jws);
	return r;
}

START_TEST(jws_refusals)
{
	EVP_PKEY *k = a3_key(1);
	json_t *p;

	ck_assert_int_eq(verify_bytes(k, "{\"alg\":\"ES256\"}", "{}"), 0);
	/* signed with the right key, and still refused */
	ck_assert_int_eq(verify_bytes(k, "{\"alg\":\"none\"}", "{}"), -ENOTSUP);
	ck_assert_int_eq(verify_bytes(k, "{\"alg\":\"HS256\"}", "{}"), -ENOTSUP);
	ck_assert_int_eq(verify_bytes(k, "{\"alg\":\"es256\"}", "{}"), -ENOTSUP);
	ck_assert_int_eq(verify_bytes(k, "{}", "{}"), -ENOTSUP);
	ck_assert_int_eq(verify_bytes(k, "{\"alg\":\"ES256\",\"crit\":[\"x\"],"
				      "\"x\":1}", "{}"), -ENOTSUP);
	ck_assert_int_eq(verify_bytes(k, "{\"alg\":\"ES256\",\"alg\":\"ES256\"}",
				      "{}"), -EBADMSG);
	ck_assert_int_eq(verify_bytes(k, "[\"ES256\"]", "{}"), -EBADMSG);
	ck_assert_int_eq(verify_bytes(k, "{\"alg\":\"ES256\"}", "[1]"), -EPROTO);
	ck_assert_int_eq(verify_bytes(k, "{\"alg\":\"ES256\"}", "{\"a\":1,\"a\":2}"),
			 -EPROTO);
	/* alg none with an empty signature, as an attacker sends it */
	ck_assert_int_eq(ptc_jws_verify(k, "eyJhbGciOiJub25lIn0.eyJhIjoxfQ.",
					4096, NULL, &p), -ENOTSUP);
	/* structure */
	ck_assert_int_eq(ptc_jws_verify(k, "", 4096, NULL, &p), -EBADMSG);
	ck_assert_int_eq(ptc_jws_verify(k, "a.b", 4096, NULL, &p), -EBADMSG);
	ck_assert_int_eq(ptc_jws_verify(k, A3_JWS ".x", 4096, NULL, &p), -EBADMSG);
	ck_assert_int_eq(ptc_jws_verify(k, A3_HDR "=." A3_PL "." A3_SIG, 4096,
					NULL, &p), -EBADMSG);
	/* signature: padded, 63 or 65 bytes, DER instead of R || S */
	ck_assert_int_eq(ptc_jws_verify(k, A3_JWS "==", 4096, NULL, &p),
			 -EKEYREJECTED);
	ck_assert_int_eq(ptc_jws_verify(k, A3_JWS "AA", 4096, NULL, &p),
			 -EKEYREJECTED);
	ck_assert_int_eq(ptc_jws_verify(k, A3_HDR "." A3_PL "."
		"DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"
		"pmWQxfKTUJqPP3-Kg6NU", 4096, NULL, &p), -EKEYREJECTED);
	ck_assert_int_eq(ptc_jws_verify(k, A3_HDR "." A3_PL ".MAYCAQUCAQc", 4096,
					NULL, &p), -EKEYREJECTED);
	ck_assert_int_eq(ptc_jws_verify(k, A3_JWS, 4096, NULL, NULL), -EINVAL);
	EVP_PKEY_free(k);
}
END_TEST

static char *write_pub(EVP_PKEY *k)
{
	char *path = strdup("/tmp/pt-test-jws-XXXXXX");
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
	return path;
}

START_TEST(jws_load)
{
	EVP_PKEY *p256 = EVP_EC_gen("P-256"), *k1 = EVP_EC_gen("secp256k1"), *k;
	char *a = write_pub(p256), *b = write_pub(k1);

	k = ptc_jws_load_public(a);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(EVP_PKEY_eq(k, p256), 1);
	EVP_PKEY_free(k);
	/* 256 bits, but not P-256: no ES256 key */
	ck_assert_ptr_null(ptc_jws_load_public(b));
	ck_assert_ptr_null(ptc_jws_load_private(a));
	ck_assert_ptr_null(ptc_jws_load_public("/nonexistent/key.pem"));
	unlink(a);
	unlink(b);
	free(a);
	free(b);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(k1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("common_jws");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, b64url_rfc4648);
	tcase_add_test(tc, b64url_long);
	tcase_add_test(tc, b64url_refusals);
	tcase_add_test(tc, der_raw);
	tcase_add_test(tc, der_refusals);
	tcase_add_test(tc, jws_rfc7515_a3);
	tcase_add_test(tc, jws_sign_verify);
	tcase_add_test(tc, jws_refusals);
	tcase_add_test(tc, jws_load);
	suite_add_tcase(s, tc);
	return pt_check_run(s);
}
