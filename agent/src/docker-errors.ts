import { AppError, isAppError } from "@corral/lib";

/** The shape of errors docker-modem raises: the HTTP status and Docker's JSON body. */
interface ModemError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

/** Docker's own message of a modem error, without docker-modem's "(HTTP code N) ..." prefix. */
export function dockerMessage(e: unknown): string {
  const err = e as ModemError;
  const fromJson = err?.json?.message;
  if (typeof fromJson === "string" && fromJson) return fromJson;
  return String(err?.message ?? e);
}

/** The HTTP status of a modem error, if it has one. */
export function dockerStatus(e: unknown): number | undefined {
  const code = (e as ModemError)?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/**
 * Turns any error from Docker into an AppError with the protocol's codes, keeping Docker's message
 * so the operator sees what the engine said.
 */
export function toAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  const message = dockerMessage(e);
  const status = dockerStatus(e);
  if (status === 404) {
    // Docker answers 404 for a missing image on create too; that is a bad reference, not a lost container.
    const code = /no such image|pull access denied|manifest unknown/i.test(message)
      ? "InvalidReference"
      : "NotFound";
    return new AppError(code, message, { cause: e });
  }
  if (status === 409) return new AppError("InvalidState", message, { cause: e });
  if (status === 400) return new AppError("InvalidOption", message, { cause: e });
  return new AppError("ServerError", message, { cause: e });
}
