// Connected components, 8-connectivity (SPEC 2 step 7): union-find with atomic hooking
// (Playne & Hawick, "A new algorithm for parallel connected-component labelling on GPUs",
// IEEE TPDS 2018), the same code on both backends.
//
// Every foreground pixel starts as its own tree; each pixel merges with its foreground
// neighbours that come before it in raster order (W, NW, N, NE); roots are always the
// smallest pixel index of their tree, since links only go from a larger to a smaller
// index (atomic min). The final labels are therefore independent of thread timing.
// Label is int32 or int64 (grids of more than 2^31 pixels).
#pragma once

#include <cstdint>

#include <thrust/scan.h>
#include <cuda/atomic>

#include "kernels/common.hpp"

namespace sw::kern {

template <class Label>
SW_HD inline Label load_relaxed(Label* p) {
  cuda::atomic_ref<Label, cuda::thread_scope_device> a(*p);
  return a.load(cuda::memory_order_relaxed);
}

template <class Label>
SW_HD inline Label find_root(Label* parent, Label a) {
  Label p = load_relaxed(parent + a);
  while (p != a) {
    a = p;
    p = load_relaxed(parent + a);
  }
  return a;
}

// Joins the trees of a and b: the larger root is hooked under the smaller with atomic min;
// if another thread hooked it meanwhile, retry from what it found.
template <class Label>
SW_HD inline void union_trees(Label* parent, Label a, Label b) {
  for (;;) {
    a = find_root(parent, a);
    b = find_root(parent, b);
    if (a == b) return;
    if (a > b) {
      const Label t = a;
      a = b;
      b = t;
    }
    // now a < b: hook b under a
    cuda::atomic_ref<Label, cuda::thread_scope_device> ref(parent[b]);
    const Label old = ref.fetch_min(a, cuda::memory_order_relaxed);
    if (old == b) return;
    b = old;  // b was hooked elsewhere meanwhile: join its new root with a
  }
}

// parent[i] = i for foreground, -1 for background.
template <class Label>
struct label_init_fn {
  const std::uint8_t* mask;
  Label* parent;
  SW_HD void operator()(index_t i) const {
    parent[i] = mask[i] ? static_cast<Label>(i) : Label(-1);
  }
};

template <class Label>
struct label_merge_fn {
  const std::uint8_t* mask;
  Label* parent;
  int width;
  int height;

  SW_HD void operator()(int x, int y) const {
    const index_t i = static_cast<index_t>(y) * width + x;
    if (!mask[i]) return;
    if (x > 0 && mask[i - 1])
      union_trees<Label>(parent, static_cast<Label>(i), static_cast<Label>(i - 1));
    if (y > 0) {
      const index_t up = i - width;
      if (x > 0 && mask[up - 1])
        union_trees<Label>(parent, static_cast<Label>(i), static_cast<Label>(up - 1));
      if (mask[up]) union_trees<Label>(parent, static_cast<Label>(i), static_cast<Label>(up));
      if (x + 1 < width && mask[up + 1])
        union_trees<Label>(parent, static_cast<Label>(i), static_cast<Label>(up + 1));
    }
  }
};

// parent[i] <- root of i (foreground only).
template <class Label>
struct label_flatten_fn {
  Label* parent;
  SW_HD void operator()(index_t i) const {
    const Label p = load_relaxed(parent + i);
    if (p < 0) return;
    // Atomic store: other threads may be walking through parent[i] at the same time
    // (they see either the old parent or the root, both on the path to the same root).
    cuda::atomic_ref<Label, cuda::thread_scope_device> ref(parent[i]);
    ref.store(find_root(parent, static_cast<Label>(i)), cuda::memory_order_relaxed);
  }
};

// is_root[i] = 1 where i is the root of its component (the raster-first pixel).
template <class Label>
struct root_flag_fn {
  const Label* parent;
  Label* flag;
  SW_HD void operator()(index_t i) const { flag[i] = parent[i] == static_cast<Label>(i) ? 1 : 0; }
};

// component[i] = compact id of i's root (0..count-1, in raster order of roots), -1 for
// background. `rank` is the exclusive scan of the root flags.
template <class Label>
struct compact_label_fn {
  const Label* parent;
  const Label* rank;
  Label* component;
  SW_HD void operator()(index_t i) const {
    const Label p = parent[i];
    component[i] = p < 0 ? Label(-1) : rank[p];
  }
};

// Labels `mask` into `parent` (roots = smallest index of each component, background -1)
// with the three launches above (the device's path; the CPU labels through
// label_components below).
template <class Label, class Backend>
void label_image(const Backend& be, const std::uint8_t* mask, Label* parent, int width,
                 int height) {
  const index_t n = static_cast<index_t>(width) * height;
  be.for_each(n, label_init_fn<Label>{mask, parent});
  be.for_each_2d(width, height, label_merge_fn<Label>{mask, parent, width, height});
  be.for_each(n, label_flatten_fn<Label>{parent});
}

// Compact component ids (0..count-1 in raster order of the components' first pixels,
// background -1) into `component`; returns the count. The CPU backend overloads this with
// the same union-find over runs of pixels (kernels/cpu/label_cpu.hpp) giving the same ids.
template <class Label, class Backend>
index_t label_components(const Backend& be, const std::uint8_t* mask, Label* component, int width,
                         int height) {
  const index_t n = static_cast<index_t>(width) * height;
  if (n <= 0) return 0;
  auto parent = be.template alloc<Label>(n);
  auto rank = be.template alloc<Label>(n);
  label_image<Label>(be, mask, parent.data(), width, height);
  be.for_each(n, root_flag_fn<Label>{parent.data(), rank.data()});
  const Label last_flag = be.read_one(rank, n - 1);
  thrust::exclusive_scan(be.policy(), rank.data(), rank.data() + n, rank.data());
  const index_t count = static_cast<index_t>(be.read_one(rank, n - 1) + last_flag);
  be.for_each(n, compact_label_fn<Label>{parent.data(), rank.data(), component});
  return count;
}

}  // namespace sw::kern
