// A std::vector whose elements are default-initialized: `uninit_vector<float> v(n)` allocates without writing
// zeros. For scratch buffers that are fully overwritten before being read, where zeroing them first would cost a
// pass over memory (and, for fresh pages, the page faults) for nothing. `v(n, 0.0f)` still zeroes.
#pragma once
#include <memory>
#include <vector>

namespace seek {

template <class T, class A = std::allocator<T>>
struct default_init_allocator : A {
  using A::A;
  template <class U>
  struct rebind {
    using other = default_init_allocator<U, typename std::allocator_traits<A>::template rebind_alloc<U>>;
  };
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    std::allocator_traits<A>::construct(static_cast<A&>(*this), p, std::forward<Args>(args)...);
  }
};

template <class T>
using uninit_vector = std::vector<T, default_init_allocator<T>>;

}  // namespace seek
