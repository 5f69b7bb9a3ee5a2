// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for paytermctl's helpers (no kernel needed). Test cards only. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../daemon/paytermctl/paytermctl.h"
#include "../check_main.h"

START_TEST(tokens)
{
	char line[] = "  swipe --track1 \"%B4111^DOE/ JOHN^?\" 'a b'c  x\n";
	char *argv[8];
	char l2[] = "a \"b";
	char l3[] = "a b c";
	char l4[] = "   ";

	ck_assert_int_eq(tokenize(line, argv, 8), 5);
	ck_assert_str_eq(argv[0], "swipe");
	ck_assert_str_eq(argv[1], "--track1");
	ck_assert_str_eq(argv[2], "%B4111^DOE/ JOHN^?");
	ck_assert_str_eq(argv[3], "a bc");
	ck_assert_str_eq(argv[4], "x");
	ck_assert_int_eq(tokenize(l2, argv, 8), -EINVAL);
	ck_assert_int_eq(tokenize(l3, argv, 2), -E2BIG);
	ck_assert_int_eq(tokenize(l4, argv, 2), 0);
}
END_TEST

START_TEST(caps)
{
	uint32_t c;
	char buf[64];

	ck_assert_int_eq(caps_parse("msr,icc", &c), 0);
	ck_assert_uint_eq(c, PAYTERM_CAP_MSR | PAYTERM_CAP_ICC);
	ck_assert_int_eq(caps_parse("pinpad picc", &c), 0);
	ck_assert_uint_eq(c, PAYTERM_CAP_PINPAD | PAYTERM_CAP_PICC);
	ck_assert_int_eq(caps_parse("msr,foo", &c), -EINVAL);
	ck_assert_int_eq(caps_parse("ms", &c), -EINVAL);
	ck_assert_int_eq(caps_parse("", &c), -EINVAL);
	caps_format(PAYTERM_CAP_ALL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "msr icc picc pinpad");
	caps_format(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(keys)
{
	uint32_t k;

	ck_assert_int_eq(key_parse("7", &k), 0);
	ck_assert_uint_eq(k, 7);
	ck_assert_int_eq(key_parse("corr", &k), 0);
	ck_assert_uint_eq(k, PAYTERM_KEY_CORRECTION);
	ck_assert_int_eq(key_parse("ENTER", &k), 0);
	ck_assert_uint_eq(k, PAYTERM_KEY_ENTER);
	ck_assert_int_eq(key_parse("clear", &k), 0);
	ck_assert_uint_eq(k, PAYTERM_KEY_CLEAR);
	ck_assert_int_eq(key_parse("cancel", &k), 0);
	ck_assert_uint_eq(k, PAYTERM_KEY_CANCEL);
	ck_assert_int_eq(key_parse("12", &k), -EINVAL);
	ck_assert_int_eq(key_parse("x", &k), -EINVAL);
	ck_assert_str_eq(key_name(3), "3");
	ck_assert_str_eq(key_name(PAYTERM_KEY_ENTER), "enter");
}
END_TEST

START_TEST(paths_numbers)
{
	unsigned long u;
	long ms;

	ck_assert_str_eq(device_path("0"), "/dev/payterm0");
	ck_assert_str_eq(device_path("payterm12"), "/dev/payterm12");
	ck_assert_str_eq(device_path("/dev/payterm3"), "/dev/payterm3");
	ck_assert_str_eq(device_path("./x"), "./x");
	ck_assert_int_eq(parse_uint("12", 10, 0, 100, &u), 0);
	ck_assert_uint_eq(u, 12);
	ck_assert_int_eq(parse_uint("1d6b", 16, 0, 0xffff, &u), 0);
	ck_assert_uint_eq(u, 0x1d6b);
	ck_assert_int_eq(parse_uint("10000", 16, 0, 0xffff, &u), -ERANGE);
	ck_assert_int_eq(parse_uint("-1", 10, 0, 100, &u), -EINVAL);
	ck_assert_int_eq(parse_uint("1x", 10, 0, 100, &u), -EINVAL);
	ck_assert_int_eq(parse_uint("", 10, 0, 100, &u), -EINVAL);
	ck_assert_int_eq(parse_seconds_ms("1.5", &ms), 0);
	ck_assert_int_eq(ms, 1500);
	ck_assert_int_eq(parse_seconds_ms("-1", &ms), -EINVAL);
	ck_assert_int_eq(parse_seconds_ms("x", &ms), -EINVAL);
}
END_TEST

START_TEST(events)
{
	struct payterm_event ev = {
		.timestamp_ns = 12345678901234ULL, .sequence = 7,
		.type = PAYTERM_EV_SWIPE, .slot = 0,
		.flags = PAYTERM_EVF_DATA_READY | PAYTERM_EVF_READER_ENCRYPTED,
		.value = 3,
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char flags[64];

	ck_assert_str_eq(event_type_name(PAYTERM_EV_OVERFLOW), "overflow");
	ck_assert_str_eq(event_type_name(PAYTERM_EV_PAYLOAD_EXPIRED), "payload_expired");
	ck_assert_ptr_null(event_type_name(0));
	ck_assert_ptr_null(event_type_name(PAYTERM_EV_MAX));
	event_flags_format(0, flags, sizeof(flags));
	ck_assert_str_eq(flags, "[]");
	event_flags_format(0x81, flags, sizeof(flags));
	ck_assert_str_eq(flags, "[\"contactless\",\"0x80\"]");
	event_print(f, &ev);
	ev.type = 999;
	ev.flags = 0;
	ev.value = -5;
	event_print(f, &ev);
	fclose(f);
	ck_assert_str_eq(buf,
		"{\"time\":12345.678901,\"seq\":7,\"type\":\"swipe\",\"slot\":0,"
		"\"flags\":[\"data_ready\",\"reader_encrypted\"],\"value\":3}\n"
		"{\"time\":12345.678901,\"seq\":7,\"type\":999,\"slot\":0,"
		"\"flags\":[],\"value\":-5}\n");
	free(buf);
}
END_TEST

static void put_track(struct payterm_swipe *sw, int t, const char *s, int status)
{
	sw->track[t].status = (uint8_t)status;
	sw->track[t].length = (uint16_t)strlen(s);
	memcpy(sw->track[t].data, s, strlen(s));
}

static char *summary(const struct payterm_swipe *sw)
{
	json_t *j = swipe_summary(sw);
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(j);
	return s;
}

START_TEST(swipe_masked)
{
	struct payterm_swipe sw;
	char *s;

	memset(&sw, 0, sizeof(sw));
	put_track(&sw, 0, "%B4111111111111111^DOE/JOHN^2512101000000000?", 1);
	put_track(&sw, 1, ";4111111111111111=25121010000000000?", 1);
	s = summary(&sw);
	ck_assert_str_eq(s,
		"{\"type\":\"swipe_data\",\"reader_encrypted\":false,\"tracks\":["
		"{\"track\":1,\"status\":\"ok\",\"length\":45,\"valid\":true},"
		"{\"track\":2,\"status\":\"ok\",\"length\":36,\"valid\":true},"
		"{\"track\":3,\"status\":\"absent\",\"length\":0}],"
		"\"pan\":\"411111******1111\",\"expiry\":\"2512\","
		"\"service_code\":\"101\",\"chip\":false}");
	ck_assert_ptr_null(strstr(s, "4111111111111111"));
	ck_assert_ptr_null(strstr(s, "DOE"));
	free(s);

	/* track 1 bad Luhn, track 2 another test card with chip, track 3 error */
	memset(&sw, 0, sizeof(sw));
	put_track(&sw, 0, "%B4111111111111112^DOE/JOHN^2512101?", 1);
	put_track(&sw, 1, ";4761739001010010=2212201?", 1);
	sw.track[2].status = PAYTERM_TRACK_ERROR;
	s = summary(&sw);
	ck_assert_ptr_nonnull(strstr(s, "\"valid\":false,\"error\":\"PAN check digit (Luhn) wrong\""));
	ck_assert_ptr_nonnull(strstr(s, "\"pan\":\"476173******0010\""));
	ck_assert_ptr_nonnull(strstr(s, "\"chip\":true"));
	ck_assert_ptr_nonnull(strstr(s, "{\"track\":3,\"status\":\"error\",\"length\":0}"));
	ck_assert_ptr_null(strstr(s, "4111111111111112"));
	ck_assert_ptr_null(strstr(s, "4761739001010010"));
	free(s);

	/* tracks disagree */
	memset(&sw, 0, sizeof(sw));
	put_track(&sw, 0, "%B5555555555554444^DOE/JOHN^2512101?", 1);
	put_track(&sw, 1, ";4111111111111111=2512101?", 1);
	s = summary(&sw);
	ck_assert_ptr_nonnull(strstr(s, "\"pan\":\"555555******4444\""));
	ck_assert_ptr_nonnull(strstr(s, "\"tracks_mismatch\":true"));
	free(s);

	/* reader-encrypted: no parsing, KSN shown */
	memset(&sw, 0, sizeof(sw));
	sw.flags = PAYTERM_SWIPE_READER_ENCRYPTED;
	sw.ksn_length = 10;
	memcpy(sw.ksn, "\xff\xff\x98\x76\x54\x32\x10\xe0\x00\x01", 10);
	put_track(&sw, 1, "\x01\x02\x03", 1);
	s = summary(&sw);
	ck_assert_str_eq(s,
		"{\"type\":\"swipe_data\",\"reader_encrypted\":true,"
		"\"ksn\":\"FFFF9876543210E00001\",\"tracks\":["
		"{\"track\":1,\"status\":\"absent\",\"length\":0},"
		"{\"track\":2,\"status\":\"ok\",\"length\":3},"
		"{\"track\":3,\"status\":\"absent\",\"length\":0}]}");
	free(s);

	/* bogus length from the kernel is clamped, not overrun */
	memset(&sw, 0, sizeof(sw));
	sw.track[1].status = 1;
	sw.track[1].length = 60000;
	s = summary(&sw);
	ck_assert_ptr_nonnull(strstr(s, "\"valid\":false"));
	free(s);
}
END_TEST

START_TEST(apdumap)
{
	struct apdu_map m;
	const uint8_t *r;
	size_t n;

	apdu_map_init(&m);
	ck_assert_int_eq(apdu_map_lookup(&m, (const uint8_t *)"\x00\xa4\x04\x00", 4, &r, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert(!memcmp(r, "\x6d\x00", 2));
	ck_assert_int_eq(apdu_map_add_line(&m, "00A4040007A0000000031010 6F0A84079000"), 0);
	ck_assert_int_eq(apdu_map_add_line(&m, "00B2* 6A83"), 0);
	ck_assert_int_eq(apdu_map_add_line(&m, "80CA9F17 mute\n"), 0);
	ck_assert_int_eq(apdu_map_add_line(&m, "00A4 9000"), -EINVAL);
	ck_assert_int_eq(apdu_map_add_line(&m, "00A40400 90"), -EINVAL);
	ck_assert_int_eq(apdu_map_add_line(&m, "00A40400"), -EINVAL);
	ck_assert_int_eq(apdu_map_add_line(&m, "00A40400 9000 x"), -EINVAL);
	ck_assert_int_eq(apdu_map_add_line(&m, "00*A4 9000"), -EINVAL);
	ck_assert_int_eq(apdu_map_add_line(&m, "zz 9000"), -EINVAL);
	ck_assert_int_eq(apdu_map_lookup(&m,
		(const uint8_t *)"\x00\xa4\x04\x00\x07\xa0\x00\x00\x00\x03\x10\x10", 12, &r, &n), 0);
	ck_assert_uint_eq(n, 6);
	ck_assert(!memcmp(r, "\x6f\x0a\x84\x07\x90\x00", 6));
	ck_assert_int_eq(apdu_map_lookup(&m, (const uint8_t *)"\x00\xb2\x01\x0c\x00", 5, &r, &n), 0);
	ck_assert(!memcmp(r, "\x6a\x83", 2));
	ck_assert_int_eq(apdu_map_lookup(&m, (const uint8_t *)"\x80\xca\x9f\x17", 4, &r, &n), -EIO);
	ck_assert_int_eq(apdu_map_lookup(&m, (const uint8_t *)"\x80\xca\x9f\x17\x00", 5, &r, &n), 0);
	ck_assert(!memcmp(r, "\x6d\x00", 2));
	apdu_map_free(&m);
}
END_TEST

START_TEST(apdumap_file)
{
	char path[] = "/tmp/paytermctl-test-XXXXXX";
	struct apdu_map m;
	const uint8_t *r;
	size_t n;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_gt(write(fd, "# map\n\n00A40400 9000  # select\n  00B2* 6A83\n", 44), 0);
	close(fd);
	apdu_map_init(&m);
	ck_assert_int_eq(apdu_map_load(&m, path), 0);
	ck_assert_uint_eq(m.count, 2);
	ck_assert_int_eq(apdu_map_lookup(&m, (const uint8_t *)"\x00\xa4\x04\x00", 4, &r, &n), 0);
	ck_assert(!memcmp(r, "\x90\x00", 2));
	fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_gt(write(fd, "bad\n", 4), 0);
	close(fd);
	apdu_map_free(&m);
	ck_assert_int_eq(apdu_map_load(&m, path), -EINVAL);
	apdu_map_free(&m);
	unlink(path);
	ck_assert_int_eq(apdu_map_load(&m, path), -ENOENT);
}
END_TEST

static void write_attr(const char *dir, const char *dev, const char *attr,
		       const char *val)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, dev);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s/%s", dir, dev, attr);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%s\n", val);
	fclose(f);
}

/* run a command with stdout captured */
static int run_captured(int (*fn)(int, char **), int argc, char **argv,
			char *out, size_t size)
{
	char path[] = "/tmp/paytermctl-out-XXXXXX";
	int fd = mkstemp(path), saved, r;
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	optind = 0;
	r = fn(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	n = pread(fd, out, size - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return r;
}

START_TEST(list_sysfs)
{
	char dir[] = "/tmp/paytermctl-sysfs-XXXXXX";
	char out[4096], sub[600];
	char *argv_json[] = { "list", "--json", NULL };
	char *argv_text[] = { "list", NULL };
	char *argv_bad[] = { "list", "x", NULL };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_attr(dir, "payterm10", "name", "USB \"MSR\"");
	write_attr(dir, "payterm10", "capabilities", "msr");
	write_attr(dir, "payterm10", "bus", "usb");
	write_attr(dir, "payterm10", "vendor", "0801");
	write_attr(dir, "payterm10", "product", "0011");
	write_attr(dir, "payterm10", "slots", "0");
	write_attr(dir, "payterm2", "name", "virt");
	write_attr(dir, "payterm2", "capabilities", "msr icc picc pinpad");
	write_attr(dir, "payterm2", "bus", "virtual");
	write_attr(dir, "payterm2", "vendor", "0000");
	write_attr(dir, "payterm2", "product", "0000");
	write_attr(dir, "payterm2", "slots", "2");
	write_attr(dir, "other", "name", "not a reader");
	setenv("PAYTERM_SYSFS_CLASS", dir, 1);

	ck_assert_int_eq(run_captured(cmd_list, 2, argv_json, out, sizeof(out)), 0);
	ck_assert_str_eq(out,
		"[{\"device\":\"/dev/payterm2\",\"sysname\":\"payterm2\",\"name\":\"virt\","
		"\"capabilities\":[\"msr\",\"icc\",\"picc\",\"pinpad\"],\"bus\":\"virtual\","
		"\"vendor\":\"0000\",\"product\":\"0000\",\"slots\":2},"
		"{\"device\":\"/dev/payterm10\",\"sysname\":\"payterm10\",\"name\":\"USB \\\"MSR\\\"\","
		"\"capabilities\":[\"msr\"],\"bus\":\"usb\",\"vendor\":\"0801\","
		"\"product\":\"0011\",\"slots\":0}]\n");
	ck_assert_int_eq(run_captured(cmd_list, 1, argv_text, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "DEVICE"));
	ck_assert_ptr_nonnull(strstr(out, "/dev/payterm2   virt "));
	ck_assert_ptr_nonnull(strstr(out, "0801:0011"));
	ck_assert_int_eq(run_captured(cmd_list, 2, argv_bad, out, sizeof(out)), EXIT_USAGE);

	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(sub), 0);
	/* empty class: [] */
	ck_assert_int_eq(run_captured(cmd_list, 2, argv_json, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "[]\n");
	unsetenv("PAYTERM_SYSFS_CLASS");
}
END_TEST

START_TEST(errors)
{
	ck_assert_str_eq(errno_hint("claim", EBUSY), "claimed by another process");
	ck_assert_ptr_null(errno_hint("open", EBUSY));
	ck_assert_int_eq(errno_exit_code(EBUSY), EXIT_BUSY);
	ck_assert_int_eq(errno_exit_code(ENODEV), EXIT_GONE);
	ck_assert_int_eq(errno_exit_code(EIO), EXIT_FAIL);
	ck_assert_str_eq(track_status_name(PAYTERM_TRACK_ERROR), "error");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("paytermctl");
	TCase *tc = tcase_create("helpers");

	tcase_add_test(tc, tokens);
	tcase_add_test(tc, caps);
	tcase_add_test(tc, keys);
	tcase_add_test(tc, paths_numbers);
	tcase_add_test(tc, events);
	tcase_add_test(tc, swipe_masked);
	tcase_add_test(tc, apdumap);
	tcase_add_test(tc, apdumap_file);
	tcase_add_test(tc, list_sysfs);
	tcase_add_test(tc, errors);
	suite_add_tcase(s, tc);
	return pt_check_run(s);
}
