"""Writes reference.json: what PyTorch's layers compute, for tests/nn_layers2.rs.

Every case builds one layer (or calls one function of torch.nn.functional) in
float64 from a seeded generator, runs it on a random input and differentiates
the scalar loss sum(output * cotangent) (plus sum(weights * cotangent2) for
attention's averaged weights) with respect to the input(s) and every parameter.
The file records, per case: the layer and its options, the parameters in
named_parameters() order, the inputs, the cotangents, the outputs and the
gradients, each tensor as {"shape": [...], "values": [...]} (row-major,
Python's repr of each float64, which round-trips; infinities as the strings
"inf" and "-inf").

Run with PyTorch 2.15 (CPU): python3 make_reference.py (writes beside itself).
"""

import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def enc(t):
    t = t.detach().to(torch.float64)
    # JSON has no infinities: those (masks) are written as the strings "inf"/"-inf".
    vals = [v if v == v and abs(v) != float("inf") else str(v) for v in t.reshape(-1).tolist()]
    return {"shape": list(t.shape), "values": vals}


cases = []


def record(name, layer, options, module, inputs, call, extra=None):
    """inputs: dict name -> tensor (requires grad if differentiable)."""
    if module is not None:
        module.eval()  # dropout off; none of these layers has running statistics
    outs = call(**inputs)
    if not isinstance(outs, tuple):
        outs = (outs,)
    cots = [torch.randn(o.shape) for o in outs]
    loss = sum((o * c).sum() for o, c in zip(outs, cots))
    loss.backward()
    case = {
        "name": name,
        "layer": layer,
        "options": options,
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "cotangents": [enc(c) for c in cots],
        "outputs": [enc(o) for o in outs],
        "grads": {k: enc(v.grad) for k, v in inputs.items() if v.requires_grad},
        "grad_fn": outs[0].grad_fn.name() if outs[0].grad_fn is not None else None,
    }
    if module is not None:
        case["parameters"] = [[n, enc(p)] for n, p in module.named_parameters()]
        for n, p in module.named_parameters():
            case["grads"][n] = enc(p.grad)
    if extra:
        case.update(extra)
    cases.append(case)


def leaf(*shape):
    return torch.randn(*shape).requires_grad_(True)


def const(*shape):
    return torch.randn(*shape)


# Conv1d
for name, args, opts, xs in [
    ("conv1d", (3, 4, 3), {}, (2, 3, 9)),
    ("conv1d_stride_padding", (3, 4, 3), {"stride": 2, "padding": 1}, (2, 3, 8)),
    ("conv1d_dilation", (2, 3, 3), {"dilation": 2, "padding": 2}, (2, 2, 9)),
    ("conv1d_groups_no_bias", (4, 6, 2), {"groups": 2, "bias": False}, (1, 4, 7)),
]:
    m = nn.Conv1d(*args, **opts)
    record(name, "Conv1d", {"args": list(args), **opts}, m, {"x": leaf(*xs)}, lambda x: m(x))

# ConvTranspose2d
for name, args, opts, xs in [
    ("conv_transpose2d", (3, 2, 3), {}, (2, 3, 4, 3)),
    (
        "conv_transpose2d_stride_padding_output_padding",
        (2, 3, 3),
        {"stride": 2, "padding": 1, "output_padding": 1},
        (2, 2, 3, 4),
    ),
    ("conv_transpose2d_groups_dilation", (4, 2, 2), {"groups": 2, "dilation": 2}, (1, 4, 3, 3)),
    ("conv_transpose2d_no_bias_stride3", (2, 2, 2), {"stride": 3, "bias": False}, (1, 2, 2, 3)),
]:
    m = nn.ConvTranspose2d(*args, **opts)
    record(name, "ConvTranspose2d", {"args": list(args), **opts}, m, {"x": leaf(*xs)}, lambda x: m(x))

# GroupNorm
for name, args, opts, xs in [
    ("group_norm", (2, 4), {}, (2, 4, 3, 3)),
    ("group_norm_one_group_3d", (1, 3), {}, (3, 3, 5)),
    ("group_norm_per_channel_eps", (4, 4), {"eps": 1e-3}, (2, 4, 2, 3)),
    ("group_norm_no_affine", (3, 6), {"affine": False}, (2, 6, 4)),
]:
    m = nn.GroupNorm(*args, **opts)
    # Affine parameters away from their ones/zeros start, so their gradients show.
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn(p.shape) * 0.5)
    record(name, "GroupNorm", {"args": list(args), **opts}, m, {"x": leaf(*xs)}, lambda x: m(x))

# AdaptiveAvgPool2d
for name, size, xs in [
    ("adaptive_avg_pool2d", (3, 2), (2, 3, 7, 5)),
    ("adaptive_avg_pool2d_overlapping", (4, 4), (1, 2, 5, 6)),
    ("adaptive_avg_pool2d_global_3d", (1, 1), (3, 4, 5)),
    ("adaptive_avg_pool2d_larger", (5, 3), (1, 1, 3, 2)),
]:
    m = nn.AdaptiveAvgPool2d(size)
    record(name, "AdaptiveAvgPool2d", {"args": list(size)}, m, {"x": leaf(*xs)}, lambda x: m(x))

# interpolate
for name, size, mode, xs in [
    ("interpolate_nearest_up", [7, 5], "nearest", (2, 3, 4, 3)),
    ("interpolate_nearest_down", [3, 2], "nearest", (1, 2, 7, 5)),
    ("interpolate_nearest_double", [8, 6], "nearest", (1, 1, 4, 3)),
    ("interpolate_bilinear_up", [7, 5], "bilinear", (2, 3, 4, 3)),
    ("interpolate_bilinear_down", [3, 2], "bilinear", (1, 2, 7, 5)),
    ("interpolate_nearest_1d", [7], "nearest", (2, 3, 4)),
    ("interpolate_linear_1d", [9], "linear", (2, 2, 4)),
]:
    record(
        name,
        "interpolate",
        {"size": size, "mode": mode},
        None,
        {"x": leaf(*xs)},
        lambda x: F.interpolate(x, size=size, mode=mode),
    )

# MultiheadAttention
for name, (e, h), opts, shapes, mask in [
    ("mha_self", (8, 2), {}, ((3, 2, 8), (3, 2, 8), (3, 2, 8)), None),
    ("mha_cross_batch_first", (6, 3), {"batch_first": True}, ((2, 3, 6), (2, 4, 6), (2, 4, 6)), None),
    ("mha_float_mask", (8, 2), {}, ((3, 2, 8), (4, 2, 8), (4, 2, 8)), "float"),
    ("mha_bool_mask_no_bias", (4, 1), {"bias": False}, ((3, 2, 4), (4, 2, 4), (4, 2, 4)), "bool"),
    ("mha_unbatched_3d_mask", (4, 2), {}, ((3, 4), (5, 4), (5, 4)), "float3d"),
]:
    m = nn.MultiheadAttention(e, h, **opts)
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "bias" in n:
                p.add_(torch.randn(p.shape) * 0.3)
    inputs = {"q": leaf(*shapes[0]), "k": leaf(*shapes[1]), "v": leaf(*shapes[2])}
    L, S = shapes[0][-2 if opts.get("batch_first") else 0], shapes[1][-2 if opts.get("batch_first") else 0]
    if mask == "float":
        attn_mask = torch.randn(L, S)
    elif mask == "bool":
        attn_mask = torch.rand(L, S) < 0.3
        attn_mask[:, 0] = False  # every query sees one key at least
    elif mask == "float3d":
        attn_mask = torch.randn(h, L, S)
    else:
        attn_mask = None
    extra = {"mask": enc(attn_mask.to(torch.float64)) if attn_mask is not None else None}
    record(
        name,
        "MultiheadAttention",
        {"args": [e, h], "mask": mask, **opts},
        m,
        inputs,
        lambda q, k, v: m(q, k, v, attn_mask=attn_mask),
        extra,
    )

# TransformerEncoderLayer
for name, (d, h), opts, xs, mask in [
    ("transformer_encoder_layer", (8, 2), {"dim_feedforward": 16}, (3, 2, 8), False),
    ("transformer_encoder_layer_norm_first", (8, 2), {"dim_feedforward": 12, "norm_first": True}, (4, 2, 8), False),
    ("transformer_encoder_layer_batch_first_mask", (6, 3), {"dim_feedforward": 10, "batch_first": True}, (2, 4, 6), True),
]:
    m = nn.TransformerEncoderLayer(d, h, **opts)
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "norm" in n or "bias" in n:
                p.add_(torch.randn(p.shape) * 0.3)
    seq = xs[1] if opts.get("batch_first") else xs[0]
    src_mask = nn.Transformer.generate_square_subsequent_mask(seq) if mask else None
    extra = {"mask": enc(src_mask) if src_mask is not None else None}
    record(
        name,
        "TransformerEncoderLayer",
        {"args": [d, h], **opts},
        m,
        {"x": leaf(*xs)},
        lambda x: m(x, src_mask=src_mask),
        extra,
    )

# Key padding masks (appended after the cases above, so that those keep their
# numbers). A bool key_padding_mask is written as 0/1, a float one as is; no
# query has every key masked out (PyTorch's need_weights=False path gives zeros
# there, its need_weights=True path NaN).
for name, (e, h), opts, shapes, mask, kpm in [
    ("mha_key_padding_mask", (8, 2), {}, ((3, 2, 8), (4, 2, 8), (4, 2, 8)), None, "bool"),
    (
        "mha_key_padding_and_float_mask_batch_first",
        (6, 2),
        {"batch_first": True},
        ((2, 3, 6), (2, 5, 6), (2, 5, 6)),
        "float",
        "bool",
    ),
    ("mha_unbatched_key_padding_mask", (4, 2), {}, ((3, 4), (5, 4), (5, 4)), None, "bool"),
    ("mha_float_key_padding_mask", (4, 1), {}, ((2, 3, 4), (4, 3, 4), (4, 3, 4)), "bool", "float"),
]:
    m = nn.MultiheadAttention(e, h, **opts)
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "bias" in n:
                p.add_(torch.randn(p.shape) * 0.3)
    inputs = {"q": leaf(*shapes[0]), "k": leaf(*shapes[1]), "v": leaf(*shapes[2])}
    bf = opts.get("batch_first")
    L, S = shapes[0][-2 if bf else 0], shapes[1][-2 if bf else 0]
    batched = len(shapes[0]) == 3
    N = shapes[0][0 if bf else 1] if batched else None
    if mask == "float":
        attn_mask = torch.randn(L, S)
    elif mask == "bool":
        attn_mask = torch.rand(L, S) < 0.3
        attn_mask[:, 0] = False
    else:
        attn_mask = None
    kshape = (N, S) if batched else (S,)
    if kpm == "bool":
        key_padding_mask = torch.zeros(kshape, dtype=torch.bool)
        # Padding at the end of the sequences, a different length per sample.
        if batched:
            for i in range(N):
                key_padding_mask[i, S - 1 - i % (S - 1) :] = True
        else:
            key_padding_mask[S - 2 :] = True
    else:
        key_padding_mask = torch.randn(kshape)
    extra = {
        "mask": enc(attn_mask.to(torch.float64)) if attn_mask is not None else None,
        "key_padding_mask": enc(key_padding_mask.to(torch.float64)),
    }
    record(
        name,
        "MultiheadAttention",
        {"args": [e, h], "mask": mask, "key_padding_mask": kpm, **opts},
        m,
        inputs,
        lambda q, k, v: m(q, k, v, attn_mask=attn_mask, key_padding_mask=key_padding_mask),
        extra,
    )

for name, (d, h), opts, xs, causal in [
    ("transformer_encoder_layer_key_padding_mask", (8, 2), {"dim_feedforward": 16}, (5, 2, 8), True),
    (
        "transformer_encoder_layer_gelu_no_bias_eps_norm_first",
        (6, 2),
        {"dim_feedforward": 8, "activation": "gelu", "bias": False, "layer_norm_eps": 1e-3, "norm_first": True},
        (3, 2, 6),
        False,
    ),
]:
    m = nn.TransformerEncoderLayer(d, h, **opts)
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "norm" in n or "bias" in n:
                p.add_(torch.randn(p.shape) * 0.3)
    S, N = xs[0], xs[1]
    src_mask = nn.Transformer.generate_square_subsequent_mask(S) if causal else None
    kpm = torch.zeros(N, S, dtype=torch.bool)
    kpm[1, S - 2 :] = True
    extra = {
        "mask": enc(src_mask) if src_mask is not None else None,
        "key_padding_mask": enc(kpm.to(torch.float64)),
    }
    record(
        name,
        "TransformerEncoderLayer",
        {"args": [d, h], **opts},
        m,
        {"x": leaf(*xs)},
        lambda x: m(x, src_mask=src_mask, src_key_padding_mask=kpm),
        extra,
    )

out = {"torch": torch.__version__, "cases": cases}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json"), "w") as f:
    json.dump(out, f, indent=0)
    f.write("\n")
print(len(cases), "cases")
