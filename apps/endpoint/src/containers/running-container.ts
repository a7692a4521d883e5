import { exitCode, type ExitStatus } from '@vic/protocol';
import type { ContainerVmHandle } from '../portlayer/port-layer';
import type { SessionHandle } from '../tether-bridge/session-handle';
import type { ContainerLogWriter } from '../logs/container-log';
import type { Attachment } from './attachment';
import { pipeClientInput } from './client-input';

/** The exit code of a process whose VM went away under it: as if SIGKILLed. */
export const VM_GONE_EXIT_CODE = 137;

/**
 * A container while its VM runs: the main process's output goes to the log and to every
 * attached client, attached clients' input to the process, until the process exits or the VM
 * is gone.
 */
export class RunningContainer {
  private readonly attachments = new Set<Attachment>();
  /** The main process's exit code, once it exited and all its output was read (or the VM is gone). */
  readonly exited: Promise<number>;
  paused = false;
  private ended = false;

  constructor(
    readonly vm: ContainerVmHandle,
    readonly main: SessionHandle,
    /** The container's log while it runs; `logs --follow` subscribes to it. */
    readonly log: ContainerLogWriter,
    private readonly stdinOnce: boolean,
  ) {
    main.stdout.on('data', (chunk: Buffer) => this.output('stdout', chunk));
    main.stderr.on('data', (chunk: Buffer) => this.output('stderr', chunk));
    this.exited = Promise.race([main.finished().then((exit: ExitStatus) => exitCode(exit)), vm.poweredOff.then(() => VM_GONE_EXIT_CODE)]);
  }

  /** Adds a client; false once the output is complete, when there is nothing left to attach to. */
  attach(attachment: Attachment): boolean {
    if (this.ended) return false;
    this.attachments.add(attachment);
    const { stdin } = attachment;
    if (!stdin) return true;
    const processInput = this.main.stdin;
    if (!processInput) {
      stdin.resume(); // a container without OpenStdin ignores input, as dockerd does
      return true;
    }
    pipeClientInput(stdin, processInput, {
      ...(attachment.detachKeys ? { detachKeys: attachment.detachKeys } : {}),
      closeOnEnd: this.stdinOnce,
      onDetach: () => {
        this.attachments.delete(attachment);
        attachment.sink.end();
      },
    });
    return true;
  }

  /** Hands back the attached clients, for a process that never started. */
  detachAll(): Attachment[] {
    const attachments = [...this.attachments];
    this.attachments.clear();
    return attachments;
  }

  /** Ends every attached client's stream: the container's output is complete. */
  endAttachments(): void {
    this.ended = true;
    for (const attachment of this.attachments) attachment.sink.end();
    this.attachments.clear();
  }

  private output(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this.log.write(stream, chunk);
    for (const attachment of this.attachments) attachment.sink.write(stream, chunk);
  }
}
