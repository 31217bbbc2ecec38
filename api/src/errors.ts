/**
 * The closed set of error codes every Corral process uses, with the HTTP status each maps to.
 * Names follow the Rancher API specification so existing clients recognise them.
 */
export const errorStatus = {
  InvalidBodyContent: 400,
  /** A header the request cannot be served with (a Host that is not a host[:port]). */
  InvalidHeader: 400,
  InvalidFormat: 422,
  MissingRequired: 422,
  InvalidOption: 422,
  InvalidReference: 422,
  Unauthorized: 401,
  PermissionDenied: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  InvalidAction: 422,
  ActionNotAvailable: 409,
  InvalidState: 409,
  NotUnique: 409,
  TooLarge: 413,
  UnsupportedMediaType: 415,
  TooManyRequests: 429,
  Unavailable: 503,
  Timeout: 504,
  ServerError: 500,
} as const;

/** One of the error codes in {@link errorStatus}. */
export type ErrorCode = keyof typeof errorStatus;

/** The error body the API answers with, as in the Rancher API specification. */
export interface ApiErrorBody {
  type: "error";
  status: number;
  code: ErrorCode;
  message: string;
  detail?: unknown;
}

/** True when `code` is one of Corral's error codes. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorStatus, code);
}
