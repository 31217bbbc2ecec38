import { execa } from "execa";
import { AppError } from "./app-error.ts";

/** Runs a program with arguments (never through a shell) and returns its stdout; fails with its stderr. */
export async function run(
  file: string,
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
) {
  const result = await execa(file, args, {
    input: options.input,
    timeout: options.timeoutMs ?? 30_000,
    reject: false,
  });
  if (result.exitCode !== 0 || result.failed) {
    throw new AppError(
      "ServerError",
      `${file} failed: ${(result.stderr || result.shortMessage || "").trim()}`,
    );
  }
  return result.stdout;
}
