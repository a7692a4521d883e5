import type { FastifyInstance, FastifyReply } from 'fastify';
import { familiarFromFull, loadImageArchive, parseReference, pullImage, RegistryClient, saveImageArchive, type ImageRecord, type ImageStore, type ImageSummary, type RegistryClientOptions } from '@vic/imagec';
import type { ContainerStore } from '../../containers/container-store';
import type { EventLog } from '../../events/event-log';
import { apiErrorOf, DockerApiError } from '../docker-error';
import { streamJsonMessages } from '../json-stream';
import { booleanFilter, globMatches, labelsMatch, parseFilters } from '../filters';
import { queryFlag } from '../query-flag';
import { credentialsFromHeader } from '../registry-auth';

export interface ImageRouteDeps {
  images: ImageStore;
  /** The shared client for pulls without credentials (one download pool for all of them). */
  registry: RegistryClient;
  /** How per-request clients (pulls with credentials) reach registries. */
  registryOptions: RegistryClientOptions;
  /** Whose images may not be removed from under them. */
  containers: ContainerStore;
  /** Where pulls, tags, removals and loads are announced. */
  events: EventLog;
}

type Query = Record<string, string | string[] | undefined>;

function one(query: Query, name: string): string | undefined {
  const value = query[name];
  return Array.isArray(value) ? value[0] : value;
}

function all(query: Query, name: string): string[] {
  const value = query[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** `a/b:c/json` → name `a/b:c`, action `json`. */
function nameAndAction(rest: string): { name: string; action: string } {
  const slash = rest.lastIndexOf('/');
  return slash === -1 ? { name: rest, action: '' } : { name: rest.slice(0, slash), action: rest.slice(slash + 1) };
}

function unixSeconds(iso: string | undefined): number {
  return iso === undefined ? 0 : Math.floor(Date.parse(iso) / 1000);
}

function findOrThrow(images: ImageStore, name: string): ImageRecord {
  const found = images.find(name);
  if (!found.ok) throw apiErrorOf(found.error);
  return found.value.record;
}

/** `GET /images/{name}/json`: dockerd's ImageInspect shape. */
function inspectImage(images: ImageStore, record: ImageRecord) {
  const summary = images.list().find((image) => image.id === record.id);
  return {
    Id: record.id,
    RepoTags: summary?.repoTags ?? [],
    RepoDigests: summary?.repoDigests ?? [],
    Parent: '',
    Comment: '',
    Created: record.config.created ?? '',
    DockerVersion: '',
    Author: record.config.author ?? '',
    Config: record.config.config ?? {},
    Architecture: record.config.architecture,
    Os: record.config.os,
    ...(record.config.variant ? { Variant: record.config.variant } : {}),
    Size: record.size,
    GraphDriver: { Name: 'vic-erofs', Data: { LayerDisks: images.layerDisks(record).map((disk) => disk.diskPath).join(':') } },
    RootFS: { Type: 'layers', Layers: record.config.rootfs.diff_ids },
    Metadata: { LastTagTime: record.addedAt },
  };
}

/** The image endpoints of the Engine API, backed by imagec. */
/** One image in the Engine API's `ImageSummary` shape; `containers` is -1 when not counted, as dockerd's list leaves it. */
export function imageSummaryJson(image: ImageSummary, containers: number) {
  return {
    Id: image.id,
    ParentId: '',
    RepoTags: image.repoTags,
    RepoDigests: image.repoDigests,
    Created: unixSeconds(image.created),
    Size: image.size,
    SharedSize: -1,
    VirtualSize: image.size,
    Labels: image.labels,
    Containers: containers,
  };
}

export function registerImageRoutes(app: FastifyInstance, deps: ImageRouteDeps): void {
  const { images } = deps;

  app.post('/images/create', async (request, reply) => {
    const query = request.query as Query;
    const fromImage = one(query, 'fromImage');
    if (one(query, 'fromSrc') !== undefined) throw new DockerApiError(501, 'docker import is not supported by vic');
    if (!fromImage) throw new DockerApiError(400, 'fromImage or fromSrc is required');
    const tag = one(query, 'tag');
    // The CLI sends the tag apart (`fromImage=busybox&tag=latest`), or a digest in it.
    const input = tag ? `${fromImage}${tag.includes(':') ? '@' : ':'}${tag}` : fromImage;
    const parsed = parseReference(input);
    if (!parsed.ok) throw new DockerApiError(400, parsed.error.message);
    const credentials = credentialsFromHeader(request.headers['x-registry-auth']);
    const client = credentials ? new RegistryClient({ ...deps.registryOptions, credentials: { [parsed.value.domain]: credentials } }) : deps.registry;
    try {
      await streamJsonMessages(reply, async (send) => {
        const pulled = await pullImage(images, client, input, send);
        if (!pulled.ok) throw apiErrorOf(pulled.error);
        deps.events.emit('image', 'pull', familiarFromFull(pulled.value.reference), { name: familiarFromFull(pulled.value.reference) });
      });
    } finally {
      if (client !== deps.registry) client.close();
    }
  });

  const createdMs = (name: string) => Date.parse(findOrThrow(images, name).config.created ?? '') || 0;

  app.get('/images/json', async (request) => {
    const filters = parseFilters(one(request.query as Query, 'filters'), ['dangling', 'label', 'reference', 'before', 'since']);
    const dangling = booleanFilter(filters, 'dangling');
    const references = filters.get('reference') ?? [];
    const before = filters.get('before')?.map(createdMs);
    const since = filters.get('since')?.map(createdMs);
    const nameMatches = (name: string) => references.some((pattern) => globMatches(pattern, name));
    const tagMatches = (tag: string) => nameMatches(tag) || nameMatches(tag.slice(0, tag.lastIndexOf(':')));
    return images
      .list()
      .filter((image) => {
        const created = Date.parse(image.created ?? '') || 0;
        if (dangling !== undefined && (image.repoTags.length === 0) !== dangling) return false;
        if (!labelsMatch(filters, image.labels)) return false;
        if (before !== undefined && !before.every((limit) => created < limit)) return false;
        if (since !== undefined && !since.every((limit) => created > limit)) return false;
        return true;
      })
      // dockerd shows, of an image found by reference, only the names that matched.
      .map((image) =>
        references.length > 0
          ? { ...image, repoTags: image.repoTags.filter(tagMatches), repoDigests: image.repoDigests.filter((ref) => nameMatches(ref.slice(0, ref.indexOf('@')))) }
          : image,
      )
      .filter((image) => references.length === 0 || image.repoTags.length > 0)
      .map((image) => imageSummaryJson(image, -1));
  });

  /** `docker image prune`: untagged images, or with `dangling=false` every image; what it freed. */
  app.post('/images/prune', async (request) => {
    const filters = parseFilters(one(request.query as Query, 'filters'), ['dangling', 'label']);
    const danglingOnly = booleanFilter(filters, 'dangling') ?? true;
    const bytes = async () => {
      const usage = await images.diskUsage();
      return usage.layerBytes + usage.blobBytes;
    };
    const before = await bytes();
    const deleted = [];
    for (const image of images.list()) {
      if ((danglingOnly && image.repoTags.length > 0) || !labelsMatch(filters, image.labels)) continue;
      if (deps.containers.all().some((container) => container.imageId === image.id)) continue; // in use, as dockerd keeps it
      const removed = await images.remove(image.id, { force: true });
      if (!removed.ok) throw apiErrorOf(removed.error);
      deleted.push(...removed.value);
    }
    return { ImagesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: before - (await bytes()) };
  });

  const inspect = (name: string) => inspectImage(images, findOrThrow(images, name));

  const history = (name: string) => {
    const record = findOrThrow(images, name);
    const history = record.config.history ?? [];
    let layer = record.layers.length;
    // Newest first; a history entry that made a layer carries that layer's size.
    return [...history].reverse().map((entry, index) => {
      const size = entry.empty_layer ? 0 : (images.layerDisks(record)[--layer]?.contentBytes ?? 0);
      return {
        Id: index === 0 ? record.id : '<missing>',
        Created: unixSeconds(entry.created),
        CreatedBy: entry.created_by ?? '',
        Tags: index === 0 ? (images.list().find((image) => image.id === record.id)?.repoTags ?? []) : null,
        Size: size,
        Comment: entry.comment ?? '',
      };
    });
  };

  const tag = async (name: string, query: Query, reply: FastifyReply) => {
    const repo = one(query, 'repo');
    if (!repo) throw new DockerApiError(400, 'repository name (repo) is required');
    const tag = one(query, 'tag');
    const target = tag ? `${repo}:${tag}` : repo;
    const tagged = await images.tag(name, target);
    if (!tagged.ok) throw apiErrorOf(tagged.error);
    const source = images.find(target);
    deps.events.emit('image', 'tag', source.ok ? source.value.record.id : name, { name: familiarFromFull(target) });
    return reply.code(201).send();
  };

  app.delete('/images/*', async (request) => {
    const name = (request.params as { '*': string })['*'];
    const force = queryFlag(one(request.query as Query, 'force'));
    const conflict = imageInUse(name, force);
    if (conflict) throw new DockerApiError(409, conflict);
    const id = images.find(name);
    const removed = await images.remove(name, { force });
    if (!removed.ok) throw apiErrorOf(removed.error);
    for (const item of removed.value) {
      if ('Untagged' in item) deps.events.emit('image', 'untag', id.ok ? id.value.record.id : name, { name: item.Untagged });
      else deps.events.emit('image', 'delete', item.Deleted, { name });
    }
    return removed.value;
  });

  /**
   * dockerd's refusal to delete an image a container was created from (image_delete.go): never
   * while one runs, and without force while a stopped one has it. Removing one of several names
   * only untags, which is always allowed.
   */
  const imageInUse = (name: string, force: boolean): string | null => {
    const found = images.find(name);
    if (!found.ok) return null;
    const { record, reference } = found.value;
    const summary = images.list().find((image) => image.id === record.id);
    if (reference && (summary?.repoTags.length ?? 0) > 1) return null;
    const users = deps.containers.all().filter((container) => container.imageId === record.id);
    const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
    const running = users.find((container) => container.state.status === 'running' || container.state.status === 'paused');
    if (running) return `conflict: unable to delete ${short(record.id)} (cannot be forced) - image is being used by running container ${short(running.id)}`;
    if (users.length === 0 || force) return null;
    if (reference) return `conflict: unable to remove repository reference "${name}" (must force) - container ${short(users[0]!.id)} is using its referenced image ${short(record.id)}`;
    return `conflict: unable to delete ${short(record.id)} (must be forced) - image is being used by stopped container ${short(users[0]!.id)}`;
  };

  const save = async (names: string[], reply: FastifyReply) => {
    const archive = await saveImageArchive(images, names);
    if (!archive.ok) throw apiErrorOf(archive.error);
    return reply.type('application/x-tar').send(archive.value);
  };
  app.get('/images/get', async (request, reply) => save(all(request.query as Query, 'names'), reply));

  // Image names hold slashes (`127.0.0.1:5000/team/app`), so the name is everything before the action.
  app.get('/images/*', async (request, reply) => {
    const { name, action } = nameAndAction((request.params as { '*': string })['*']);
    if (action === 'json') return inspect(name);
    if (action === 'history') return history(name);
    if (action === 'get') return save([name], reply);
    throw new DockerApiError(404, 'page not found');
  });

  app.post('/images/*', async (request, reply) => {
    const { name, action } = nameAndAction((request.params as { '*': string })['*']);
    if (action === 'tag') return tag(name, request.query as Query, reply);
    if (action === 'push') throw new DockerApiError(501, 'docker push is not supported by vic');
    throw new DockerApiError(404, 'page not found');
  });

  app.post('/images/load', async (request, reply) => {
    const quiet = queryFlag(one(request.query as Query, 'quiet'));
    await streamJsonMessages(reply, async (send) => {
      const loaded = await loadImageArchive(images, request.raw, (message) => {
        if (!quiet || message.stream !== undefined) send(message);
      });
      if (!loaded.ok) throw apiErrorOf(loaded.error);
      for (const image of loaded.value) deps.events.emit('image', 'load', image.id, { name: image.tags.map(familiarFromFull).join(', ') || image.id });
    });
  });
}
