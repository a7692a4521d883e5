import type { FastifyInstance } from 'fastify';
import type { RegistryClient } from '@vic/imagec';
import { apiErrorOf, DockerApiError } from '../docker-error';

/** Docker Hub's address as the CLI sends it for `docker login` without a server. */
const DOCKER_HUB_LOGIN = 'https://index.docker.io/v1/';

interface AuthBody {
  username?: string;
  password?: string;
  serveraddress?: string;
}

/** The registry host a login names: `https://host:port/...` or `host:port`. */
function loginHost(serverAddress: string | undefined): string {
  if (!serverAddress || serverAddress === DOCKER_HUB_LOGIN) return 'docker.io';
  return serverAddress.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

/** `POST /auth` (docker login): checks the credentials with the registry; the CLI keeps them. */
export function registerAuthRoutes(app: FastifyInstance, registry: RegistryClient): void {
  app.post('/auth', async (request) => {
    // The CLI sends JSON, which fastify has parsed (and bounded) by now.
    const body = (request.body ?? {}) as AuthBody;
    if (!body.username || body.password === undefined) throw new DockerApiError(400, 'username and password are required');
    const checked = await registry.login(loginHost(body.serveraddress), { username: body.username, password: body.password });
    // A refused login is the one place dockerd answers 401.
    if (!checked.ok) throw checked.error.code === 'REGISTRY_UNAUTHORIZED' ? new DockerApiError(401, checked.error.message) : apiErrorOf(checked.error);
    return { Status: 'Login Succeeded', IdentityToken: '' };
  });
}
