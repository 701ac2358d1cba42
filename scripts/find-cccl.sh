#!/usr/bin/env bash
# Prints the include directory that holds CCCL (thrust/, cub/, cuda/std), best first:
# the CUDA toolkit's own copy, then Debian's libthrust-dev. Prints nothing if none.
for d in "${CUDA_HOME:-/usr/local/cuda}/include/cccl" "${CUDA_HOME:-/usr/local/cuda}/include" \
         /usr/local/cuda/targets/x86_64-linux/include/cccl /usr/include; do
  if [[ -f "$d/thrust/version.h" ]]; then echo "$d"; exit 0; fi
done
exit 1
