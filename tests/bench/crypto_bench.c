// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * make bench: libpaytermcrypto throughput against a floor made of the same
 * block-cipher work done with bare OpenSSL EVP calls (one reused context,
 * no argument checks, no cleansing).  Prints operations per second and the
 * ratio library / floor (1.00 = no overhead).
 *   PT_BENCH_SECONDS  time per run, best of 3 (default 0.25)
 */
#include "payterm_crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

static double secs_per_test = 0.25;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* best of three runs: the machine is shared, take the least disturbed */
#define MEASURE(rate, body) do {					\
	(rate) = 0;							\
	for (int run_ = 0; run_ < 3; run_++) {				\
		unsigned long n_ = 0;					\
		double t0_ = now(), t_;					\
		do {							\
			for (int i_ = 0; i_ < 64; i_++) { body; }	\
			n_ += 64;					\
			t_ = now() - t0_;				\
		} while (t_ < secs_per_test);				\
		if (n_ / t_ > (rate))					\
			(rate) = n_ / t_;				\
	}								\
} while (0)

static EVP_CIPHER_CTX *ctx;
static EVP_CIPHER *aes128, *aes256, *tdes2;

/* one block encryption under a fresh key (the unit of DUKPT derivation):
 * the context keeps its cipher, only the key schedule is redone */
static const EVP_CIPHER *floor_cipher;

static void floor_block(const EVP_CIPHER *c, const uint8_t *key, uint8_t *buf, int len)
{
	int outl;

	if (c != floor_cipher) {
		EVP_EncryptInit_ex2(ctx, c, NULL, NULL, NULL);
		EVP_CIPHER_CTX_set_padding(ctx, 0);
		floor_cipher = c;
	}
	EVP_EncryptInit_ex2(ctx, NULL, key, NULL, NULL);
	EVP_EncryptUpdate(ctx, buf, &outl, buf, len);
}

static void report(const char *what, double lib, double flo)
{
	printf("%-44s %12.0f /s   floor %12.0f /s   ratio %.2f\n", what, lib, flo,
	       flo > 0 ? lib / flo : 0);
}

static int die(const char *what, int r)
{
	fprintf(stderr, "bench: %s: %s\n", what, pt_strerror(r));
	exit(1);
}

/* Block-cipher calls per device transaction, averaged over the first
 * `steps` counters (each future key is derived exactly once). */
static double dev_blocks_per_txn(unsigned bits_max_ones, unsigned steps, unsigned blocks)
{
	unsigned long derivs = 0;
	uint32_t c = 1;

	for (unsigned i = 0; i < steps; i++) {
		unsigned p = (unsigned)__builtin_ctz(c);

		if (pt_popcount32(c) < bits_max_ones) {
			derivs += p;
			c++;
		} else {
			c += 1u << p;
		}
	}
	return (double)derivs * blocks / steps;
}

int main(void)
{
	const char *s = getenv("PT_BENCH_SECONDS");
	uint8_t ik[32], ikid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, ksn[12], txn[32], w[32];
	uint8_t buf[32], key[32], blk[16];
	struct pt_dukpt_dev d;
	double lib, flo, per;
	size_t len;
	int r;

	if (s && atof(s) > 0)
		secs_per_test = atof(s);
	ctx = EVP_CIPHER_CTX_new();
	aes128 = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	aes256 = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
	tdes2 = EVP_CIPHER_fetch(NULL, "DES-EDE-ECB", NULL);
	if (!ctx || !aes128 || !aes256 || !tdes2)
		return 1;
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	RAND_bytes(ik, sizeof(ik));
	RAND_bytes(key, sizeof(key));
	memset(buf, 0x5A, sizeof(buf));
	printf("libpaytermcrypto benchmark (best of 3 runs of %.2f s; floor = same cipher "
	       "work with bare OpenSSL EVP; ratio = library / floor)\n", secs_per_test);

	/* ---- device side: next transaction key ---- */
	{
		static const struct { const char *name; size_t len; unsigned blocks; } v[] = {
			{ "device next txn key, AES-128 DUKPT", 16, 1 },
			{ "device next txn key, AES-256 DUKPT", 32, 2 },
		};
		for (int k = 0; k < 2; k++) {
			unsigned long steps = 0;

			if ((r = pt_dukpt_dev_init_aes(&d, ik, v[k].len, ikid)))
				die("init", r);
			MEASURE(lib, {
				if ((r = pt_dukpt_dev_next(&d, ksn, txn)))
					die("next", r);
				steps++;
			});
			per = dev_blocks_per_txn(16, (unsigned)steps, v[k].blocks);
			MEASURE(flo, floor_block(v[k].len == 16 ? aes128 : aes256, key, buf, 16));
			report(v[k].name, lib, flo / per);
		}
		if ((r = pt_dukpt_dev_init_tdes(&d, ik, (uint8_t *)"\xFF\xFF\x98\x76\x54\x32\x10\xE0\0\0")))
			die("init tdes", r);
		{
			unsigned long steps = 0;

			MEASURE(lib, {
				if ((r = pt_dukpt_dev_next(&d, ksn, txn)))
					die("next", r);
				steps++;
			});
			/* NRKGP = 2 single-DES blocks per derivation */
			per = dev_blocks_per_txn(10, (unsigned)steps, 2);
			memcpy(key + 8, key, 8);
			MEASURE(flo, floor_block(tdes2, key, buf, 8));
			report("device next txn key, TDES DUKPT", lib, flo / per);
		}
		pt_dukpt_dev_wipe(&d);
	}

	/* ---- host side: BDK + KSN -> PIN key ---- */
	{
		uint32_t ctr = 1;
		double blocks = 0;
		unsigned long n = 0;

		memcpy(ksn, ikid, 8);
		MEASURE(lib, {
			do
				ctr = ctr * 1103515245u + 12345u;
			while (!pt_dukpt_aes_counter_valid(ctr));
			ksn[8] = (uint8_t)(ctr >> 24); ksn[9] = (uint8_t)(ctr >> 16);
			ksn[10] = (uint8_t)(ctr >> 8); ksn[11] = (uint8_t)ctr;
			if ((r = pt_dukpt_aes_host_txn_key(key, 16, ksn, txn)) ||
			    (r = pt_dukpt_aes_working_key(txn, 16, ksn, PT_DUKPT_PIN,
							  PT_KT_AES128, w)))
				die("host", r);
			/* initial key + one per set bit + working key */
			blocks += 2 + pt_popcount32(ctr);
			n++;
		});
		MEASURE(flo, floor_block(aes128, key, buf, 16));
		report("host BDK+KSN -> PIN key, AES-128", lib, flo / (blocks / n));

		blocks = 0;
		n = 0;
		ksn[0] = 0xFF; ksn[1] = 0xFF;
		MEASURE(lib, {
			do
				ctr = ctr * 1103515245u + 12345u;
			while (!pt_dukpt_tdes_counter_valid(ctr & 0x1FFFFF));
			ksn[7] = (uint8_t)(0xE0 | ((ctr >> 16) & 0x1F));
			ksn[8] = (uint8_t)(ctr >> 8); ksn[9] = (uint8_t)ctr;
			if ((r = pt_dukpt_tdes_host_txn_key(key, ksn, txn)) ||
			    (r = pt_dukpt_tdes_working_key(txn, PT_DUKPT_PIN, w)))
				die("host tdes", r);
			/* IPEK: 2 TDES blocks; NRKGP: 2 DES blocks per set bit
			 * (single DES runs as TDES with K1=K2=K3) */
			blocks += 2 + 2.0 * pt_popcount32(ctr & 0x1FFFFF);
			n++;
		});
		MEASURE(flo, floor_block(tdes2, key, buf, 8));
		report("host BDK+KSN -> PIN key, TDES", lib, flo / (blocks / n));
	}

	/* ---- PIN block encryption ---- */
	MEASURE(lib, {
		if ((r = pt_pinblock_encrypt(4, key, 16, "1234", "4111111111111111", NULL,
					     blk, &len)))
			die("pin4", r);
	});
	MEASURE(flo, {
		int outl;

		RAND_bytes(buf + 8, 8);
		floor_block(aes128, key, buf, 16);
		EVP_EncryptUpdate(ctx, blk, &outl, buf, 16);
	});
	report("PIN block format 4 encrypt (AES-128)", lib, flo);
	MEASURE(lib, {
		if ((r = pt_pinblock_encrypt(0, key, 16, "1234", "4111111111111111", NULL,
					     blk, &len)))
			die("pin0", r);
	});
	MEASURE(flo, floor_block(tdes2, key, buf, 8));
	report("PIN block format 0 encrypt (TDES)", lib, flo);

	EVP_CIPHER_free(aes128);
	EVP_CIPHER_free(aes256);
	EVP_CIPHER_free(tdes2);
	EVP_CIPHER_CTX_free(ctx);
	return 0;
}
