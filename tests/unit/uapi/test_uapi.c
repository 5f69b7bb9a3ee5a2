/*
 * Pins the UAPI layout: sizes and offsets of every structure of
 * <linux/payterm.h> (docs/uapi.md), so an accidental change to the ABI
 * fails here before it reaches a kernel.
 */
#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <linux/payterm.h>

#include "../check_main.h"

START_TEST(test_sizes)
{
	ck_assert_uint_eq(sizeof(struct payterm_event), 24);
	ck_assert_uint_eq(sizeof(struct payterm_info), 96);
	ck_assert_uint_eq(sizeof(struct payterm_track), 260);
	ck_assert_uint_eq(sizeof(struct payterm_swipe), 820);
	ck_assert_uint_eq(sizeof(struct payterm_pin_params), 16);
	ck_assert_uint_eq(sizeof(struct payterm_pin), 24);
	ck_assert_uint_eq(sizeof(struct payterm_power), 52);
	ck_assert_uint_eq(sizeof(struct payterm_slot), 8);
	ck_assert_uint_eq(sizeof(struct payterm_apdu), 40);
	ck_assert_uint_eq(sizeof(struct payterm_virt_hdr), 8);
	ck_assert_uint_eq(sizeof(struct payterm_virt_create), 92);
	ck_assert_uint_eq(sizeof(struct payterm_virt_created), 8);
	ck_assert_uint_eq(sizeof(struct payterm_virt_card), 44);
	ck_assert_uint_eq(sizeof(struct payterm_virt_apdu), 16);
	ck_assert_uint_eq(sizeof(struct payterm_virt_key), 8);
	ck_assert_uint_eq(sizeof(struct payterm_virt_power), 8);
	ck_assert_uint_eq(sizeof(struct payterm_virt_pin_session), 8);
}
END_TEST

START_TEST(test_offsets)
{
	ck_assert_uint_eq(offsetof(struct payterm_event, sequence), 8);
	ck_assert_uint_eq(offsetof(struct payterm_event, type), 12);
	ck_assert_uint_eq(offsetof(struct payterm_event, value), 16);
	ck_assert_uint_eq(offsetof(struct payterm_info, name), 16);
	ck_assert_uint_eq(offsetof(struct payterm_swipe, ksn), 8);
	ck_assert_uint_eq(offsetof(struct payterm_swipe, track), 24);
	ck_assert_uint_eq(offsetof(struct payterm_track, data), 4);
	ck_assert_uint_eq(offsetof(struct payterm_power, atr), 8);
	ck_assert_uint_eq(offsetof(struct payterm_apdu, response), 8);
	ck_assert_uint_eq(offsetof(struct payterm_apdu, command_length), 16);
	ck_assert_uint_eq(offsetof(struct payterm_apdu, slot), 24);
	ck_assert_uint_eq(offsetof(struct payterm_virt_create, caps), 64);
	ck_assert_uint_eq(offsetof(struct payterm_virt_card, atr), 4);
	/* 64-bit pointers are 8-aligned whatever the userspace ABI. */
	ck_assert_uint_eq(offsetof(struct payterm_apdu, command) % 8, 0);
}
END_TEST

START_TEST(test_ioctl_numbers)
{
	/* The size field of each number is the structure's size. */
	ck_assert_uint_eq(_IOC_SIZE(PAYTERM_IOC_GET_SWIPE),
			  sizeof(struct payterm_swipe));
	ck_assert_uint_eq(_IOC_SIZE(PAYTERM_IOC_TRANSMIT),
			  sizeof(struct payterm_apdu));
	ck_assert_uint_eq(_IOC_DIR(PAYTERM_IOC_TRANSMIT),
			  _IOC_READ | _IOC_WRITE);
	ck_assert_uint_eq(_IOC_DIR(PAYTERM_IOC_PIN_START), _IOC_WRITE);
	ck_assert_uint_eq(_IOC_TYPE(PAYTERM_IOC_CLAIM), 'P');
	ck_assert_uint_ne(PAYTERM_IOC_CLAIM, PAYTERM_IOC_RELEASE);
	ck_assert_uint_eq(PAYTERM_EV_MAX, 18);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("uapi");
	TCase *tc = tcase_create("layout");

	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_offsets);
	tcase_add_test(tc, test_ioctl_numbers);
	suite_add_tcase(s, tc);
	return pt_check_run(s);
}
