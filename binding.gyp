# The llm.ts native kernels (Node-API, plain C11 + GNU vector extensions).
# Every kernel is compiled once per instruction set, each as its own static library with
# its own flags (never -march=native); native/src/addon.c picks one at load time with
# __builtin_cpu_supports. On arm64 the baseline build is NEON. The bf16/int8 kernels
# (lowp_*.c: AMX, AVX512-BF16/VNNI, plain C) are chosen apart by native/src/addon_lowp.c.
{
  "variables": {
    "llmts_cflags": ["-O3", "-std=gnu11", "-fPIC", "-ffp-contract=fast", "-fno-math-errno",
                     "-fvisibility=hidden", "-fomit-frame-pointer", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-unused-function"],
    # 0 leaves the AMX kernels out (compilers before GCC 11 / clang 12 lack -mamx-*):
    # scripts/build-native.mjs retries with -Dllmts_amx=0 when the full build fails
    "llmts_amx%": 1,
    # the bf16/int8 kernels without AMX (AMD Zen 4/5; Intel with AVX512-BF16): lowp_avx512.c
    "llmts_lowp_avx512_flags": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma", "-mf16c",
                                "-mavx512bf16", "-mavx512vnni"],
  },
  "target_defaults": {
    "cflags_c": ["<@(llmts_cflags)"],
    "cflags!": ["-O2", "-O0", "-fno-tree-vectorize"],
    "xcode_settings": {
      "OTHER_CFLAGS": ["<@(llmts_cflags)"],
      "GCC_OPTIMIZATION_LEVEL": "3",
    },
  },
  "targets": [
    {
      "target_name": "llmts_isa_base",
      "type": "static_library",
      "sources": ["native/src/isa_base.c"],
    },
    {
      "target_name": "llmts_lowp_base",
      "type": "static_library",
      "sources": ["native/src/lowp_base.c"],
    },
    {
      "target_name": "llmts_native",
      "sources": ["native/src/addon.c", "native/src/addon_lowp.c", "native/src/pool.c"],
      "dependencies": ["llmts_isa_base", "llmts_lowp_base"],
      "libraries": ["-lm"],
      "ldflags": ["-pthread"],
      "cflags_c": ["-pthread"],
      "conditions": [
        ["target_arch=='x64'", {
          "dependencies": ["llmts_isa_avx2", "llmts_isa_avx512", "llmts_lowp_avx512"],
        }],
        ["target_arch=='x64' and llmts_amx==1", {"dependencies": ["llmts_lowp_amx"]}],
        ["target_arch=='x64' and llmts_amx!=1", {"defines": ["LLMTS_NO_AMX"]}],
      ],
    },
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "llmts_isa_avx2",
          "type": "static_library",
          "sources": ["native/src/isa_avx2.c"],
          "cflags_c": ["-mavx2", "-mfma"],
          "xcode_settings": {"OTHER_CFLAGS": ["<@(llmts_cflags)", "-mavx2", "-mfma"]},
        },
        {
          "target_name": "llmts_isa_avx512",
          "type": "static_library",
          "sources": ["native/src/isa_avx512.c"],
          "cflags_c": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma"],
          "xcode_settings": {"OTHER_CFLAGS": ["<@(llmts_cflags)", "-mavx512f", "-mavx512dq", "-mavx512bw",
                                              "-mavx512vl", "-mavx2", "-mfma"]},
        },
        {
          "target_name": "llmts_lowp_avx512",
          "type": "static_library",
          "sources": ["native/src/lowp_avx512.c"],
          "cflags_c": ["<@(llmts_lowp_avx512_flags)"],
          "xcode_settings": {"OTHER_CFLAGS": ["<@(llmts_cflags)", "<@(llmts_lowp_avx512_flags)"]},
        },
      ],
    }],
    ["target_arch=='x64' and llmts_amx==1", {
      "targets": [
        {
          "target_name": "llmts_lowp_amx",
          "type": "static_library",
          "sources": ["native/src/lowp_amx.c"],
          "cflags_c": ["<@(llmts_lowp_avx512_flags)", "-mamx-tile", "-mamx-bf16", "-mamx-int8"],
          "xcode_settings": {"OTHER_CFLAGS": ["<@(llmts_cflags)", "<@(llmts_lowp_avx512_flags)", "-mamx-tile",
                                              "-mamx-bf16", "-mamx-int8"]},
        },
      ],
    }],
  ],
}
