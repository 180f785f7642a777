#!/usr/bin/env python3
"""PyTorch side of scripts/bench/lora_bench.sh: fused AdamW step, clip_grad_norm_ and a
dropout mask at the sizes of flan-t5-base LoRA r=32 on q,v (3,538,944 parameters), 2 threads."""
import time, torch
torch.set_num_threads(2)

def timeit(label, repeats, fn):
    fn()
    t = time.perf_counter()
    for _ in range(repeats):
        fn()
    s = (time.perf_counter() - t) / repeats
    print(f"{label}: {s * 1e3:.3f} ms")
    return s

params = [torch.nn.Parameter(torch.rand(32 * 768)) for _ in range(144)]
for p in params:
    p.grad = p.detach() - 0.5
opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01, fused=True)
timeit("adamw_step_3538944", 20, opt.step)
timeit("clip_grad_norm_3538944", 20, lambda: torch.nn.utils.clip_grad_norm_(params, 1e9))
x = torch.ones(8 * 256 * 768)
s = timeit("dropout_mask_1572864", 20, lambda: torch.nn.functional.dropout(x, 0.1, training=True))
print(f"dropout_mask_ns_per_element: {s * 1e9 / x.numel():.3f}")
