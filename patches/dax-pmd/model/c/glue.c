// SPDX-License-Identifier: GPL-2.0
/*
 * C callers of the decisions, as fs/dax.c calls them: through the prototypes
 * of fs/dax_pmd.h (as the series leaves it), with the kernel structures
 * built from scalars.  model_*_rust() link against the Rust functions of
 * fs/dax_pmd.rs, model_*_c() against the C ones of fs/dax.c (renamed when
 * build.rs compiled them); model_v6_12_check() against v6.12's
 * dax_fault_check_fallback().
 */
#include "shim.h"
#include "dax_pmd.h"

enum dax_pmd_fallback c_dax_pmd_check_fallback(const struct vm_fault *vmf,
					       const struct xa_state *xas,
					       pgoff_t max_pgoff);
struct dax_pmd_decision c_dax_pmd_classify(const struct iomap_iter *iter);
bool v6_12_dax_fault_check_fallback(struct vm_fault *vmf,
				    struct xa_state *xas, pgoff_t max_pgoff);

struct model_fault {
	pgoff_t pgoff;
	unsigned long address;
	bool write;
	bool shared;
	unsigned long vm_start;
	unsigned long vm_end;
	pgoff_t xa_index;
	pgoff_t max_pgoff;
};

struct model_extent {
	unsigned int type;
	unsigned int flags;
	bool write;
	long long offset;	/* of the extent, from the position */
	u64 length;
	bool src;		/* a source extent (not a hole) */
	long long src_offset;
	u64 src_length;
	u64 len;		/* what the iteration asks for */
};

#define FAULT(in, vma, vmf, xas)					\
	struct vm_area_struct vma = {					\
		.vm_start = (in)->vm_start,				\
		.vm_end = (in)->vm_end,					\
		.__vm_flags = (in)->shared ? VM_SHARED : 0,		\
	};								\
	struct vm_fault vmf = {						\
		.vma = &vma,						\
		.pgoff = (in)->pgoff,					\
		.address = (in)->address,				\
		.flags = (in)->write ? FAULT_FLAG_WRITE : 0,		\
	};								\
	struct xa_state xas = { .xa_index = (in)->xa_index }

unsigned int model_check_rust(const struct model_fault *in)
{
	FAULT(in, vma, vmf, xas);
	return dax_pmd_check_fallback(&vmf, &xas, in->max_pgoff);
}

unsigned int model_check_c(const struct model_fault *in)
{
	FAULT(in, vma, vmf, xas);
	return c_dax_pmd_check_fallback(&vmf, &xas, in->max_pgoff);
}

bool model_v6_12_check(const struct model_fault *in)
{
	FAULT(in, vma, vmf, xas);
	return v6_12_dax_fault_check_fallback(&vmf, &xas, in->max_pgoff);
}

static struct iomap_iter extent(const struct model_extent *in)
{
	loff_t pos = 512LL << PMD_SHIFT;
	struct iomap_iter iter = {
		.pos = pos,
		.len = in->len,
		.flags = in->write ? IOMAP_WRITE : 0,
		.iomap = {
			.offset = pos + in->offset,
			.length = in->length,
			.type = in->type,
			.flags = in->flags,
		},
	};

	if (in->src) {
		iter.srcmap.type = IOMAP_MAPPED;
		iter.srcmap.offset = pos + in->src_offset;
		iter.srcmap.length = in->src_length;
	}
	return iter;
}

/* The action in the low 16 bits, the reason above */
unsigned int model_classify_rust(const struct model_extent *in)
{
	struct iomap_iter iter = extent(in);
	struct dax_pmd_decision d = dax_pmd_classify(&iter);

	return d.action | d.reason << 16;
}

unsigned int model_classify_c(const struct model_extent *in)
{
	struct iomap_iter iter = extent(in);
	struct dax_pmd_decision d = c_dax_pmd_classify(&iter);

	return d.action | d.reason << 16;
}

/* For the Rust shim's bindings::iomap_length() */
u64 model_iomap_length(const struct iomap_iter *iter)
{
	return iomap_length(iter);
}

/* Sizes and offsets the Rust mirror of the structures must have */
unsigned long model_layout(unsigned int i)
{
	static const unsigned long layout[] = {
		sizeof(struct vm_area_struct),
		__builtin_offsetof(struct vm_area_struct, vm_end),
		__builtin_offsetof(struct vm_area_struct, vm_flags),
		sizeof(struct vm_fault),
		__builtin_offsetof(struct vm_fault, pgoff),
		__builtin_offsetof(struct vm_fault, address),
		__builtin_offsetof(struct vm_fault, flags),
		sizeof(struct iomap),
		__builtin_offsetof(struct iomap, type),
		__builtin_offsetof(struct iomap, flags),
		sizeof(struct iomap_iter),
		__builtin_offsetof(struct iomap_iter, flags),
		__builtin_offsetof(struct iomap_iter, iomap),
		__builtin_offsetof(struct iomap_iter, srcmap),
		sizeof(struct dax_pmd_decision),
	};

	return i < sizeof(layout) / sizeof(layout[0]) ? layout[i] : -1UL;
}
