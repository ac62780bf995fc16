/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel definitions that dax_pmd_check_fallback() and
 * enum dax_pmd_fallback use, as on x86-64 (arch/x86/include/asm/page_types.h,
 * pgtable_64_types.h) and fs/dax.c.  Everything else is the patch's own text.
 */
#ifndef DAX_PMD_MODEL_SHIM_H
#define DAX_PMD_MODEL_SHIM_H

#include <stdbool.h>

typedef unsigned long pgoff_t;

#define PAGE_SHIFT	12
#define PMD_SHIFT	21
#define PMD_SIZE	(1UL << PMD_SHIFT)
#define PMD_MASK	(~(PMD_SIZE - 1))

/* fs/dax.c */
#define PG_PMD_COLOUR	((PMD_SIZE >> PAGE_SHIFT) - 1)

#endif
