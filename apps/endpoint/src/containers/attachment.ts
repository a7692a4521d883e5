import type { Readable } from 'node:stream';
import type { OutputSink } from './output-sink';

/** One client attached to a container (`docker attach`, `docker run`, `docker start -a`). */
export interface Attachment {
  sink: OutputSink;
  /** The client's input, when it attached with stdin to a container started with OpenStdin. */
  stdin?: Readable;
  /** With a tty, the byte sequence that detaches this client instead of reaching the process. */
  detachKeys?: Buffer;
}
