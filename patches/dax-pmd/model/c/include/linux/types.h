/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel types that fs/dax_pmd.h and the decisions use, for userspace. */
#ifndef DAX_PMD_MODEL_LINUX_TYPES_H
#define DAX_PMD_MODEL_LINUX_TYPES_H

#include <stdbool.h>
#include <stdint.h>

typedef uint16_t u16;
typedef uint64_t u64;
typedef long long loff_t;
typedef unsigned long pgoff_t;
typedef unsigned long vm_flags_t;

#endif
