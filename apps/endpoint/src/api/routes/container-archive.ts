import type { FastifyReply, FastifyRequest } from 'fastify';
import { finished } from 'node:stream/promises';
import type { PathStat } from '@vic/protocol';
import { containerPath, type ContainerPath } from '../../archive/container-path';
import type { ContainerFiles, TarConsumer } from '../../archive/container-files';
import type { ContainerRecord } from '../../containers/container-record';
import { queryFlag } from '../query-flag';
import { DockerApiError } from '../docker-error';

const PATH_STAT_HEADER = 'X-Docker-Container-Path-Stat';

/** The header the docker CLI decodes: base64 of the stat as JSON, with Go's field names. */
function pathStatHeader(stat: PathStat): string {
  return Buffer.from(JSON.stringify({ name: stat.name, size: stat.size, mode: stat.mode, mtime: stat.mtime, linkTarget: stat.linkTarget })).toString('base64');
}

function requiredPath(query: Record<string, string | undefined>): ContainerPath {
  if (!query.path) throw new DockerApiError(400, 'bad parameter: path cannot be empty');
  return containerPath(query.path);
}

/** Streams a tar as the reply; settles once the client has all of it, or is gone. */
function sendTar(reply: FastifyReply, withStat: boolean): TarConsumer {
  return async (stat, tar) => {
    if (withStat) void reply.header(PATH_STAT_HEADER, pathStatHeader(stat));
    void reply.type('application/x-tar').send(tar);
    await finished(reply.raw);
  };
}

/** `HEAD /containers/{id}/archive`: the path's stat, in the header only. */
export async function statArchivePath(files: ContainerFiles, record: ContainerRecord, query: Record<string, string | undefined>, reply: FastifyReply): Promise<FastifyReply> {
  const stat = await files.stat(record, requiredPath(query));
  return reply.header(PATH_STAT_HEADER, pathStatHeader(stat)).code(200).send();
}

/** `GET /containers/{id}/archive`: the tar of a path, its stat in the header. */
export async function getArchive(files: ContainerFiles, record: ContainerRecord, query: Record<string, string | undefined>, reply: FastifyReply): Promise<FastifyReply> {
  const target = requiredPath(query);
  await files.read(record, target, target.rebaseAs, sendTar(reply, true));
  return reply;
}

/** `GET /containers/{id}/export`: the tar of the whole root file system. */
export async function exportContainer(files: ContainerFiles, record: ContainerRecord, reply: FastifyReply): Promise<FastifyReply> {
  await files.read(record, containerPath('/'), '', sendTar(reply, false));
  return reply;
}

/** `PUT /containers/{id}/archive`: extracts the tar in the body into a directory of the container. */
export async function putArchive(files: ContainerFiles, record: ContainerRecord, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const query = request.query as Record<string, string | undefined>;
  await files.write(record, requiredPath(query), request.raw, queryFlag(query.noOverwriteDirNonDir));
  return reply.code(200).send();
}
