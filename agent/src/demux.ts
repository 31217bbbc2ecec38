/**
 * Splits Docker's multiplexed attach/log framing (8-byte header: stream type, 3 zero bytes, uint32
 * big-endian length) into plain payload chunks. It is incremental because frames straddle reads.
 * Written by hand rather than with docker-modem's demuxStream so buffered (non-follow) logs and
 * streams share one path and the tests can feed it arbitrary splits.
 */
export class Demuxer {
  private pending: Uint8Array = new Uint8Array(0);

  constructor(private readonly onPayload: (chunk: Uint8Array) => void) {}

  /** Feeds raw bytes; calls `onPayload` for every complete frame's payload (stdout and stderr alike). */
  push(data: Uint8Array): void {
    let buffer = this.pending.length ? concat(this.pending, data) : data;
    while (buffer.length >= 8) {
      const size = ((buffer[4]! << 24) >>> 0) + (buffer[5]! << 16) + (buffer[6]! << 8) + buffer[7]!;
      if (buffer.length < 8 + size) break;
      if (size > 0) this.onPayload(buffer.subarray(8, 8 + size));
      buffer = buffer.subarray(8 + size);
    }
    // Copy the remainder so a caller reusing its buffer cannot change what we hold.
    this.pending = buffer.slice();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
