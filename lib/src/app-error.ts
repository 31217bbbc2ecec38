import { type ErrorCode, errorStatus } from "@corral/api";

/** The one error type of Corral: a code from the closed set, a message for humans, optional detail. */
export class AppError extends Error {
  /** The error code; the HTTP layer maps it to a status. */
  readonly code: ErrorCode;
  /** Extra machine-readable detail (field paths, positions). */
  readonly detail: unknown;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; detail?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.detail = options.detail;
  }

  /** The HTTP status this error maps to. */
  get status(): number {
    return errorStatus[this.code];
  }
}

/** True when `e` is an AppError with code `code` (or any AppError when no code is given). */
export function isAppError(e: unknown, code?: ErrorCode): e is AppError {
  return e instanceof AppError && (code === undefined || e.code === code);
}
