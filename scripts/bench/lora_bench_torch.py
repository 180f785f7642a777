#!/usr/bin/env python3
"""PyTorch side of scripts/bench/lora_bench.sh, 2 threads, with lora-bench's labels (the shell
script pairs them): a fused AdamW step, clip_grad_norm_ and the total norm alone at the sizes of
flan-t5-base LoRA r=32 on q,v (3,538,944 parameters); train-mode dropout p 0.1 over one
batch-8 x 256-token x 768 activation (1,572,864 elements), out of place (y = dropout(x): what
nn.Dropout in T5 and PEFT's LoRA dropout do) and in place (F.dropout(inplace=True))."""
import time, torch
torch.set_num_threads(2)
torch.manual_seed(0)

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
timeit("grad_norm_only_3538944", 20, lambda: torch.nn.utils.get_total_norm([p.grad for p in params]))
x = torch.ones(8 * 256 * 768)
s = timeit("dropout_1572864", 20, lambda: torch.nn.functional.dropout(x, 0.1, training=True))
print(f"dropout_ns_per_element: {s * 1e9 / x.numel():.3f}")
z = torch.ones(8 * 256 * 768)
s = timeit("dropout_inplace_1572864", 20, lambda: torch.nn.functional.dropout(z, 0.1, training=True, inplace=True))
print(f"dropout_inplace_ns_per_element: {s * 1e9 / z.numel():.3f}")
