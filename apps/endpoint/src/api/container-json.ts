import type { ContainerRecord } from '../containers/container-record';
import { networkSettingsJson, portSummaries } from '../networks/network-settings-json';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** `docker ps`'s Status column: "Up 5 seconds", "Exited (0) 2 minutes ago", "Created". */
export function humanStatus(record: ContainerRecord, now = Date.now()): string {
  const { state } = record;
  if (state.status === 'running' || state.status === 'paused') {
    return `Up ${humanDuration(now - Date.parse(state.startedAt ?? record.created))}${state.status === 'paused' ? ' (Paused)' : ''}`;
  }
  if (state.status === 'exited' && state.finishedAt) return `Exited (${state.exitCode}) ${humanDuration(now - Date.parse(state.finishedAt))} ago`;
  return 'Created';
}

/** go-units' HumanDuration, which the docker CLI's words come from. */
function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

function commandLine(record: ContainerRecord): string {
  return [record.path, ...record.args].map((arg) => (/\s/.test(arg) ? JSON.stringify(arg) : arg)).join(' ');
}

/** One row of `GET /containers/json`. */
export function containerSummary(record: ContainerRecord) {
  return {
    Id: record.id,
    Names: [`/${record.name}`],
    Image: record.imageName,
    ImageID: record.imageId,
    Command: commandLine(record),
    Created: Math.floor(Date.parse(record.created) / 1000),
    Ports: portSummaries(record),
    Labels: record.labels,
    State: record.state.status,
    Status: humanStatus(record),
    HostConfig: { NetworkMode: record.config.HostConfig?.NetworkMode ?? 'default' },
    NetworkSettings: { Networks: networkSettingsJson(record).Networks },
    Mounts: [],
  };
}

/** `GET /containers/{id}/json`, in dockerd's shape. */
export function containerInspect(record: ContainerRecord, logPath: string, mounts: unknown[] = []) {
  const { state, config } = record;
  const live = state.status === 'running' || state.status === 'paused';
  const host = config.HostConfig ?? {};
  return {
    Id: record.id,
    Created: record.created,
    Path: record.path,
    Args: record.args,
    State: {
      Status: state.status,
      Running: live,
      Paused: state.status === 'paused',
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: live ? (state.pid ?? 0) : 0,
      ExitCode: state.exitCode,
      Error: state.error ?? '',
      StartedAt: state.startedAt ?? ZERO_TIME,
      FinishedAt: state.finishedAt ?? ZERO_TIME,
    },
    Image: record.imageId,
    ResolvConfPath: '',
    HostnamePath: '',
    HostsPath: '',
    LogPath: logPath,
    Name: `/${record.name}`,
    RestartCount: record.restartCount,
    Driver: 'vic',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      Binds: host.Binds ?? null,
      Mounts: host.Mounts ?? null,
      NetworkMode: host.NetworkMode ?? 'default',
      RestartPolicy: { Name: host.RestartPolicy?.Name || 'no', MaximumRetryCount: host.RestartPolicy?.MaximumRetryCount ?? 0 },
      AutoRemove: host.AutoRemove ?? false,
      Memory: host.Memory ?? 0,
      NanoCpus: host.NanoCpus ?? 0,
      ConsoleSize: host.ConsoleSize ?? [0, 0],
      LogConfig: { Type: 'json-file', Config: {} },
      PortBindings: host.PortBindings ?? {},
      PublishAllPorts: host.PublishAllPorts ?? false,
      Dns: host.Dns ?? [],
      DnsSearch: host.DnsSearch ?? [],
      ExtraHosts: host.ExtraHosts ?? null,
      Links: host.Links ?? null,
      Privileged: false,
    },
    GraphDriver: { Name: 'vic', Data: null },
    Mounts: mounts,
    Config: {
      Hostname: config.Hostname || record.id.slice(0, 12),
      Domainname: '',
      User: config.User ?? '',
      AttachStdin: config.AttachStdin ?? false,
      AttachStdout: config.AttachStdout ?? false,
      AttachStderr: config.AttachStderr ?? false,
      Tty: config.Tty ?? false,
      OpenStdin: config.OpenStdin ?? false,
      StdinOnce: config.StdinOnce ?? false,
      Env: record.env,
      Cmd: config.Cmd ?? null,
      Image: record.imageName,
      Volumes: config.Volumes ?? null,
      ...(config.ExposedPorts ? { ExposedPorts: config.ExposedPorts } : {}),
      WorkingDir: config.WorkingDir ?? '',
      Entrypoint: config.Entrypoint ?? null,
      Labels: record.labels,
      ...(config.StopSignal ? { StopSignal: config.StopSignal } : {}),
      ...(config.StopTimeout !== undefined ? { StopTimeout: config.StopTimeout } : {}),
    },
    NetworkSettings: networkSettingsJson(record),
  };
}
