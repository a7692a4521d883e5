/*
 * vicsys: the system calls the tether needs as PID 1 and Node does not offer.
 * Every failure throws an Error whose message names the call, its object and the errno
 * ("chroot /x: ENOENT (No such file or directory)") and whose `code` is the errno name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/reboot.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

/* Upper bounds on what JS may hand us; mount data is one page in the kernel. */
#define MAX_PATH_ARG PATH_MAX
#define MAX_DATA_ARG 4096
#define MAX_NAME_ARG 64

#define CALL(env, expr)                                                                          \
  do {                                                                                           \
    if ((expr) != napi_ok) return NULL;                                                          \
  } while (0)

static const char *errno_name(int err) {
  switch (err) {
#define NAME(e) \
  case e:       \
    return #e;
    NAME(EPERM) NAME(ENOENT) NAME(ESRCH) NAME(EINTR) NAME(EIO) NAME(ENXIO) NAME(E2BIG)
    NAME(ENOEXEC) NAME(EBADF) NAME(ECHILD) NAME(EAGAIN) NAME(ENOMEM) NAME(EACCES) NAME(EFAULT)
    NAME(ENOTBLK) NAME(EBUSY) NAME(EEXIST) NAME(EXDEV) NAME(ENODEV) NAME(ENOTDIR) NAME(EISDIR)
    NAME(EINVAL) NAME(ENFILE) NAME(EMFILE) NAME(ENOTTY) NAME(ETXTBSY) NAME(EFBIG) NAME(ENOSPC)
    NAME(ESPIPE) NAME(EROFS) NAME(EMLINK) NAME(EPIPE) NAME(ERANGE) NAME(ENAMETOOLONG)
    NAME(ENOSYS) NAME(ENOTEMPTY) NAME(ELOOP) NAME(ENOKEY) NAME(EKEYREJECTED) NAME(EBADMSG)
    NAME(EOVERFLOW) NAME(ENOPKG) NAME(EOPNOTSUPP) NAME(EUCLEAN) NAME(ESTALE) NAME(ETIMEDOUT)
#undef NAME
    default:
      return "EUNKNOWN";
  }
}

/* Throws `<what>: <ENAME> (<strerror>)` with code, errno and syscall properties. */
static napi_value throw_errno(napi_env env, int err, const char *syscall_name, const char *what) {
  char message[MAX_PATH_ARG + 256];
  const char *name = errno_name(err);
  snprintf(message, sizeof message, "%s: %s (%s)", what, name, strerror(err));
  napi_value code, msg, error, errno_value, syscall_value;
  CALL(env, napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code));
  CALL(env, napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg));
  CALL(env, napi_create_error(env, code, msg, &error));
  CALL(env, napi_create_int32(env, err, &errno_value));
  CALL(env, napi_set_named_property(env, error, "errno", errno_value));
  CALL(env, napi_create_string_utf8(env, syscall_name, NAPI_AUTO_LENGTH, &syscall_value));
  CALL(env, napi_set_named_property(env, error, "syscall", syscall_value));
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

/* Reads `value` as a NUL-free string of at most `max` bytes into a malloc'd buffer. */
static char *get_string(napi_env env, napi_value value, size_t max, const char *what) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_string) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a string", what);
    throw_type(env, message);
    return NULL;
  }
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return NULL;
  if (length > max) {
    char message[128];
    snprintf(message, sizeof message, "%s is longer than %zu bytes", what, max);
    throw_type(env, message);
    return NULL;
  }
  char *buffer = malloc(length + 1);
  if (buffer == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  if (napi_get_value_string_utf8(env, value, buffer, length + 1, &length) != napi_ok) {
    free(buffer);
    return NULL;
  }
  if (strlen(buffer) != length) {
    free(buffer);
    char message[128];
    snprintf(message, sizeof message, "%s must not contain NUL characters", what);
    throw_type(env, message);
    return NULL;
  }
  return buffer;
}

static bool get_int(napi_env env, napi_value value, const char *what, int64_t *out) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a number", what);
    throw_type(env, message);
    return false;
  }
  return napi_get_value_int64(env, value, out) == napi_ok;
}

/* Fetches exactly `count` arguments; missing ones are undefined and fail the type checks. */
static bool get_args(napi_env env, napi_callback_info info, size_t count, napi_value *args) {
  size_t argc = count;
  return napi_get_cb_info(env, info, &argc, args, NULL, NULL) == napi_ok;
}

static napi_value undefined(napi_env env) {
  napi_value result;
  CALL(env, napi_get_undefined(env, &result));
  return result;
}

static napi_value boolean(napi_env env, bool value) {
  napi_value result;
  CALL(env, napi_get_boolean(env, value, &result));
  return result;
}

/* chroot(path): enters `path` as the new root and moves the cwd to it. */
static napi_value do_chroot(napi_env env, napi_callback_info info) {
  napi_value args[1];
  if (!get_args(env, info, 1, args)) return NULL;
  char *path = get_string(env, args[0], MAX_PATH_ARG, "path");
  if (path == NULL) return NULL;
  char what[MAX_PATH_ARG + 16];
  snprintf(what, sizeof what, "chroot %s", path);
  napi_value result = NULL;
  if (chroot(path) != 0) {
    throw_errno(env, errno, "chroot", what);
  } else if (chdir("/") != 0) {
    throw_errno(env, errno, "chdir", what);
  } else {
    result = undefined(env);
  }
  free(path);
  return result;
}

/* mount(source, target, fstype, flags, data) */
static napi_value do_mount(napi_env env, napi_callback_info info) {
  napi_value args[5];
  if (!get_args(env, info, 5, args)) return NULL;
  int64_t flags;
  char *source = NULL, *target = NULL, *fstype = NULL, *data = NULL;
  napi_value result = NULL;
  if ((source = get_string(env, args[0], MAX_PATH_ARG, "source")) == NULL) goto out;
  if ((target = get_string(env, args[1], MAX_PATH_ARG, "target")) == NULL) goto out;
  if ((fstype = get_string(env, args[2], MAX_NAME_ARG, "fstype")) == NULL) goto out;
  if (!get_int(env, args[3], "flags", &flags)) goto out;
  if ((data = get_string(env, args[4], MAX_DATA_ARG, "data")) == NULL) goto out;
  if (mount(source, target, fstype[0] ? fstype : NULL, (unsigned long)flags, data[0] ? data : NULL) != 0) {
    char what[2 * MAX_PATH_ARG + MAX_NAME_ARG + 32];
    snprintf(what, sizeof what, "mount %s on %s (%s)", source, target, fstype[0] ? fstype : "no type");
    throw_errno(env, errno, "mount", what);
    goto out;
  }
  result = undefined(env);
out:
  free(source);
  free(target);
  free(fstype);
  free(data);
  return result;
}

/* umount(target, flags) — flags are MNT_* (e.g. MNT_DETACH). */
static napi_value do_umount(napi_env env, napi_callback_info info) {
  napi_value args[2];
  if (!get_args(env, info, 2, args)) return NULL;
  int64_t flags;
  if (!get_int(env, args[1], "flags", &flags)) return NULL;
  char *target = get_string(env, args[0], MAX_PATH_ARG, "target");
  if (target == NULL) return NULL;
  napi_value result = NULL;
  if (umount2(target, (int)flags) != 0) {
    char what[MAX_PATH_ARG + 16];
    snprintf(what, sizeof what, "umount %s", target);
    throw_errno(env, errno, "umount2", what);
  } else {
    result = undefined(env);
  }
  free(target);
  return result;
}

typedef int (*set_name_fn)(const char *, size_t);

static napi_value set_name(napi_env env, napi_callback_info info, set_name_fn fn, const char *syscall_name) {
  napi_value args[1];
  if (!get_args(env, info, 1, args)) return NULL;
  char *name = get_string(env, args[0], MAX_NAME_ARG, "name");
  if (name == NULL) return NULL;
  napi_value result = NULL;
  if (fn(name, strlen(name)) != 0) {
    char what[MAX_NAME_ARG + 32];
    snprintf(what, sizeof what, "%s %s", syscall_name, name);
    throw_errno(env, errno, syscall_name, what);
  } else {
    result = undefined(env);
  }
  free(name);
  return result;
}

static napi_value do_sethostname(napi_env env, napi_callback_info info) {
  return set_name(env, info, sethostname, "sethostname");
}

static napi_value do_setdomainname(napi_env env, napi_callback_info info) {
  return set_name(env, info, setdomainname, "setdomainname");
}

/*
 * waitpid(pid): collects the exit status of exactly `pid` without blocking.
 * Returns null while it runs, else { code } or { signal } (the signal number).
 */
static napi_value do_waitpid(napi_env env, napi_callback_info info) {
  napi_value args[1];
  if (!get_args(env, info, 1, args)) return NULL;
  int64_t pid;
  if (!get_int(env, args[0], "pid", &pid)) return NULL;
  if (pid <= 0 || pid > INT_MAX) return throw_type(env, "pid must be a positive process id");
  int status;
  pid_t got;
  do {
    got = waitpid((pid_t)pid, &status, WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    char what[64];
    snprintf(what, sizeof what, "waitpid %lld", (long long)pid);
    return throw_errno(env, errno, "waitpid", what);
  }
  napi_value result, number;
  if (got == 0) {
    CALL(env, napi_get_null(env, &result));
    return result;
  }
  CALL(env, napi_create_object(env, &result));
  if (WIFSIGNALED(status)) {
    CALL(env, napi_create_int32(env, WTERMSIG(status), &number));
    CALL(env, napi_set_named_property(env, result, "signal", number));
  } else {
    CALL(env, napi_create_int32(env, WEXITSTATUS(status), &number));
    CALL(env, napi_set_named_property(env, result, "code", number));
  }
  return result;
}

/* reboot('poweroff' | 'restart'): flushes the page cache, then ends the VM; returns only on failure. */
static napi_value do_reboot(napi_env env, napi_callback_info info) {
  napi_value args[1];
  if (!get_args(env, info, 1, args)) return NULL;
  char *kind = get_string(env, args[0], MAX_NAME_ARG, "kind");
  if (kind == NULL) return NULL;
  int command;
  if (strcmp(kind, "poweroff") == 0) {
    command = RB_POWER_OFF;
  } else if (strcmp(kind, "restart") == 0) {
    command = RB_AUTOBOOT;
  } else {
    free(kind);
    return throw_type(env, "kind must be 'poweroff' or 'restart'");
  }
  sync();
  char what[MAX_NAME_ARG + 16];
  snprintf(what, sizeof what, "reboot %s", kind);
  free(kind);
  reboot(command);
  return throw_errno(env, errno, "reboot", what);
}

static bool has_suffix(const char *text, const char *suffix) {
  size_t text_length = strlen(text), suffix_length = strlen(suffix);
  return text_length >= suffix_length && strcmp(text + text_length - suffix_length, suffix) == 0;
}

/*
 * finitModule(path, params): loads a kernel module from a file. Returns true when loaded,
 * false when it already was. Compressed modules are handed to the kernel to decompress.
 */
static napi_value do_finit_module(napi_env env, napi_callback_info info) {
  napi_value args[2];
  if (!get_args(env, info, 2, args)) return NULL;
  char *path = NULL, *params = NULL;
  napi_value result = NULL;
  if ((path = get_string(env, args[0], MAX_PATH_ARG, "path")) == NULL) goto out;
  if ((params = get_string(env, args[1], MAX_DATA_ARG, "params")) == NULL) goto out;
  char what[MAX_PATH_ARG + 32];
  snprintf(what, sizeof what, "finit_module %s", path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, errno, "open", what);
    goto out;
  }
  bool compressed = has_suffix(path, ".xz") || has_suffix(path, ".zst") || has_suffix(path, ".gz");
  long rc = syscall(SYS_finit_module, fd, params, compressed ? MODULE_INIT_COMPRESSED_FILE : 0);
  int err = errno;
  close(fd);
  if (rc != 0 && err != EEXIST) {
    throw_errno(env, err, "finit_module", what);
    goto out;
  }
  result = boolean(env, rc == 0);
out:
  free(path);
  free(params);
  return result;
}

/* setChildSubreaper(): orphaned descendants are re-parented to this process instead of PID 1. */
static napi_value do_set_child_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    return throw_errno(env, errno, "prctl", "prctl PR_SET_CHILD_SUBREAPER");
  }
  return undefined(env);
}

static bool export_function(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value value;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &value) == napi_ok &&
         napi_set_named_property(env, exports, name, value) == napi_ok;
}

static bool export_constant(napi_env env, napi_value exports, const char *name, int64_t number) {
  napi_value value;
  return napi_create_int64(env, number, &value) == napi_ok &&
         napi_set_named_property(env, exports, name, value) == napi_ok;
}

static napi_value init(napi_env env, napi_value exports) {
  bool ok = export_function(env, exports, "chroot", do_chroot) &&
            export_function(env, exports, "mount", do_mount) &&
            export_function(env, exports, "umount", do_umount) &&
            export_function(env, exports, "sethostname", do_sethostname) &&
            export_function(env, exports, "setdomainname", do_setdomainname) &&
            export_function(env, exports, "waitpid", do_waitpid) &&
            export_function(env, exports, "reboot", do_reboot) &&
            export_function(env, exports, "finitModule", do_finit_module) &&
            export_function(env, exports, "setChildSubreaper", do_set_child_subreaper);
#define CONSTANT(c) &&export_constant(env, exports, #c, c)
  ok = ok CONSTANT(MS_RDONLY) CONSTANT(MS_NOSUID) CONSTANT(MS_NODEV) CONSTANT(MS_NOEXEC)
      CONSTANT(MS_REMOUNT) CONSTANT(MS_BIND) CONSTANT(MS_REC) CONSTANT(MS_PRIVATE)
      CONSTANT(MS_MOVE) CONSTANT(MS_RELATIME) CONSTANT(MS_STRICTATIME) CONSTANT(MNT_DETACH)
      CONSTANT(MNT_FORCE);
#undef CONSTANT
  return ok ? exports : NULL;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
