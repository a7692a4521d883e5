{
  "targets": [
    {
      "target_name": "vicsys",
      "sources": ["vicsys.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror"]
    }
  ]
}
