/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel definitions the DAX PMD fault decisions read, reduced to the
 * members they use, with the kernel's member names and nesting (x86-64
 * sizes).  The Rust side (src/kernel.rs) mirrors these layouts; a test
 * compares them (model_layout()).
 */
#ifndef DAX_PMD_MODEL_SHIM_H
#define DAX_PMD_MODEL_SHIM_H

#include <linux/types.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PMD_SHIFT	21
#define PMD_SIZE	(1UL << PMD_SHIFT)
#define PMD_MASK	(~(PMD_SIZE - 1))

/* fs/dax.c */
#define PG_PMD_COLOUR	((PMD_SIZE >> PAGE_SHIFT) - 1)

/* include/linux/mm.h, mm_types.h */
#define VM_SHARED	0x00000008
#define FAULT_FLAG_WRITE	(1 << 0)

struct vm_area_struct {
	union {
		struct {
			unsigned long vm_start;
			unsigned long vm_end;
		};
	};
	union {
		const vm_flags_t vm_flags;
		vm_flags_t __vm_flags;
	};
};

struct vm_fault {
	const struct {
		struct vm_area_struct *vma;
		pgoff_t pgoff;
		unsigned long address;
	};
	unsigned int flags;
};

/* include/linux/xarray.h */
struct xa_state {
	unsigned long xa_index;
};

/* include/linux/iomap.h */
#define IOMAP_HOLE	0
#define IOMAP_DELALLOC	1
#define IOMAP_MAPPED	2
#define IOMAP_UNWRITTEN	3
#define IOMAP_INLINE	4
#define IOMAP_F_NEW	(1U << 0)
#define IOMAP_F_SHARED	(1U << 2)
#define IOMAP_WRITE	(1 << 0)

struct iomap {
	u64 addr;
	loff_t offset;
	u64 length;
	u16 type;
	u16 flags;
};

struct iomap_iter {
	loff_t pos;
	u64 len;
	unsigned int flags;
	struct iomap iomap;
	struct iomap srcmap;
};

#define min(a, b)	((a) < (b) ? (a) : (b))

/* include/linux/iomap.h, v6.12 */
static inline u64 iomap_length(const struct iomap_iter *iter)
{
	u64 end = iter->iomap.offset + iter->iomap.length;

	if (iter->srcmap.type != IOMAP_HOLE)
		end = min(end, iter->srcmap.offset + iter->srcmap.length);
	return min(iter->len, end - iter->pos);
}

#endif
