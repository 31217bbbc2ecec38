import { dlopen, FFIType, ptr } from "bun:ffi";

/** The few libc calls PID 1 needs that Bun does not expose, through bun:ffi (loaded on first use). */
let lib: ReturnType<typeof open> | undefined;

function open() {
  return dlopen("libc.so.6", {
    waitpid: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    reboot: { args: [FFIType.i32], returns: FFIType.i32 },
    sync: { args: [], returns: FFIType.void },
    prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  }).symbols;
}

function libc() {
  lib ??= open();
  return lib;
}

const WNOHANG = 1;

/** waitpid(pid, &status, WNOHANG): the pid reaped (0 if none ready, -1 on error) and its raw status. */
export function waitpidNoHang(pid: number): { pid: number; status: number } {
  const status = new Int32Array(1);
  const got = libc().waitpid(pid, ptr(status), WNOHANG);
  return { pid: got, status: status[0] ?? 0 };
}

/** reboot(2) commands (linux/reboot.h); kexec jumps to the kernel `kexec -l` loaded. */
export const rebootCommand = {
  restart: 0x01234567,
  powerOff: 0x4321fedc,
  halt: 0xcdef0123,
  kexec: 0x45584543,
} as const;

/** reboot(2); returns only on failure (-1). */
export function rebootSyscall(cmd: number): number {
  return libc().reboot(cmd | 0);
}

/** sync(2): flush every filesystem. */
export function syncAll(): void {
  libc().sync();
}

/** prctl(PR_SET_CHILD_SUBREAPER): orphans of our descendants come to us (tests stand in for PID 1 this way). */
export function becomeSubreaper(): boolean {
  return libc().prctl(36, 1n, 0n, 0n, 0n) === 0;
}
