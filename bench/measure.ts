import { connect } from 'node:net';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Reads `bytes` from a unix socket, timing from the first byte to the last. */
export function timeSocketBytes(path: string, bytes: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let first = 0;
    let got = 0;
    const retry = () => {
      const socket = connect(path);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`only ${got} of ${bytes} bytes within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.on('error', () => setTimeout(retry, 50));
      socket.on('data', (chunk) => {
        if (got === 0) first = performance.now();
        got += chunk.length;
        if (got >= bytes) {
          clearTimeout(timer);
          socket.destroy();
          resolve((performance.now() - first) / 1000);
        }
      });
    };
    retry();
  });
}

export const mib = (bytes: number, seconds: number) => `${(bytes / seconds / 1048576).toFixed(1)} MiB/s`;

/** The nearest-rank percentile `p` (0-100) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
