import { AppError } from "@corral/lib";

/** The largest request body the API reads. */
export const maxBodyBytes = 1024 * 1024;

/** True for `application/json` and `application/<something>+json`, with or without parameters. */
export function isJsonType(contentType: string): boolean {
  const media = contentType.split(";")[0]!.trim().toLowerCase();
  return media === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(media);
}

/**
 * Reads a JSON request body with a size limit. An empty body is `{}` where `allowEmpty` (actions),
 * otherwise an error; anything that is not JSON is InvalidBodyContent.
 */
export async function readJson(req: Request, allowEmpty: boolean): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBodyBytes)
    throw new AppError("TooLarge", `the body is larger than ${maxBodyBytes} bytes`);
  const type = req.headers.get("content-type");
  if (type !== null && !isJsonType(type)) {
    throw new AppError("UnsupportedMediaType", `send application/json, not ${type.slice(0, 64)}`);
  }
  const bytes = await readLimited(req, maxBodyBytes);
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes).trim();
  if (text === "") {
    if (allowEmpty) return {};
    throw new AppError("InvalidBodyContent", "the body is empty; send a JSON object");
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AppError("InvalidBodyContent", `the body is not valid JSON: ${(e as Error).message}`);
  }
}

/** Reads a body but stops at `limit` bytes, so a chunked body without a length is never buffered whole. */
async function readLimited(req: Request, limit: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new AppError("TooLarge", `the body is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
