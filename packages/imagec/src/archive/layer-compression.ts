import { open } from 'node:fs/promises';

/** How a layer file is compressed, from its first bytes (archives do not always say). */
export async function sniffCompression(path: string): Promise<'none' | 'gzip' | 'zstd'> {
  const file = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'gzip';
    if (bytesRead === 4 && buffer.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await file.close();
  }
}
