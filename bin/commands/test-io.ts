/**
 * Test helpers for the user commands: an in-process server, captured I/O, and folders holding
 * compose files.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type RunningServer, startServer } from "@corral/server";
import type { Io } from "./cli.ts";

/** I/O that records what a command printed. */
export interface CapturedIo extends Io {
  stdout: string;
  stderr: string;
}

/** Captured I/O with the given environment and working folder; polls fast. */
export function captureIo(env: Record<string, string | undefined>, cwd: string): CapturedIo {
  const io: CapturedIo = {
    stdout: "",
    stderr: "",
    out: (t) => {
      io.stdout += t;
    },
    err: (t) => {
      io.stderr += t;
    },
    env,
    cwd,
    pollMs: 50,
  };
  return io;
}

/** A server on a random port with an in-memory store, and the variables that reach it. */
export function testServer(): { server: RunningServer; env: Record<string, string> } {
  const server = startServer({ port: 0, dataDir: null, env: {} });
  // A fresh in-memory store always generates the admin key, secret included.
  if (!server.admin.secretKey) throw new Error("the test server gave no admin secret key");
  return {
    server,
    env: {
      CORRAL_URL: server.url,
      CORRAL_ACCESS_KEY: server.admin.accessKey,
      CORRAL_SECRET_KEY: server.admin.secretKey,
    },
  };
}

/** A fresh folder (named `name` inside a temporary one) holding these files. */
export function folder(name: string, files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "corral-cli-")), name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}
