import { datastorePath, DatastoreTransferError, downloadFile, type VimSession } from '@vic/vsphere';
import { applianceConsole } from './appliance-vm';

const TAIL_LINES = 30;
/** Only this much of the console's end is kept while it streams by: the file grows for as long as the appliance runs. */
const TAIL_BYTES = 16 * 1024;
const READ_IDLE_TIMEOUT_MS = 30_000;

export interface ApplianceFiles {
  readonly datacenterPath: string;
  readonly datastore: string;
  readonly storeFolder: string;
}

/** Where the appliance's console is, as a user would look for it in the datastore browser. */
export const consolePath = (files: ApplianceFiles): string => datastorePath(files.datastore, applianceConsole(files.storeFolder));

/**
 * The last lines of the appliance's serial console, read over the datastore HTTP interface, as an
 * indented block for a message. A console that cannot be read is described, not thrown: this text
 * accompanies another failure, which must not be hidden by it.
 */
export async function applianceConsoleTail(session: VimSession, files: ApplianceFiles): Promise<string> {
  const where = consolePath(files);
  let tail = Buffer.alloc(0);
  try {
    const stream = await downloadFile(session, { datacenterPath: files.datacenterPath, datastore: files.datastore, path: applianceConsole(files.storeFolder) }, { idleTimeoutMs: READ_IDLE_TIMEOUT_MS });
    for await (const chunk of stream) {
      tail = Buffer.concat([tail, chunk as Buffer]);
      if (tail.length > TAIL_BYTES) tail = tail.subarray(tail.length - TAIL_BYTES);
    }
  } catch (error) {
    if (error instanceof DatastoreTransferError && error.statusCode === 404) return `(the appliance console ${where} does not exist yet)`;
    return `(the appliance console ${where} could not be read: ${(error as Error).message})`;
  }
  const lines = tail.toString('utf8').replace(/\r/g, '').trimEnd().split('\n').slice(-TAIL_LINES);
  if (lines.length === 1 && lines[0] === '') return `(the appliance console ${where} is empty)`;
  return [`last lines of the appliance console ${where}:`, ...lines.map((line) => `  ${line}`)].join('\n');
}
