"""Quantiser speed and memory: mmfuse_lite vs vector-quantize-pytorch. See mmfuse_lite/vq_speed.py.

    python benchmarks/vq_speed.py [--dim 32 --codes 512 --batch 32 --tokens 256 --rounds 7 --iters 10]
"""
from mmfuse_lite.vq_speed import main

if __name__ == "__main__":
    main()
