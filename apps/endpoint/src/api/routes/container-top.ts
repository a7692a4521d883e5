import type { ContainerRecord } from '../../containers/container-record';
import type { ContainerRuntime } from '../../containers/container-runtime';
import { DockerApiError } from '../docker-error';
import { processTable, type ProcessTable } from '../process-table';

const TOP_REQUEST_TIMEOUT_MS = 10_000;
/** The tether lists processes one way: `ps -ef`'s. These are the ps_args that ask for just that. */
const SUPPORTED_PS_ARGS = ['', '-ef', '-e -f', 'ef', '-fe'];

/** `GET /containers/{id}/top`: the container's processes, read by its tether from the VM's /proc. */
export async function containerTop(runtime: ContainerRuntime, record: ContainerRecord, psArgs: string | undefined): Promise<ProcessTable> {
  if (!SUPPORTED_PS_ARGS.includes((psArgs ?? '').trim())) throw new DockerApiError(400, `ps_args "${psArgs}" is not supported: vic lists a container's processes as ps -ef does`);
  const running = runtime.runningContainer(record.id);
  if (!running) throw new DockerApiError(409, `Container ${record.id} is not running`);
  return processTable(await running.vm.client.request({ op: 'processes' }, TOP_REQUEST_TIMEOUT_MS));
}
