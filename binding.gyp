# The llm.ts native kernels (Node-API, plain C11 + GNU vector extensions).
# Every kernel is compiled once per instruction set, each as its own static library with
# its own flags (never -march=native); native/src/addon.c picks one at load time with
# __builtin_cpu_supports. On arm64 the baseline build is NEON.
{
  "variables": {
    "llmts_cflags": ["-O3", "-std=gnu11", "-fPIC", "-ffp-contract=fast", "-fno-math-errno",
                     "-fvisibility=hidden", "-fomit-frame-pointer", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-unused-function"],
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
      "target_name": "llmts_native",
      "sources": ["native/src/addon.c", "native/src/pool.c"],
      "dependencies": ["llmts_isa_base"],
      "libraries": ["-lm"],
      "ldflags": ["-pthread"],
      "cflags_c": ["-pthread"],
      "conditions": [
        ["target_arch=='x64'", {
          "dependencies": ["llmts_isa_avx2", "llmts_isa_avx512"],
        }],
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
      ],
    }],
  ],
}
