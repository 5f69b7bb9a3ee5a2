// SPDX-License-Identifier: GPL-2.0
/*
 * payterm core: the "payterm" device class, /dev/paytermN character
 * devices, reader registration for transport modules, and the file
 * operations (event read/poll, ioctl dispatch).
 */
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "payterm_compat.h"
#include "payterm_internal.h"

#define PAYTERM_MINORS	256

static dev_t payterm_devt;
static DEFINE_IDA(payterm_minor_ida);
static struct class *payterm_class;

/* ------------------------------------------------------------------ */
/* sysfs attributes */

static struct payterm_reader *to_reader(struct device *dev)
{
	return container_of(dev, struct payterm_reader, dev);
}

static ssize_t name_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", to_reader(dev)->name);
}
static DEVICE_ATTR_RO(name);

static ssize_t capabilities_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	static const char * const names[] = { "msr", "icc", "picc", "pinpad" };
	u32 caps = to_reader(dev)->caps;
	int i, len = 0;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (caps & BIT(i))
			len += sysfs_emit_at(buf, len, "%s%s", len ? " " : "",
					     names[i]);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}
static DEVICE_ATTR_RO(capabilities);

static ssize_t bus_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	switch (to_reader(dev)->bustype) {
	case PAYTERM_BUS_VIRTUAL:
		return sysfs_emit(buf, "virtual\n");
	case PAYTERM_BUS_USB:
		return sysfs_emit(buf, "usb\n");
	default:
		return sysfs_emit(buf, "0x%04x\n", to_reader(dev)->bustype);
	}
}
static DEVICE_ATTR_RO(bus);

static ssize_t vendor_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%04x\n", to_reader(dev)->vendor);
}
static DEVICE_ATTR_RO(vendor);

static ssize_t product_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%04x\n", to_reader(dev)->product);
}
static DEVICE_ATTR_RO(product);

static ssize_t slots_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%u\n", to_reader(dev)->slots);
}
static DEVICE_ATTR_RO(slots);

static struct attribute *payterm_attrs[] = {
	&dev_attr_name.attr,
	&dev_attr_capabilities.attr,
	&dev_attr_bus.attr,
	&dev_attr_vendor.attr,
	&dev_attr_product.attr,
	&dev_attr_slots.attr,
	NULL,
};
ATTRIBUTE_GROUPS(payterm);

/* ------------------------------------------------------------------ */
/* file operations */

static int payterm_open(struct inode *inode, struct file *file)
{
	struct payterm_reader *reader =
		container_of(inode->i_cdev, struct payterm_reader, cdev);
	struct payterm_client *client;
	unsigned long flags;

	/* Charged to the opener's memory cgroup; bounded per reader. */
	client = kvzalloc(sizeof(*client), GFP_KERNEL_ACCOUNT);
	if (!client)
		return -ENOMEM;
	client->reader = reader;

	spin_lock_irqsave(&reader->ev_lock, flags);
	if (reader->dead || reader->nclients >= PAYTERM_MAX_CLIENTS) {
		int ret = reader->dead ? -ENODEV : -EMFILE;

		spin_unlock_irqrestore(&reader->ev_lock, flags);
		kvfree(client);
		return ret;
	}
	list_add_tail(&client->node, &reader->clients);
	reader->nclients++;
	spin_unlock_irqrestore(&reader->ev_lock, flags);

	get_device(&reader->dev);
	file->private_data = client;
	return stream_open(inode, file);
}

static int payterm_release(struct inode *inode, struct file *file)
{
	struct payterm_client *client = file->private_data;
	struct payterm_reader *reader = client->reader;
	unsigned long flags;

	payterm_release_claim(client);

	spin_lock_irqsave(&reader->ev_lock, flags);
	list_del(&client->node);
	reader->nclients--;
	spin_unlock_irqrestore(&reader->ev_lock, flags);

	kvfree(client);
	put_device(&reader->dev);
	return 0;
}

static ssize_t payterm_read(struct file *file, char __user *buf, size_t count,
			    loff_t *ppos)
{
	struct payterm_client *client = file->private_data;
	struct payterm_reader *reader = client->reader;
	struct payterm_event ev;
	size_t done = 0;
	int ret;

	if (count < sizeof(ev))
		return -EINVAL;

	for (;;) {
		/* Queued events stay readable after unplug, then -ENODEV. */
		if (!payterm_client_has_events(client) && payterm_is_dead(reader))
			return -ENODEV;
		if (payterm_client_has_events(client))
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(reader->wait,
					       payterm_client_has_events(client) ||
					       payterm_is_dead(reader));
		if (ret)
			return ret;
	}

	while (done + sizeof(ev) <= count && payterm_client_pop(client, &ev)) {
		if (copy_to_user(buf + done, &ev, sizeof(ev)))
			return done ? done : -EFAULT;
		done += sizeof(ev);
	}
	return done;
}

static __poll_t payterm_poll(struct file *file, poll_table *wait)
{
	struct payterm_client *client = file->private_data;
	struct payterm_reader *reader = client->reader;
	__poll_t mask = 0;

	poll_wait(file, &reader->wait, wait);
	if (payterm_client_has_events(client))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (payterm_is_dead(reader))
		mask |= EPOLLHUP | EPOLLERR;
	return mask;
}

static long payterm_ioctl_get_info(struct payterm_reader *reader,
				   void __user *arg)
{
	struct payterm_info info;

	memset(&info, 0, sizeof(info));
	info.api_version = PAYTERM_API_VERSION;
	info.caps = reader->caps;
	info.bustype = reader->bustype;
	info.vendor = reader->vendor;
	info.product = reader->product;
	info.slots = reader->slots;
	strscpy(info.name, reader->name, sizeof(info.name));
	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long payterm_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct payterm_client *client = file->private_data;
	struct payterm_reader *reader = client->reader;
	void __user *uarg = (void __user *)arg;

	if (payterm_is_dead(reader))
		return -ENODEV;

	switch (cmd) {
	case PAYTERM_IOC_GET_INFO:
		return payterm_ioctl_get_info(reader, uarg);
	case PAYTERM_IOC_CLAIM:
		return payterm_ioctl_claim(client);
	case PAYTERM_IOC_RELEASE:
		return payterm_ioctl_release(client);
	case PAYTERM_IOC_GET_SWIPE:
		return payterm_ioctl_get_swipe(client, uarg);
	case PAYTERM_IOC_PIN_START:
		return payterm_ioctl_pin_start(client, uarg);
	case PAYTERM_IOC_PIN_ABORT:
		return payterm_ioctl_pin_abort(client);
	case PAYTERM_IOC_GET_PIN:
		return payterm_ioctl_get_pin(client, uarg);
	case PAYTERM_IOC_POWER_ON:
		return payterm_ioctl_power_on(client, uarg);
	case PAYTERM_IOC_POWER_OFF:
		return payterm_ioctl_power_off(client, uarg);
	case PAYTERM_IOC_TRANSMIT:
		return payterm_ioctl_transmit(client, uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations payterm_fops = {
	.owner = THIS_MODULE,
	.open = payterm_open,
	.release = payterm_release,
	.read = payterm_read,
	.poll = payterm_poll,
	.unlocked_ioctl = payterm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* ------------------------------------------------------------------ */
/* registration */

static void payterm_reader_release(struct device *dev)
{
	struct payterm_reader *reader = to_reader(dev);

	if (reader->swipe)
		kfree_sensitive(reader->swipe);
	memzero_explicit(&reader->pin, sizeof(reader->pin));
	ida_free(&payterm_minor_ida, reader->minor);
	kfree(reader);
}

static int payterm_desc_check(const struct payterm_reader_desc *desc)
{
	bool cards = desc->caps & (PAYTERM_CAP_ICC | PAYTERM_CAP_PICC);

	if (!desc->name || !desc->ops || !desc->caps ||
	    (desc->caps & ~PAYTERM_CAP_ALL))
		return -EINVAL;
	if (cards ? (!desc->slots || desc->slots > PAYTERM_MAX_SLOTS)
		  : desc->slots)
		return -EINVAL;
	return 0;
}

/**
 * payterm_register_reader - create /dev/paytermN for a transport's reader
 * @desc: what the reader is and how to drive it
 *
 * Return: the reader, or an ERR_PTR.
 */
struct payterm_reader *payterm_register_reader(const struct payterm_reader_desc *desc)
{
	struct payterm_reader *reader;
	int ret;

	ret = payterm_desc_check(desc);
	if (ret)
		return ERR_PTR(ret);

	reader = kzalloc(sizeof(*reader), GFP_KERNEL);
	if (!reader)
		return ERR_PTR(-ENOMEM);

	ret = ida_alloc_max(&payterm_minor_ida, PAYTERM_MINORS - 1, GFP_KERNEL);
	if (ret < 0) {
		kfree(reader);
		return ERR_PTR(ret);
	}
	reader->minor = ret;

	strscpy(reader->name, desc->name, sizeof(reader->name));
	reader->caps = desc->caps;
	reader->bustype = desc->bustype;
	reader->vendor = desc->vendor;
	reader->product = desc->product;
	reader->slots = desc->slots;
	reader->ops = desc->ops;
	reader->driver_data = desc->driver_data;
	mutex_init(&reader->mutex);
	spin_lock_init(&reader->ev_lock);
	INIT_LIST_HEAD(&reader->clients);
	init_waitqueue_head(&reader->wait);
	INIT_DELAYED_WORK(&reader->swipe_expiry, payterm_swipe_expiry_fn);
	INIT_DELAYED_WORK(&reader->pin_expiry, payterm_pin_expiry_fn);
	INIT_DELAYED_WORK(&reader->pin_timeout, payterm_pin_timeout_fn);
	INIT_WORK(&reader->pin_end_work, payterm_pin_end_work_fn);

	device_initialize(&reader->dev);
	reader->dev.class = payterm_class;
	reader->dev.parent = desc->parent;
	reader->dev.devt = MKDEV(MAJOR(payterm_devt), reader->minor);
	reader->dev.release = payterm_reader_release;
	ret = dev_set_name(&reader->dev, "payterm%d", reader->minor);
	if (ret)
		goto err_put;

	if (desc->caps & PAYTERM_CAP_MSR) {
		reader->swipe = kzalloc(sizeof(*reader->swipe), GFP_KERNEL);
		if (!reader->swipe) {
			ret = -ENOMEM;
			goto err_put;
		}
	}

	cdev_init(&reader->cdev, &payterm_fops);
	reader->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&reader->cdev, &reader->dev);
	if (ret)
		goto err_put;
	return reader;

err_put:
	put_device(&reader->dev);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(payterm_register_reader);

void payterm_unregister_reader(struct payterm_reader *reader)
{
	unsigned long flags;

	mutex_lock(&reader->mutex);
	spin_lock_irqsave(&reader->ev_lock, flags);
	WRITE_ONCE(reader->dead, true);
	if (reader->pin.active)
		payterm_pin_end_locked(reader, PAYTERM_EV_PIN_ABORTED);
	payterm_wipe_payloads_locked(reader);
	reader->claimant = NULL;
	reader->powered = 0;
	spin_unlock_irqrestore(&reader->ev_lock, flags);
	mutex_unlock(&reader->mutex);

	wake_up_interruptible_all(&reader->wait);
	cancel_delayed_work_sync(&reader->pin_timeout);
	cancel_delayed_work_sync(&reader->swipe_expiry);
	cancel_delayed_work_sync(&reader->pin_expiry);
	cancel_work_sync(&reader->pin_end_work);

	cdev_device_del(&reader->cdev, &reader->dev);
	put_device(&reader->dev);
}
EXPORT_SYMBOL_GPL(payterm_unregister_reader);

void *payterm_reader_get_drvdata(struct payterm_reader *reader)
{
	return reader->driver_data;
}
EXPORT_SYMBOL_GPL(payterm_reader_get_drvdata);

int payterm_reader_minor(struct payterm_reader *reader)
{
	return reader->minor;
}
EXPORT_SYMBOL_GPL(payterm_reader_minor);

static int __init payterm_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&payterm_devt, 0, PAYTERM_MINORS, "payterm");
	if (ret)
		return ret;
	payterm_class = payterm_class_create("payterm");
	if (IS_ERR(payterm_class)) {
		unregister_chrdev_region(payterm_devt, PAYTERM_MINORS);
		return PTR_ERR(payterm_class);
	}
	payterm_class->dev_groups = payterm_groups;
	return 0;
}

static void __exit payterm_exit(void)
{
	class_destroy(payterm_class);
	unregister_chrdev_region(payterm_devt, PAYTERM_MINORS);
	ida_destroy(&payterm_minor_ida);
}

module_init(payterm_init);
module_exit(payterm_exit);

MODULE_DESCRIPTION("payterm: card-payment terminal readers (core)");
MODULE_AUTHOR("payterm developers");
MODULE_LICENSE("GPL");
