// SPDX-License-Identifier: GPL-2.0-only
/*
 * gdmabuf: the device a buffer is for.
 *
 * A buffer is allocated, mapped and synced for one device: gdmabuf's own
 * platform device, or the device the user names as "<bus>/<device>", the
 * way it appears under /sys/bus/<bus>/devices/. A named device is used with
 * the DMA settings its driver and bus gave it, never changed here, so it
 * must have a driver bound: on device-tree systems the IOMMU and coherency
 * of a PCI device are set up only when a driver binds, and may change when
 * one does. Drivers that manage DMA themselves (driver_managed_dma, such as
 * vfio-pci) are refused, as the device's DMA is not the DMA API's.
 *
 * Every buffer holds a reference on its device. Bus notifiers detach the
 * buffers of a device before its driver unbinds and before the device is
 * deleted, so that no DMA mapping outlives either; they may sleep on
 * gdmabuf_lock, the buffers' locks and the mmap_lock of processes that
 * map revocable memory.
 */

#include <linux/amba/bus.h>
#include <linux/capability.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>
#include <uapi/linux/gdmabuf.h>

#include "gdmabuf.h"

/* The buses whose devices can be named. */
static const struct bus_type *const gdmabuf_buses[] = {
	&platform_bus_type,
#ifdef CONFIG_PCI
	&pci_bus_type,
#endif
#ifdef CONFIG_ARM_AMBA
	&amba_bustype,
#endif
};

static struct notifier_block gdmabuf_bus_nbs[ARRAY_SIZE(gdmabuf_buses)];

/*
 * Copy a device name of @len bytes, its NUL included, from @uptr: no
 * pointer and no length mean no name (NULL), anything else must be one
 * NUL-terminated string of at most GDMABUF_DEVICE_NAME_MAX bytes.
 */
VISIBLE_IF_KUNIT char *gdmabuf_device_name_copy(u64 uptr, u32 len)
{
	char *name;

	if (!uptr && !len)
		return NULL;
	if (!uptr || !len)
		return ERR_PTR(-EINVAL);
	if (len > GDMABUF_DEVICE_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	name = memdup_user(u64_to_user_ptr(uptr), len);
	if (IS_ERR(name))
		return name;
	if (strnlen(name, len) != len - 1) {
		kfree(name);
		return ERR_PTR(-EINVAL);
	}
	return name;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_device_name_copy);

/*
 * The length of the bus part of "<bus>/<device>", or -EINVAL when either
 * part is empty or the device part has a slash, which no device name has.
 */
VISIBLE_IF_KUNIT int gdmabuf_device_name_split(const char *name)
{
	const char *slash = strchr(name, '/');

	if (!slash || slash == name || !slash[1] || strchr(slash + 1, '/'))
		return -EINVAL;
	return slash - name;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_device_name_split);

/* The device called @name on its bus, with a reference, or an ERR_PTR(). */
static struct device *gdmabuf_device_find(const char *name, int bus_len)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gdmabuf_buses); i++) {
		const struct bus_type *bus = gdmabuf_buses[i];
		struct device *dev;

		if (strlen(bus->name) != bus_len || strncmp(bus->name, name, bus_len))
			continue;
		dev = bus_find_device_by_name(bus, NULL, name + bus_len + 1);
		return dev ?: ERR_PTR(-ENODEV);
	}
	return ERR_PTR(-ENODEV);
}

/*
 * The device named at @uptr (see gdmabuf_device_name_copy()), with a
 * reference; NULL for no name, which means gdmabuf's own device. Naming a
 * device lets it reach the buffer: CAP_SYS_RAWIO, as for its DMA address.
 */
struct device *gdmabuf_device_get(u64 uptr, u32 len)
{
	char *name = gdmabuf_device_name_copy(uptr, len);
	struct device *dev;
	int bus_len;

	if (IS_ERR_OR_NULL(name))
		return ERR_CAST(name);
	bus_len = gdmabuf_device_name_split(name);
	if (bus_len < 0)
		dev = ERR_PTR(bus_len);
	else if (!capable(CAP_SYS_RAWIO))
		dev = ERR_PTR(-EPERM);
	else
		dev = gdmabuf_device_find(name, bus_len);
	kfree(name);
	return dev;
}

/* Whether the driver bound to @dev does DMA without the DMA API. */
static bool gdmabuf_driver_manages_dma(struct device *dev)
{
	if (dev_is_platform(dev))
		return to_platform_driver(dev->driver)->driver_managed_dma;
#ifdef CONFIG_PCI
	if (dev_is_pci(dev))
		return to_pci_driver(dev->driver)->driver_managed_dma;
#endif
#ifdef CONFIG_ARM_AMBA
	if (dev->bus == &amba_bustype)
		return container_of(dev->driver, struct amba_driver,
				    drv)->driver_managed_dma;
#endif
	return false;
}

/*
 * Whether the IOMMU translates @dev's DMA: a DMA domain, not an identity
 * (passthrough) one, whose devices use direct mapping.
 */
bool gdmabuf_device_translated(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	return domain && iommu_is_dma_domain(domain);
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_device_translated);

/*
 * Whether buffers of @mem_type can be made for @dev now, under its device
 * lock: a driver is bound (its DMA settings are final until it unbinds)
 * that leaves DMA to the DMA API, and the device can do DMA at all, and
 * coherent DMA for memory from its allocator.
 */
int gdmabuf_device_usable(struct device *dev, u32 mem_type)
{
	device_lock_assert(dev);
	if (!dev->driver)
		return -ENXIO;
	if (gdmabuf_driver_manages_dma(dev))
		return -EBUSY;
	if (!dev->dma_mask || !*dev->dma_mask)
		return -ENXIO;
	if (mem_type != GDMABUF_MEM_CACHED && !dev->coherent_dma_mask)
		return -ENXIO;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gdmabuf_device_usable);

/* Before the driver unbinds and before the device goes: detach buffers. */
static int gdmabuf_bus_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	if (action != BUS_NOTIFY_UNBIND_DRIVER && action != BUS_NOTIFY_DEL_DEVICE)
		return NOTIFY_DONE;
	gdmabuf_buffers_detach(data);
	return NOTIFY_OK;
}

int gdmabuf_device_init(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(gdmabuf_buses); i++) {
		gdmabuf_bus_nbs[i].notifier_call = gdmabuf_bus_notify;
		ret = bus_register_notifier(gdmabuf_buses[i], &gdmabuf_bus_nbs[i]);
		if (ret)
			goto unregister;
	}
	return 0;

unregister:
	while (i--)
		bus_unregister_notifier(gdmabuf_buses[i], &gdmabuf_bus_nbs[i]);
	return ret;
}

void gdmabuf_device_exit(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gdmabuf_buses); i++)
		bus_unregister_notifier(gdmabuf_buses[i], &gdmabuf_bus_nbs[i]);
}
